"""Public pages. PLACEHOLDER: replaced by the public-pages work."""

from django.http import Http404, HttpResponse


def home(request):
    return HttpResponse("medsite")


def a_to_z(request):
    return HttpResponse("A to Z")


def monograph_detail(request, slug):
    raise Http404


def monograph_history(request, slug):
    raise Http404


def revision_preview(request, slug, number):
    raise Http404


def bad_request(request, exception=None):
    return HttpResponse("Bad request", status=400)


def permission_denied(request, exception=None):
    return HttpResponse("Forbidden", status=403)


def page_not_found(request, exception=None):
    return HttpResponse("Not found", status=404)


def server_error(request):
    return HttpResponse("Server error", status=500)

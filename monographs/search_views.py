"""PLACEHOLDER (owned by the search/SEO work)."""

from django.http import HttpResponse


def search(request):
    return HttpResponse("search")

"""The public "what changed" page (issue 11.7): one publication against the one before it.

Readers and pharmacists ask what changed. Each entry of a monograph's public history links
here: the sections that changed, rendered as the public reads them with the words added and
removed marked, and the clinical changes first. The same for every visitor, so the whole
page is cached under the monograph's page generation (``caching.public_page("monograph")``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import clinical, permissions, review
from .caching import public_page
from .diff import compare
from .models import Revision
from .views import Gone, _gone_response, _published_or_gone, public_names


@public_page("monograph")
def monograph_changes(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    try:
        monograph = _published_or_gone(slug, select=("live_revision",))
    except Gone as gone:
        return _gone_response(request, gone.monograph)
    published = Revision.objects.published().filter(monograph=monograph)
    revision = published.filter(number=number).first()
    if revision is None:
        raise Http404("No publication with that number.")
    previous = (
        published.filter(published_at__lt=revision.published_at)
        .order_by("-published_at", "-number")
        .first()
    )
    old = previous.data if previous is not None else None
    diff = compare(old, revision.data)
    changes = clinical.clinical_changes(old, revision.data)
    # A publication that carried several saves (one replaced another while waiting) keeps
    # each description; the public reads them without the editors' names.
    summaries: list[str] = []
    for contribution in permissions.contributions(revision):
        text = contribution.change_summary.strip()
        if text and text not in summaries:
            summaries.append(text)
    response = render(
        request,
        "monographs/monograph_changes.html",
        {
            "monograph": monograph,
            "names": public_names(monograph.live_revision.content),
            "revision": revision,
            "previous": previous,
            "diff": diff,
            "summary": review.summarise(diff, changes),
            "summaries": summaries,
            "canonical_url": settings.SITE_URL + request.path,
        },
    )
    if monograph.last_published_at:
        response.content_changed_at = monograph.last_published_at.timestamp()
    return response

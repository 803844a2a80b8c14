"""The public search page: reads the query, asks ``search.search`` and shows the outcome.

Result pages are cached per *normalised* query under the site generation (``caching``):
" fever ", "fever" and "ｆｅｖｅｒ" share one entry, and any publication, withdrawal or
restore moves the generation so no result page outlives the catalogue it was built from.
Exact-name redirects are not cached (an index lookup, cheaper than the cache round trip).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from . import caching
from . import search as search_module


def normalised_query_key(request: HttpRequest) -> str:
    """The page cache key part for a search: its query as ``search.search`` reads it."""
    raw = request.GET.get("q", "").strip()
    if len(raw) > search_module.MAX_QUERY_LENGTH:
        return "long=" + raw  # not searched; the page echoes it as typed
    return "q=" + search_module.normalise_query(raw)


@require_safe
@caching.public_page("site", key=normalised_query_key)
def search(request: HttpRequest) -> HttpResponse:
    outcome = search_module.search(request.GET.get("q", ""))
    if outcome.redirect_to is not None:
        # An exact name ("Vivitrol", "naltrexone") goes straight to its monograph.
        return redirect(outcome.redirect_to)
    return render(
        request,
        "monographs/search.html",
        {"outcome": outcome, "query": outcome.raw_query},
    )

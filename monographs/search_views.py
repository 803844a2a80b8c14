"""The public search page: reads the query, asks ``search.search`` and shows the outcome."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from . import search as search_module


@require_safe
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

"""Public pages: thin readers of what the workflow stored.

Every public view finds content through ``Monograph.objects.published()`` (or the A to Z's
``PublicName`` rows, which exist only for public monographs) and assembles parts stored at
publication: a monograph page is one indexed query and does no Markdown, HTML parsing or
JSON-LD work (``page.build_parts`` and ``Revision``'s part fields). Pages are the same for
every visitor, so ``caching.public_page`` caches them server-side and sends
``Cache-Control: public`` with validators. The staff preview is the one exception: it
builds a revision's parts at request time, with the same code, and is never cached.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, F, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.cache import never_cache

from . import atoz, page, permissions, stored_pages, workflow
from .caching import public_page
from .models import Monograph, PublicName, Revision

logger = logging.getLogger(__name__)

RECENT_COUNT = 10
HISTORY_PAGE_SIZE = 50
# Seconds a 404 or 410 may be reused: short, so a new or restored page shows soon.
ERROR_MAX_AGE = 60


class MissingParts(RuntimeError):
    """A live revision published before its parts were stored: run rebuild_published."""


# --- A to Z ---------------------------------------------------------------------------------
def letter_counts() -> dict[str, int]:
    """Public names per letter code ("a".."z", "0-9"): one aggregate query."""
    rows = PublicName.objects.values_list("letter").annotate(n=Count("id")).order_by()
    return dict(rows)


def letters(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The A to Z's letters, for the navigation and the index: always the 26 letters (an
    empty one shown unlinked), "0–9" only when some name starts with something else."""
    return [
        {
            "code": code,
            "label": atoz.label(code),
            "anchor": atoz.anchor(code),
            "count": counts.get(code, 0),
            "url": reverse("monographs:letter", kwargs={"letter": code}),
        }
        for code in atoz.CODES
        if code != atoz.DIGITS or counts.get(code)
    ]


# --- helpers for the monograph pages -------------------------------------------------------
def _published_or_gone(
    slug: str, select: tuple[str, ...] = (), fields: tuple[str, ...] = ()
) -> Monograph:
    """The published monograph, or Gone (withdrawn: 410) / Http404 (unknown, never published)."""
    queryset = Monograph.objects.published().filter(slug=slug)
    if select:
        queryset = queryset.select_related(*select)
    if fields:
        queryset = queryset.only(*fields)
    monograph = queryset.first()
    if monograph is not None:
        return monograph
    withdrawn = (
        Monograph.objects.filter(slug=slug, withdrawn_at__isnull=False)
        .only("title", "slug", "live_revision_id", "withdrawn_at", "withdrawn_reason")
        .first()
    )
    if withdrawn is not None:
        # The public title is the last published one, not a draft's.
        withdrawn.public_title = (
            Revision.objects.filter(pk=withdrawn.live_revision_id)
            .values_list("content__title", flat=True)
            .first()
        )
        raise Gone(withdrawn)
    raise Http404("No published monograph with that address.")


class Gone(Exception):
    def __init__(self, monograph: Monograph) -> None:
        super().__init__(monograph.slug)
        self.monograph = monograph


def _gone_response(request: HttpRequest, monograph: Monograph) -> HttpResponse:
    title = getattr(monograph, "public_title", None) or monograph.title
    response = render(request, "410.html", {"monograph": monograph, "title": title}, status=410)
    return _briefly_cacheable(request, response)


def _briefly_cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """404 and 410 may be kept for ERROR_MAX_AGE seconds, and never as a ``public`` page.

    Without a Cache-Control header, browsers and CDNs may cache them heuristically (both
    statuses are "heuristically cacheable") for as long as they like, hiding a monograph
    published or restored since. A signed-in user (staff on a preview URL) gets no caching
    at all: the same URL answers differently once they have signed in.
    """
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        add_never_cache_headers(response)
    else:
        patch_cache_control(response, max_age=ERROR_MAX_AGE)
    return response


def public_names(content: dict[str, Any]) -> dict[str, Any]:
    """Title and names as a revision's content has them (the staff preview)."""
    other_names = content.get("other_names") or []
    return {
        "title": content.get("title", ""),
        "generic_name": content.get("generic_name", ""),
        "other_names": [str(name) for name in other_names] if isinstance(other_names, list) else [],
    }


# --- public views ---------------------------------------------------------------------------
@public_page("site")
def home(request: HttpRequest) -> HttpResponse:
    rows = (
        Monograph.objects.published()
        .values_list("slug", "last_reviewed_at", "last_published_at", "title")
        # A never-reviewed import sorts after the reviewed ones on every database.
        .order_by(
            F("last_reviewed_at").desc(nulls_last=True),
            F("last_published_at").desc(nulls_last=True),
            "sort_title",
        )[:RECENT_COUNT]
    )
    recent = [
        {
            "slug": slug,
            "last_reviewed_at": last_reviewed_at,
            "last_published_at": last_published_at,
            "title": str(title or slug),
        }
        for slug, last_reviewed_at, last_published_at, title in rows
    ]
    return render(
        request,
        "monographs/home.html",
        {"letters": letters(letter_counts()), "recent": recent},
    )


@public_page("site")
def a_to_z(request: HttpRequest) -> HttpResponse:
    """The letter index: each letter with its number of names, linking to its page."""
    counts = letter_counts()
    return render(
        request,
        "monographs/a_to_z.html",
        {"letters": letters(counts), "has_entries": any(counts.values())},
    )


@public_page("site")
def a_to_z_letter(request: HttpRequest, letter: str) -> HttpResponse:
    """One letter: every public name under it ("Revia – see Naltrexone"), one query."""
    # The route reversed once, each slug put in its place (reverse() per name was a third
    # of a big letter's time).
    before, _marker, after = reverse("monographs:detail", kwargs={"slug": "SLUG"}).partition("SLUG")
    entries = [
        {"name": name, "see": see, "url": f"{before}{quote(slug)}{after}"}
        for name, slug, see in PublicName.objects.filter(letter=letter)
        .order_by("sort_name", "name")
        .values_list("name", "slug", "see")
    ]
    return render(
        request,
        "monographs/a_to_z_letter.html",
        {
            "letter": {"code": letter, "label": atoz.label(letter)},
            "letters": letters(letter_counts()),
            "entries": entries,
            "canonical_url": settings.SITE_URL + request.path,
        },
    )


@public_page("monograph", stored=stored_pages.lookup)
def monograph_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page. The page cache first serves the page as stored when it last
    changed (``stored_pages``: one query, no template); this renders it from the live
    revision's stored parts when there is no current stored page (a deploy changed the
    templates and ``rebuild_published --missing`` has not run yet): one query more, the
    same page."""
    try:
        monograph = _published_or_gone(
            slug, select=("live_revision",), fields=stored_pages.PAGE_FIELDS
        )
    except Gone as gone:
        return _gone_response(request, gone.monograph)
    revision = monograph.live_revision
    if not revision.has_parts:
        raise MissingParts(
            f"The live revision of {slug} has no stored page parts: "
            "run `manage.py rebuild_published --missing`."
        )
    response = HttpResponse(stored_pages.render(monograph, revision))
    if monograph.last_published_at:
        response.content_changed_at = monograph.last_published_at.timestamp()
    return response


def _page_number(request: HttpRequest) -> int:
    """``?page=N`` (1 when absent); anything else is not a page of ours (404)."""
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise Http404("No such page.")
    return int(raw)


@public_page("monograph", with_query=True)
def monograph_history(request: HttpRequest, slug: str) -> HttpResponse:
    """Every publication, newest first, ``HISTORY_PAGE_SIZE`` a page: three queries."""
    number = _page_number(request)
    try:
        monograph = _published_or_gone(
            slug,
            fields=("slug", "title", "live_revision_id", "withdrawn_at", "last_published_at"),
        )
    except Gone as gone:
        return _gone_response(request, gone.monograph)
    revisions = (
        Revision.objects.published()
        .filter(monograph=monograph)
        .select_related("disclaimer_version", "published_by")
        .only(
            "number",
            "published_at",
            "change_summary",
            "is_editorial",
            "source",
            "monograph_id",
            "published_by__first_name",
            "published_by__last_name",
            "published_by__username",
            "disclaimer_version__number",
            "disclaimer_version__monograph_id",
        )
        .order_by("-published_at", "-number")
    )
    paginator = Paginator(revisions, HISTORY_PAGE_SIZE, allow_empty_first_page=True)
    try:
        page_obj = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such page of this history.") from error
    canonical = settings.SITE_URL + request.path + (f"?page={number}" if number > 1 else "")
    _add_combined_summaries(monograph, page_obj.object_list)
    response = render(
        request,
        "monographs/monograph_history.html",
        {
            "monograph": monograph,
            "names": {"title": monograph.title or monograph.slug},
            "revisions": page_obj.object_list,
            "page_obj": page_obj,
            "canonical_url": canonical,
        },
    )
    if monograph.last_published_at:
        response.content_changed_at = monograph.last_published_at.timestamp()
    return response


def _add_combined_summaries(monograph: Monograph, publications: list[Revision]) -> None:
    """Give each publication ``also``: the descriptions of the saves it carried that were
    replaced before it was published (a save that replaced a pending one keeps every
    description, issue 11.4), without the editors' names. One query for the whole page.
    """
    publications = list(publications)
    for publication in publications:
        publication.also = []  # type: ignore[attr-defined]
    if not publications:
        return
    numbers = sorted(p.number for p in publications)
    # The publication before the oldest on this page bounds what the page's ones carried.
    before = (
        Revision.objects.published()
        .filter(monograph=monograph, number__lt=numbers[0])
        .order_by("-number")
        .values("number")[:1]
    )
    carried = (
        Revision.objects.filter(
            monograph=monograph, published_at__isnull=True, number__lt=numbers[-1]
        )
        .filter(number__gt=Coalesce(Subquery(before), Value(0)))
        .order_by("number")
        .values_list("number", "change_summary")
    )
    by_number = {p.number: p for p in publications}
    for number, summary in carried:
        owner = next((n for n in numbers if n > number), None)
        text = (summary or "").strip()
        publication = by_number.get(owner) if owner is not None else None
        if publication is None or not text:
            continue
        if text != publication.change_summary.strip() and text not in publication.also:
            publication.also.append(text)


@never_cache
def revision_preview(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A revision as the public page would show it if it were published now: the same
    parts (``page.build_parts``) and the same disclaimer rule (``workflow.chosen_disclaimer``)
    as a publication."""
    user = request.user
    # 404, not 403: a draft's existence is not the public's business.
    if not permissions.may_use_staff_pages(user):
        raise Http404("No such page.")
    revision = (
        Revision.objects.select_related("monograph", "created_by")
        .filter(monograph__slug=slug, number=number)
        .first()
    )
    if revision is None:
        raise Http404("No such revision.")
    content = revision.data
    disclaimer_text, _version = workflow.chosen_disclaimer(content)
    parts = page.build_parts(content, disclaimer_text)
    return render(
        request,
        "monographs/revision_preview.html",
        {
            "monograph": revision.monograph,
            "revision": revision,
            "names": public_names(revision.content),
            "article_body": parts.body_html,
            "article_disclaimer": parts.disclaimer_html,
            "contents": parts.contents,
        },
    )


# --- error pages ----------------------------------------------------------------------------
# 400, 403 and 500 depend on the request or on a passing failure: never cached.
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    response = render(request, "400.html", status=400)
    add_never_cache_headers(response)
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    response = render(request, "403.html", status=403)
    add_never_cache_headers(response)
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _briefly_cacheable(request, render(request, "404.html", status=404))


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: context processors might touch the database that just failed.
    response = HttpResponseServerError(loader.get_template("500.html").render({}))
    add_never_cache_headers(response)
    return response

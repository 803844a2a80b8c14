"""The read-only JSON API for other services: ``/api/v1/`` (django-ninja).

- ``GET /api/v1/monographs/``: published monographs, paginated (``?page=``), filtered by
  ``?updated_since=`` (an ISO date or date-time: published since then) and ``?letter=``
  (``a``…``z``, or ``0-9``);
- ``GET /api/v1/monographs/<slug>/``: one published monograph: names, sections as Markdown
  and as the sanitized HTML the public page shows, FAQs, disclaimer, references, review
  dates, revision number, canonical URL;
- ``GET /api/v1/monographs/<slug>/history/``: its publications, newest first;
- ``GET /api/v1/openapi.json``: the OpenAPI document.

Published content only: every read goes through ``Monograph.objects.published()`` and the
live revision, like the public pages, and is served through ``caching.public_page`` (the
page cache, ETag/Last-Modified and 304, invalidated by the same publications). Anonymous
reads; the API has no write operation at all.
"""

from __future__ import annotations

import string
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import NinjaAPI, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from . import references
from .caching import public_page
from .content import MonographContent
from .models import Monograph, Revision
from .page import section_html

PAGE_SIZE = 50
DIGITS = "0-9"

api = NinjaAPI(
    title="medsite API",
    version="1",
    description=(
        "Read-only access to the published medicine monographs. Drafts and revisions in "
        "review are never served. Responses carry ETag and Last-Modified; send "
        "If-None-Match to get 304 when nothing changed."
    ),
    urls_namespace="api",
    docs_url=None,  # the interactive docs page loads scripts from a CDN; the JSON is enough
)


class SectionOut(Schema):
    key: str
    heading: str
    markdown: str
    html: str


class FAQOut(Schema):
    question: str
    answer: str


class ReferenceOut(Schema):
    title: str
    url: str
    publisher: str
    date: str
    date_kind: str


class MonographSummary(Schema):
    slug: str
    title: str
    generic_name: str
    other_names: list[str]
    url: str
    api_url: str
    last_published_at: datetime | None


class MonographList(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    previous: str | None
    results: list[MonographSummary]


class MonographOut(Schema):
    slug: str
    title: str
    generic_name: str
    other_names: list[str]
    url: str
    revision: int
    first_published_at: datetime | None
    last_published_at: datetime | None
    last_reviewed_at: date | None
    reviewed_by: str
    next_review_due: date | None
    sections: list[SectionOut]
    faqs: list[FAQOut]
    references: list[ReferenceOut]
    disclaimer: str
    disclaimer_version: int | None


class PublicationOut(Schema):
    revision: int
    published_at: datetime
    summary: str
    editorial: bool


class HistoryOut(Schema):
    slug: str
    title: str
    url: str
    publications: list[PublicationOut]


class ErrorOut(Schema):
    detail: str


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _summary(monograph: Monograph) -> dict[str, Any]:
    return {
        "slug": monograph.slug,
        "title": monograph.title,
        "generic_name": monograph.generic_name,
        "other_names": [str(name) for name in monograph.other_names or []],
        "url": _site_url(monograph.get_absolute_url()),
        "api_url": _site_url(f"/api/v1/monographs/{monograph.slug}/"),
        "last_published_at": monograph.last_published_at,
    }


def _updated_since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise HttpError(400, "updated_since must be an ISO date or date-time, e.g. 2026-01-31")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return _site_url(f"{request.path}?{query.urlencode()}")


@api.get("/monographs/", response={200: MonographList, 400: ErrorOut}, tags=["monographs"])
@decorate_view(public_page("site", with_query=True))
def list_monographs(
    request: HttpRequest, page: int = 1, updated_since: str = "", letter: str = ""
) -> dict[str, Any]:
    """Published monographs by title, 50 a page."""
    monographs = Monograph.objects.published().only(
        "slug", "title", "generic_name", "other_names", "last_published_at", "sort_title"
    )
    if updated_since:
        monographs = monographs.filter(last_published_at__gte=_updated_since(updated_since))
    if letter:
        letter = letter.lower()
        if letter == DIGITS:
            monographs = monographs.exclude(
                sort_title__regex=r"^[a-z]"
            )  # sort_title is case-folded
        elif len(letter) == 1 and letter in string.ascii_lowercase:
            monographs = monographs.filter(sort_title__startswith=letter)
        else:
            raise HttpError(400, "letter must be one of a-z or 0-9")
    count = monographs.count()
    pages = max(1, -(-count // PAGE_SIZE))
    if page < 1 or page > pages:
        raise HttpError(400, f"page must be between 1 and {pages}")
    rows = monographs.order_by("sort_title", "slug")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "count": count,
        "page": page,
        "pages": pages,
        "next": _page_url(request, page + 1) if page < pages else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
        "results": [_summary(monograph) for monograph in rows],
    }


def _published(slug: str) -> Monograph:
    monograph = (
        Monograph.objects.published()
        .filter(slug=slug)
        .select_related("live_revision", "live_revision__disclaimer_version", "last_reviewed_by")
        .first()
    )
    if monograph is None:
        raise Http404("No published monograph with that address.")
    return monograph


def _reviewer(monograph: Monograph) -> str:
    user = monograph.last_reviewed_by
    return user.get_full_name().strip() if user is not None else ""


@api.get("/monographs/{slug}/", response={200: MonographOut, 404: ErrorOut}, tags=["monographs"])
@decorate_view(public_page("monograph"))
def monograph_detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One published monograph as the public page shows it (its live revision)."""
    monograph = _published(slug)
    live: Revision = monograph.live_revision
    content = MonographContent.from_dict(live.content)
    sections = [
        {
            "key": section.key,
            "heading": section.heading,
            "markdown": section.body,
            "html": section_html(section),
        }
        for section in content.sections
    ]
    refs = [
        ref.as_dict()
        for section in content.sections
        for ref in references.section_references(section)
    ]
    disclaimer = live.disclaimer_version
    return {
        "slug": monograph.slug,
        "title": content.title,
        "generic_name": content.generic_name,
        "other_names": list(content.other_names),
        "url": _site_url(monograph.get_absolute_url()),
        "revision": live.number,
        "first_published_at": monograph.first_published_at,
        "last_published_at": monograph.last_published_at,
        "last_reviewed_at": monograph.last_reviewed_at,
        "reviewed_by": _reviewer(monograph),
        "next_review_due": monograph.next_review_due,
        "sections": sections,
        "faqs": [{"question": f.question, "answer": f.answer} for f in content.faqs],
        "references": refs,
        "disclaimer": disclaimer.text if disclaimer else "",
        "disclaimer_version": disclaimer.number if disclaimer else None,
    }


@api.get(
    "/monographs/{slug}/history/", response={200: HistoryOut, 404: ErrorOut}, tags=["monographs"]
)
@decorate_view(public_page("monograph"))
def monograph_history(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Every publication of the monograph, newest first (drafts are never listed)."""
    monograph = _published(slug)
    publications = (
        monograph.revisions.published()
        .order_by("-number")
        .values("number", "published_at", "change_summary", "is_editorial")
    )
    return {
        "slug": monograph.slug,
        "title": monograph.title,
        "url": _site_url(monograph.get_absolute_url()),
        "publications": [
            {
                "revision": row["number"],
                "published_at": row["published_at"],
                "summary": row["change_summary"],
                "editorial": row["is_editorial"],
            }
            for row in publications
        ],
    }

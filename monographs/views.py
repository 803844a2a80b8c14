"""Public pages: thin readers of the live revision.

Every public view finds content through ``Monograph.objects.published()`` and shows the
live revision's stored ``rendered_html`` (no Markdown work on a published page). Pages are
the same for every visitor, so ``caching.public_page`` can cache them server-side and send
``Cache-Control: public`` with validators. The staff preview is the one exception: it
renders a revision at request time and is never cached.
"""

from __future__ import annotations

import logging
import re
import string
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.cache import never_cache

from . import workflow
from .caching import public_page
from .content import MonographContent
from .models import DisclaimerVersion, Monograph, Revision
from .page import DISCLAIMER_ID, DISCLAIMER_MARKER, build_article_html

logger = logging.getLogger(__name__)

RECENT_COUNT = 10
DIGITS_LABEL = "0–9"
DIGITS_ANCHOR = "digits"
META_DESCRIPTION_MAX = 160
# Seconds a 404 or 410 may be reused: short, so a new or restored page shows soon.
ERROR_MAX_AGE = 60


# --- A to Z ---------------------------------------------------------------------------------
@dataclass
class AtoZEntry:
    name: str
    slug: str
    see: str = ""  # the monograph's title when ``name`` is one of its other names

    @property
    def sort_key(self) -> tuple[str, str]:
        return (_fold(self.name), self.name)


@dataclass
class Letter:
    label: str
    anchor: str
    entries: list[AtoZEntry] = field(default_factory=list)


@lru_cache(maxsize=100_000)
def _fold(text: str) -> str:
    """Accents and case dropped, for sorting and grouping ("Éfavirenz" sorts under E)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def _letter_of(name: str) -> str:
    first = _fold(name)[:1].upper()
    return first if first in string.ascii_uppercase else DIGITS_LABEL


def a_to_z_letters() -> list[Letter]:
    """Every published monograph and each of its other names, grouped by first letter.

    Always the 26 letters (empty ones included, so the navigation can show them unlinked);
    "0–9" only when some name starts with something else. One query.
    """
    letters = {label: Letter(label, f"letter-{label.lower()}") for label in string.ascii_uppercase}
    # Monograph.title/other_names follow drafts only until the first publication; from then
    # on only a publication changes them (workflow._replace_latest / _publish), so for a
    # published monograph they are the live revision's names. Reading them from the live
    # revision's JSON instead joined and decompressed every revision: 0.52 s against
    # 0.05 s at 10,000 monographs.
    rows = Monograph.objects.published().values_list("title", "slug", "other_names")
    for title, slug, other_names in rows:
        title = str(title or slug)
        if not isinstance(other_names, list):
            other_names = []
        entries = [AtoZEntry(name=title, slug=slug)]
        seen = {_fold(title)}
        for other in other_names or []:
            other = str(other).strip()
            if other and _fold(other) not in seen:
                seen.add(_fold(other))
                entries.append(AtoZEntry(name=other, slug=slug, see=title))
        for entry in entries:
            label = _letter_of(entry.name)
            if label not in letters:
                letters[label] = Letter(label, DIGITS_ANCHOR)
            letters[label].entries.append(entry)
    for letter in letters.values():
        letter.entries.sort(key=lambda entry: entry.sort_key)
    return list(letters.values())


# --- helpers for the monograph pages -------------------------------------------------------
def _published_or_gone(slug: str, select: tuple[str, ...] = ()) -> Monograph:
    """The published monograph, or Gone (withdrawn: 410) / Http404 (unknown, never published)."""
    queryset = Monograph.objects.published().filter(slug=slug)
    monograph = (queryset.select_related(*select) if select else queryset).first()
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
    """Title and names as the revision has them (Monograph's own fields follow the draft)."""
    other_names = content.get("other_names") or []
    return {
        "title": content.get("title", ""),
        "generic_name": content.get("generic_name", ""),
        "other_names": [str(name) for name in other_names] if isinstance(other_names, list) else [],
    }


def split_disclaimer(article_html: str) -> tuple[str, str]:
    """The stored article HTML cut before its disclaimer block, so the page can put the
    review dates right below the content and the disclaimer after them."""
    body, marker, disclaimer = article_html.partition(DISCLAIMER_MARKER)
    return (body, marker + disclaimer) if marker else (article_html, "")


def reviewer_role(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """The role shown next to a reviewer's name on the public page."""
    if user is None:
        return ""
    group_names = {group.name for group in user.groups.all()}
    if "Moderators" in group_names:
        return "Moderator"
    if getattr(user, "is_superuser", False):
        return "Site administrator"
    if "Editors" in group_names:
        return "Editor"
    return "Reviewer"


def reviewer_name(user: Any) -> str:
    """The reviewer's display name; never their login name (none on record: no name shown)."""
    if user is None:
        return ""
    return user.get_full_name().strip()


def contents_list(content: dict[str, Any]) -> list[dict[str, str]]:
    """The "On this page" entries, read from the revision's JSON (no Markdown work)."""
    entries = [
        {"id": section["key"], "heading": section["heading"]}
        for section in content.get("sections", [])
        if section.get("key")
    ]
    entries.append({"id": DISCLAIMER_ID, "heading": "Disclaimer"})
    return entries


# A sentence ends at . ! or ? followed by space, but not after a common abbreviation
# ("e.g. 50 mg" must not cut the description short).
_SENTENCE_END = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bapprox\.)(?<!\bca\.)"
    r"(?<!\bDr\.)(?<!\bNo\.)(?<!\bincl\.)(?<=[.!?])\s+",
    re.IGNORECASE,
)


class _FirstParagraph(HTMLParser):
    """Text of the first <p> inside <section id="usage"> (or of the first section)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.section_depth = 0
        self.in_wanted = False
        self.in_paragraph = False
        self.done = False
        self.first_section_seen = False
        self.parts: list[str] = []
        self.fallback: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "section":
            self.section_depth += 1
            if self.section_depth == 1:
                self.in_wanted = dict(attrs).get("id") == "usage" or not self.first_section_seen
                self.first_section_seen = True
        elif tag == "p" and self.in_wanted and not self.in_paragraph:
            self.in_paragraph = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.section_depth:
            self.section_depth -= 1
        elif tag == "p" and self.in_paragraph:
            self.in_paragraph = False
            if "".join(self.parts).strip():
                self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_paragraph and not self.done:
            self.parts.append(data)


def meta_description(article_html: str) -> str:
    """The first sentence(s) of the Usage section, plain text, about 160 characters.

    Read from the stored, sanitized article HTML: a published page does no Markdown work.
    """
    parser = _FirstParagraph()
    parser.feed(article_html)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    description = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{description} {sentence}".strip()
        if description and len(candidate) > META_DESCRIPTION_MAX:
            break
        description = candidate
    if len(description) > META_DESCRIPTION_MAX:
        description = description[: META_DESCRIPTION_MAX - 1].rsplit(" ", 1)[0] + "…"
    return description


def _jsonld(monograph: Monograph, request: HttpRequest) -> str:
    try:
        from .structured_data import monograph_jsonld
    except ImportError:
        return ""
    try:
        return monograph_jsonld(monograph, request)
    except Exception:
        # Structured data is an extra for search engines; a bug there must not take the
        # medicine page down with it.
        logger.exception("JSON-LD failed for monograph %s", monograph.slug)
        return ""


def _canonical_url(monograph: Monograph) -> str:
    return settings.SITE_URL + monograph.get_absolute_url()


# --- public views ---------------------------------------------------------------------------
@public_page("site")
def home(request: HttpRequest) -> HttpResponse:
    rows = (
        Monograph.objects.published()
        .values_list(
            # The monograph's own title (its live one, see a_to_z_letters): selecting the
            # live revision's JSON made PostgreSQL decompress every revision before the
            # top-10 sort (0.5 s at 10,000 monographs).
            "slug",
            "last_reviewed_at",
            "last_published_at",
            "title",
        )
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
        {"letters": a_to_z_letters(), "recent": recent},
    )


@public_page("site")
def a_to_z(request: HttpRequest) -> HttpResponse:
    letters = a_to_z_letters()
    return render(
        request,
        "monographs/a_to_z.html",
        {"letters": letters, "has_entries": any(letter.entries for letter in letters)},
    )


@public_page("monograph")
def monograph_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        monograph = _published_or_gone(slug, select=("live_revision", "last_reviewed_by"))
    except Gone as gone:
        return _gone_response(request, gone.monograph)
    revision = monograph.live_revision
    reviewer = monograph.last_reviewed_by
    body, disclaimer = split_disclaimer(revision.rendered_html)
    response = render(
        request,
        "monographs/monograph_detail.html",
        {
            "monograph": monograph,
            "revision": revision,
            "names": public_names(revision.content),
            "article_body": body,
            "article_disclaimer": disclaimer,
            "contents": contents_list(revision.content),
            "reviewer_name": reviewer_name(reviewer),
            "reviewer_role": reviewer_role(reviewer),
            "meta_description": meta_description(revision.rendered_html),
            "canonical_url": _canonical_url(monograph),
            "jsonld": _jsonld(monograph, request),
        },
    )
    if monograph.last_published_at:
        response.content_changed_at = monograph.last_published_at.timestamp()
    return response


@public_page("monograph")
def monograph_history(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        monograph = _published_or_gone(slug, select=("live_revision",))
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
            "published_by__first_name",
            "published_by__last_name",
            "published_by__username",
            "disclaimer_version__number",
            "disclaimer_version__monograph_id",
        )
        .order_by("-published_at", "-number")
    )
    response = render(
        request,
        "monographs/monograph_history.html",
        {
            "monograph": monograph,
            "names": public_names(monograph.live_revision.content),
            "revisions": revisions,
            "canonical_url": settings.SITE_URL + request.path,
        },
    )
    if monograph.last_published_at:
        response.content_changed_at = monograph.last_published_at.timestamp()
    return response


def _preview_disclaimer(content: MonographContent) -> str:
    """The disclaimer the revision would go out with if it were published now."""
    if content.disclaimer.strip():
        return content.disclaimer
    current: DisclaimerVersion | None = workflow.current_site_disclaimer()
    return current.text if current is not None else workflow.DEFAULT_SITE_DISCLAIMER


@never_cache
def revision_preview(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    user = request.user
    # 404, not 403: a draft's existence is not the public's business.
    if not user.is_authenticated or not (workflow.can_edit(user) or workflow.can_review(user)):
        raise Http404("No such page.")
    revision = (
        Revision.objects.select_related("monograph", "created_by")
        .filter(monograph__slug=slug, number=number)
        .first()
    )
    if revision is None:
        raise Http404("No such revision.")
    content = revision.data
    body, disclaimer = split_disclaimer(build_article_html(content, _preview_disclaimer(content)))
    return render(
        request,
        "monographs/revision_preview.html",
        {
            "monograph": revision.monograph,
            "revision": revision,
            "names": public_names(revision.content),
            "article_body": body,
            "article_disclaimer": disclaimer,
            "contents": contents_list(revision.content),
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

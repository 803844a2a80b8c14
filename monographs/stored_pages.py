"""The complete public page of a monograph, rendered when it changes, not when it is read.

The workflow calls ``store(monograph)`` in every transaction that changes what a
monograph's public page shows (``workflow._invalidate_pages``: publish, import, revert,
withdraw, restore, review dates, scheduled publication) and ``rebuild_published`` calls
``store_many`` after rebuilding the parts. So a cache miss of ``/medicines/<slug>/`` is one
indexed query (``lookup``) and no template rendering.

A stored page is used only while it is provably current:

- its ``generation`` equals the monograph's ``page_generation`` as the serving process
  knows it (polled, ``caching.py``), which every change to the page raises in the same
  transaction (``caching.invalidate_monograph``): a change that did not store the page
  again simply makes the row unused;
- its ``schema`` equals ``SCHEMA``: a digest of the page code and templates
  (``caching.PAGE_SCHEMA``) and of the settings the page shows (site URL and name, static
  files storage and URL), so a deploy that changes any of them never serves an old page.

Otherwise the view renders the page from the live revision's parts with the same
``render`` (one query more) and ``manage.py rebuild_published --missing`` (run by
``make content`` and by the deploy steps) stores it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.template.loader import render_to_string

from . import caching
from .models import Monograph, Revision, StoredPage

TEMPLATE = "monographs/monograph_detail.html"

# What the page reads: the monograph's public fields and the live revision's stored parts
# (never its content JSON).
PAGE_FIELDS = (
    "slug",
    "title",
    "generic_name",
    "other_names",
    "live_revision_id",
    "withdrawn_at",
    "first_published_at",
    "last_published_at",
    "last_reviewed_at",
    "last_reviewed_by_name",
    "last_reviewed_by_role",
    "next_review_due",
    *(f"live_revision__{name}" for name in Revision.PART_FIELDS),
)


def _schema() -> str:
    static = settings.STORAGES["staticfiles"]["BACKEND"]
    shown = (caching.PAGE_SCHEMA, settings.SITE_URL, settings.MEDSITE_SITE_NAME)
    digest = hashlib.sha256(repr((*shown, static, settings.STATIC_URL)).encode())
    return digest.hexdigest()[:16]


SCHEMA = _schema()


@dataclass(frozen=True)
class Stored:
    html: str
    last_modified: int  # seconds since 1970, 0 when never published


def _lookup_sql() -> str:
    # Table name from the model; values are parameters. One table, its unique slug index:
    # a join with the monograph row (to compare generations there) cost PostgreSQL twice
    # the CPU of the whole lookup (planning), measured at 10,000 monographs.
    return (
        f"SELECT html, last_modified FROM {StoredPage._meta.db_table}"  # noqa: S608
        " WHERE slug = %s AND generation = %s AND schema = %s"
    )


_LOOKUP_SQL = _lookup_sql()


def lookup(slug: str, generation: int) -> Stored | None:
    """The stored page of a public monograph, if it is the page of ``generation`` (the
    monograph's ``page_generation`` as the serving process knows it)
    and was stored by this code: one query on a unique index."""
    # PostgreSQL: prepared once per connection (medsite/db/postgresql); else a plain cursor.
    with getattr(connection, "prepared_cursor", connection.cursor)() as cursor:
        cursor.execute(_LOOKUP_SQL, [slug, generation, SCHEMA])
        row = cursor.fetchone()
    return Stored(*row) if row is not None else None


def names(monograph: Monograph) -> dict[str, Any]:
    """The public names: the monograph's own fields, which follow the live revision once
    it is published (``workflow._publish``)."""
    other_names = monograph.other_names if isinstance(monograph.other_names, list) else []
    return {
        "title": monograph.title or monograph.slug,
        "generic_name": monograph.generic_name,
        "other_names": [str(name) for name in other_names],
    }


def render(monograph: Monograph, revision: Revision) -> str:
    """The public page from the monograph's fields and its live revision's stored parts.

    No request: the page is the same for every visitor (the public templates read nothing
    from the request or the user)."""
    return render_to_string(
        TEMPLATE,
        {
            "monograph": monograph,
            "revision": revision,
            "names": names(monograph),
            "article_body": revision.rendered_html,
            "article_disclaimer": revision.disclaimer_html,
            "contents": revision.contents,
            "meta_description": revision.meta_description,
            "canonical_url": settings.SITE_URL + monograph.get_absolute_url(),
            "jsonld": revision.jsonld,
        },
    )


def _public_revision(monograph: Monograph) -> Revision | None:
    if monograph.live_revision_id is None or monograph.withdrawn_at is not None:
        return None
    revision = monograph.live_revision
    return revision if revision is not None and revision.has_parts else None


def store(monograph: Monograph) -> None:
    """Store the page as it now is (call it inside the transaction that changed it, after
    ``caching.invalidate_monograph``), or drop it when the monograph is not public."""
    store_many([monograph])


_STORED_FIELDS = ["slug", "generation", "last_modified", "schema", "html"]


def store_many(monographs: Iterable[Monograph]) -> int:
    """Store the pages of these monographs (their live revisions loaded) and drop those of
    the ones that are not public: one upsert and one delete at most. Returns how many
    were stored."""
    pages, gone = [], []
    for monograph in monographs:
        revision = _public_revision(monograph)
        if revision is None:
            gone.append(monograph.pk)
            continue
        pages.append(
            StoredPage(
                monograph_id=monograph.pk,
                slug=monograph.slug,
                generation=monograph.page_generation,
                last_modified=_seconds(monograph.last_published_at),
                schema=SCHEMA,
                html=render(monograph, revision),
            )
        )
    if gone:
        StoredPage.objects.filter(monograph_id__in=gone).delete()
    if pages:
        StoredPage.objects.bulk_create(
            pages,
            update_conflicts=True,
            unique_fields=["monograph"],
            update_fields=_STORED_FIELDS,
        )
    return len(pages)


def _seconds(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def missing() -> QuerySet:
    """Public monographs without a current stored page (a queryset of their ids)."""
    current = StoredPage.objects.filter(
        schema=SCHEMA, generation=F("monograph__page_generation")
    ).values("monograph_id")
    return Monograph.objects.published().exclude(pk__in=current).values_list("pk", flat=True)

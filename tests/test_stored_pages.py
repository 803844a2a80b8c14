"""The complete monograph page stored when it changes (``stored_pages.py``, issue 8.3).

A cache miss of a monograph page reads the stored page: one query, no template. The stored
page must be exactly the page rendered from the parts, be replaced or dropped in the same
transaction as every change to the page, and never be used once something changed it
without storing it again (an invalidation, a deploy with other templates or site URL).
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monographs import caching, stored_pages, workflow
from monographs.models import Monograph, StoredPage
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def monograph(editor, moderator):
    return publish_new(sample_content("Testamol"), editor=editor, moderator=moderator)


def rendered_from_parts(monograph: Monograph) -> str:
    monograph = Monograph.objects.select_related("live_revision").get(pk=monograph.pk)
    return stored_pages.render(monograph, monograph.live_revision)


def stored_html(monograph: Monograph) -> str | None:
    """The stored page that serves the monograph's current page generation, if any."""
    generation = Monograph.objects.get(pk=monograph.pk).page_generation
    found = stored_pages.lookup(monograph.slug, generation)
    return found.html if found is not None else None


def miss(client, monograph: Monograph) -> tuple[bytes, int]:
    """The page on a cache miss, and the queries it took (the process knowing the current
    versions, as after its poll)."""
    cache.clear()
    caching.reset_process_state()
    caching._versions.refresh(force=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(monograph.get_absolute_url())
    assert response.status_code == 200
    return response.content, len(queries)


def test_a_publication_stores_the_page_a_miss_serves_in_one_query(client, monograph):
    assert stored_html(monograph) == rendered_from_parts(monograph)
    body, queries = miss(client, monograph)
    assert queries == 1
    assert body.decode() == rendered_from_parts(monograph)
    assert '<h1 id="page-title">Testamol</h1>' in body.decode()


def test_every_change_to_the_page_stores_it_again(client, monograph, editor, moderator):
    edit_and_publish(
        monograph,
        edited(sample_content("Testamol"), usage="Now for headaches only."),
        editor=editor,
        moderator=moderator,
    )
    assert "Now for headaches only." in stored_html(monograph)

    workflow.set_next_review_due(monograph=monograph, by=moderator, due=date(2031, 3, 4))
    assert "4 March 2031" in stored_html(monograph)
    body, queries = miss(client, monograph)
    assert queries == 1 and "4 March 2031" in body.decode()


def test_a_withdrawal_drops_the_page_and_a_restore_stores_it(client, monograph, moderator):
    workflow.withdraw(monograph=monograph, by=moderator, reason="Recalled")
    assert not StoredPage.objects.filter(monograph=monograph).exists()
    cache.clear()
    assert client.get(monograph.get_absolute_url()).status_code == 410

    workflow.restore(monograph=monograph, by=moderator, reason="Back")
    assert stored_html(monograph) == rendered_from_parts(monograph)


def test_a_change_that_did_not_store_the_page_makes_it_unused(client, monograph, committing):
    """Any invalidation raises the page generation: the row no longer matches it."""
    before = stored_html(monograph)
    with_invalidation = Monograph.objects.get(pk=monograph.pk)
    # As a change that forgot to store the page would do:
    committing(caching.invalidate_monograph, with_invalidation)
    Monograph.objects.filter(pk=monograph.pk).update(title="Renamed without storing")

    assert stored_html(monograph) is None
    body, queries = miss(client, monograph)
    assert queries == 2  # the lookup, then the page from its parts
    assert "Renamed without storing" in body.decode()
    assert body.decode() != before


def test_a_page_stored_by_other_code_or_settings_is_not_served(
    client, monograph, editor, moderator
):
    StoredPage.objects.filter(monograph=monograph).update(html="OLD TEMPLATES", schema="0ld")
    body, queries = miss(client, monograph)
    assert b"OLD TEMPLATES" not in body and queries == 2
    assert body.decode() == rendered_from_parts(monograph)

    # rebuild_published --missing (make run, a deploy) stores it again, without touching
    # what is already current and without a rebuild of the parts.
    other = publish_new(sample_content("Otherol"), editor=editor, moderator=moderator)
    current = StoredPage.objects.get(monograph=other).html
    out = io.StringIO()
    call_command("rebuild_published", "--missing", stdout=out)
    assert "Stored the current page of 1 monograph(s)." in out.getvalue()
    assert "Rebuilt" not in out.getvalue()
    assert StoredPage.objects.get(monograph=other).html == current
    body, queries = miss(client, monograph)
    assert queries == 1 and body.decode() == rendered_from_parts(monograph)


def test_the_schema_follows_what_the_page_shows(monkeypatch, settings):
    """Site URL, site name, static storage and URL, page code and templates."""
    base = stored_pages._schema()
    static = {**settings.STORAGES["staticfiles"], "BACKEND": "another.Storage"}
    for name, value in [
        ("SITE_URL", "https://medicines.example"),
        ("MEDSITE_SITE_NAME", "Other name"),
        ("STATIC_URL", "/assets/"),
        ("STORAGES", {**settings.STORAGES, "staticfiles": static}),
    ]:
        before = getattr(settings, name)
        setattr(settings, name, value)
        assert stored_pages._schema() != base, name
        setattr(settings, name, before)
    monkeypatch.setattr(caching, "PAGE_SCHEMA", "another")
    assert stored_pages._schema() != base
    monkeypatch.undo()
    assert stored_pages._schema() == base


def test_rebuild_published_stores_the_rebuilt_pages(monograph):
    StoredPage.objects.all().delete()
    call_command("rebuild_published", stdout=io.StringIO())
    assert stored_html(monograph) == rendered_from_parts(monograph)


def test_the_stored_page_has_the_rendered_pages_validators(client, monograph):
    """Same bytes, same ETag and Last-Modified, whichever way the miss was answered."""

    def fresh_get():
        cache.clear()
        caching.reset_process_state()
        caching._versions.refresh(force=True)
        return client.get(monograph.get_absolute_url())

    stored = fresh_get()
    StoredPage.objects.filter(monograph=monograph).update(schema="0ld")
    rendered = fresh_get()
    assert (stored.page_cache, rendered.page_cache) == ("stored", "render")
    assert stored.content == rendered.content
    for header in ("ETag", "Last-Modified", "Cache-Control", "Content-Type"):
        assert stored[header] == rendered[header], header

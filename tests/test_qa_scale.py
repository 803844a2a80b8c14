"""Operations: the site keeps serving when its cache fails, error pages are not cached for
long, and the public pages stay within their query budget however big the catalogue is."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monographs import caching, search, views, workflow
from monographs.models import Monograph
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


class BrokenCache(BaseCache):
    """A cache whose server has gone away: every call fails, as redis-py's do."""

    calls = 0

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def _fail(self, *args: object, **kwargs: object) -> None:
        BrokenCache.calls += 1
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = set = add = delete = get_many = set_many = clear = touch = has_key = _fail


@pytest.fixture(autouse=True)
def fresh_cache_state(monkeypatch):
    cache.clear()
    monkeypatch.setattr(caching, "_retry_after", 0.0, raising=False)
    monkeypatch.setattr(caching, "_pending_bumps", set(), raising=False)
    BrokenCache.calls = 0
    yield
    cache.clear()


@pytest.fixture
def monograph(editor, moderator, committing) -> Monograph:
    return committing(publish_new, sample_content("Outagol"), editor=editor, moderator=moderator)


@pytest.fixture
def broken_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "tests.test_qa_scale.BrokenCache"}}


def public_urls(monograph: Monograph) -> list[str]:
    return [
        reverse("monographs:home"),
        reverse("monographs:a_to_z"),
        monograph.get_absolute_url(),
        reverse("monographs:history", args=[monograph.slug]),
    ]


# --- the cache goes away --------------------------------------------------------------


def test_every_public_page_renders_when_the_cache_is_down(client, monograph, broken_cache):
    for url in public_urls(monograph):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Outagol" in response.content.decode(), url
        assert "public" in response["Cache-Control"], url
        # Validators still work without the cache: the ETag is the page's own hash.
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, url


def test_the_monograph_page_keeps_its_last_modified_without_the_cache(
    client, monograph, broken_cache
):
    response = client.get(monograph.get_absolute_url())
    assert "Last-Modified" in response
    again = client.get(
        monograph.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]
    )
    assert again.status_code == 304


def test_a_real_redis_client_with_nothing_listening_does_not_take_pages_down(
    client, monograph, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Port 1 on loopback: connection refused, as when Redis has stopped.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = client.get(monograph.get_absolute_url())
    assert response.status_code == 200
    assert "Outagol" in response.content.decode()


def test_after_a_failure_the_cache_is_left_alone_for_a_while(
    client, monograph, broken_cache, settings
):
    settings.MEDSITE_CACHE_RETRY_SECONDS = 60
    for _ in range(5):
        assert client.get(monograph.get_absolute_url()).status_code == 200
    # One failed call, then none: a hanging Redis must not add its timeout to every page.
    assert BrokenCache.calls == 1


def test_the_cache_is_tried_again_after_the_retry_delay(client, monograph, settings, monkeypatch):
    settings.MEDSITE_CACHE_RETRY_SECONDS = 60
    monkeypatch.setattr(caching, "_cache", lambda: BrokenCache("", {}))
    client.get(monograph.get_absolute_url())
    monkeypatch.undo()
    monkeypatch.setattr(caching, "_retry_after", 0.0)  # the delay has passed
    client.get(monograph.get_absolute_url())
    assert cache.get(caching.SITE_STAMP_KEY) is not None or cache.get(
        f"medsite:stamp:monograph:{monograph.slug}"
    )


def test_a_publish_during_an_outage_shows_once_the_cache_is_back(
    client, monograph, editor, moderator, committing, monkeypatch, settings
):
    settings.MEDSITE_CACHE_RETRY_SECONDS = 0
    url = monograph.get_absolute_url()
    assert "Outagol is used to treat" in client.get(url).content.decode()  # cached now

    # Redis is unreachable while the moderator publishes: the publish still succeeds...
    monkeypatch.setattr(caching, "_cache", lambda: BrokenCache("", {}))
    committing(
        edit_and_publish,
        monograph,
        edited(sample_content("Outagol"), usage="Text published during the outage."),
        editor=editor,
        moderator=moderator,
    )
    assert "Text published during the outage." in client.get(url).content.decode()

    # ...and when Redis comes back with its old contents, the page cached before the
    # publish is not served again.
    monkeypatch.setattr(caching, "_cache", lambda: cache)
    assert "Text published during the outage." in client.get(url).content.decode()
    assert "Text published during the outage." in client.get(url).content.decode()


# --- error pages --------------------------------------------------------------------------


def test_404_may_be_kept_only_briefly_and_never_as_a_public_page(client, monograph):
    response = client.get("/medicines/not-published-yet/")
    assert response.status_code == 404
    control = response.get("Cache-Control", "")
    # A monograph published a minute later must not stay hidden behind a cached 404.
    assert "max-age=" in control
    assert int(control.split("max-age=")[1].split(",")[0]) <= 60
    assert "public" not in control


def test_410_of_a_withdrawn_monograph_is_not_cached_for_long(
    client, monograph, moderator, committing
):
    committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Safety review")
    response = client.get(monograph.get_absolute_url())
    assert response.status_code == 410
    control = response.get("Cache-Control", "")
    assert "max-age=" in control
    assert int(control.split("max-age=")[1].split(",")[0]) <= 60
    assert "public" not in control


def test_a_signed_in_users_404_is_not_cached_at_all(client, editor):
    client.force_login(editor)
    response = client.get("/medicines/not-published-yet/")
    assert response.status_code == 404
    assert "no-cache" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_server_error_page_is_never_cached(rf):
    from monographs.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "no-store" in response["Cache-Control"]


# --- search at scale ----------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored search document is PostgreSQL's"
)


@postgresql_only
def test_postgresql_search_ranks_on_the_stored_document_not_a_recomputed_one(monograph):
    with CaptureQueriesContext(connection) as queries:
        outcome = search.search("fever pain")
    ranked = [q["sql"] for q in queries.captured_queries if "ts_rank" in q["sql"]]
    assert ranked, "the ranked search query ran"
    # to_tsvector over every matching monograph's text made a common word take 14 s at
    # 10,000 monographs; the generated column (migration 0006) is computed once per write.
    assert '"search_document"' in ranked[0]
    assert "to_tsvector" not in ranked[0]
    assert [result.title for result in outcome.results] == ["Outagol"]


@postgresql_only
def test_the_stored_document_follows_each_publication(monograph, editor, moderator, committing):
    assert search.search("zanzibarine").results == []
    committing(
        edit_and_publish,
        monograph,
        edited(sample_content("Outagol"), usage="Now mentions zanzibarine."),
        editor=editor,
        moderator=moderator,
    )
    assert [r.title for r in search.search("zanzibarine").results] == ["Outagol"]


# --- A to Z at scale ------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["monographs:a_to_z", "monographs:home"])
def test_the_lists_read_names_without_touching_revisions(client, monograph, page):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(page))
    assert response.status_code == 200
    # Joining every live revision to read names out of its JSON cost half a second at
    # 10,000 monographs; the published names are on the monograph row.
    assert all("monographs_revision" not in q["sql"] for q in queries.captured_queries)


def test_a_draft_after_publication_does_not_rename_the_a_to_z_entry(
    client, monograph, editor, committing
):
    committing(
        workflow.save_draft,
        monograph=monograph,
        content=edited(sample_content("Outagol"), title="Draftonol", other_names=["Brandidraft"]),
        by=editor,
        summary="Rename",
        based_on=monograph.latest_revision,
    )
    cache.clear()
    page = client.get(reverse("monographs:a_to_z")).content.decode()
    assert "Outagol" in page
    assert "Draftonol" not in page and "Brandidraft" not in page


# --- the cache cannot be filled from outside ----------------------------------------------


def test_unknown_addresses_leave_nothing_in_the_cache(client, monograph):
    for number in range(20):
        assert client.get(f"/medicines/no-such-medicine-{number}/").status_code == 404
        assert client.get(f"/medicines/no-such-medicine-{number}/history/").status_code == 404
    # Each stamp is kept forever (timeout=None): one per made-up slug would let anyone fill
    # Redis until it refuses writes.
    assert all(
        cache.get(f"medsite:stamp:monograph:no-such-medicine-{number}") is None
        for number in range(20)
    )


def test_a_first_visit_creates_the_stamp_and_caches_the_page(
    client, monograph, django_assert_num_queries
):
    cache.clear()
    first = client.get(monograph.get_absolute_url())
    assert cache.get(f"medsite:stamp:monograph:{monograph.slug}") is not None
    with django_assert_num_queries(0):
        again = client.get(monograph.get_absolute_url())
    assert again.content == first.content


def test_a_page_rendered_while_a_publish_lands_is_not_cached(client, monograph, monkeypatch):
    cache.clear()
    stamp_key = f"medsite:stamp:monograph:{monograph.slug}"
    original = views.render

    def render_then_publish(*args, **kwargs):
        response = original(*args, **kwargs)
        # A publish on another server commits while this (now old) page is being built.
        caching.invalidate_monograph(monograph)
        return response

    monkeypatch.setattr(views, "render", render_then_publish)
    client.get(monograph.get_absolute_url())
    monkeypatch.setattr(views, "render", original)
    stamp = cache.get(stamp_key)
    assert stamp is not None
    stored_pages = [k for k in cache._cache if "medsite:page:" in k and f":{stamp}:" in k]
    assert stored_pages == []


def test_head_is_answered_from_the_page_get_cached(client, monograph, django_assert_num_queries):
    get = client.get(monograph.get_absolute_url())
    with django_assert_num_queries(0):
        head = client.head(monograph.get_absolute_url())
    assert head.status_code == 200
    assert head["ETag"] == get["ETag"]
    assert head.content == b""

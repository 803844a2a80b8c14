"""HTTP caching (Cache-Control, ETag, Last-Modified, 304) and the server-side page cache,
invalidated by the workflow when what the public sees changes."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse

from monographs import caching, workflow
from monographs.models import Monograph, SiteVersion
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

pytestmark = pytest.mark.django_db

NAMES = ["Panadolo"]


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def monograph(editor, moderator, committing) -> Monograph:
    return committing(
        publish_new,
        sample_content("Testamol", other_names=NAMES),
        editor=editor,
        moderator=moderator,
    )


def public_urls(monograph: Monograph) -> list[str]:
    return [
        reverse("monographs:home"),
        reverse("monographs:letter", args=["o"]),
        monograph.get_absolute_url(),
        reverse("monographs:history", args=[monograph.slug]),
    ]


def test_public_pages_send_public_max_age_etag_and_last_modified(client, monograph, settings):
    settings.MEDSITE_PUBLIC_MAX_AGE = 123
    for url in public_urls(monograph):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "public, max-age=123", url
        assert response["ETag"].startswith('"'), url
        assert response["Last-Modified"].endswith("GMT"), url
        assert "Cookie" not in response.get("Vary", ""), url


def test_conditional_get_answers_304_on_etag_and_on_date(client, monograph):
    for url in public_urls(monograph):
        first = client.get(url)
        by_etag = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        other_etag = client.get(url, HTTP_IF_NONE_MATCH='"something-else"')

        assert by_etag.status_code == 304, url
        assert by_etag.content == b""
        assert by_etag["ETag"] == first["ETag"]
        assert by_date.status_code == 304, url
        assert other_etag.status_code == 200, url


def test_a_cached_page_is_served_without_database_queries(
    client, monograph, django_assert_num_queries
):
    for url in public_urls(monograph):
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content


def test_publish_shows_the_new_text_on_the_next_request(
    client, monograph, editor, moderator, committing
):
    url = monograph.get_absolute_url()
    before = client.get(url)
    assert "Testamol is used to treat" in before.content.decode()

    committing(
        edit_and_publish,
        monograph,
        edited(sample_content("Testamol", other_names=NAMES), usage="NEW usage text."),
        editor=editor,
        moderator=moderator,
        summary="New usage",
    )
    after = client.get(url)
    assert "NEW usage text." in after.content.decode()
    assert after["ETag"] != before["ETag"]
    # The old copy is no longer current: a client revalidating with it gets the new page.
    assert client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    history = client.get(reverse("monographs:history", args=[monograph.slug]))
    assert "New usage" in history.content.decode()


def test_a_new_monograph_appears_in_the_cached_home_and_a_to_z(
    client, monograph, editor, moderator, committing
):
    # The A to Z's names are on its letter pages (the index has counts).
    letter_z = reverse("monographs:letter", args=["z"])
    for url in (reverse("monographs:home"), letter_z):
        assert "Zedamol" not in client.get(url).content.decode()
    committing(publish_new, sample_content("Zedamol"), editor=editor, moderator=moderator)
    for url in (reverse("monographs:home"), letter_z):
        assert "Zedamol" in client.get(url).content.decode(), url


def test_withdraw_and_restore_change_the_cached_pages(client, monograph, moderator, committing):
    url = monograph.get_absolute_url()
    a_to_z = reverse("monographs:letter", args=["t"])
    assert client.get(url).status_code == 200
    assert "Testamol" in client.get(a_to_z).content.decode()

    committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Under review")
    gone = client.get(url)
    assert gone.status_code == 410
    assert "public" not in gone.get("Cache-Control", "")
    assert "Testamol" not in client.get(a_to_z).content.decode()

    committing(workflow.restore, monograph=monograph, by=moderator, reason="Checked")
    assert client.get(url).status_code == 200
    assert "Testamol" in client.get(a_to_z).content.decode()


def test_revert_shows_the_reverted_text(client, monograph, editor, moderator, committing):
    first = Monograph.objects.get(pk=monograph.pk).live_revision
    committing(
        edit_and_publish,
        monograph,
        edited(sample_content("Testamol", other_names=NAMES), usage="SECOND usage text."),
        editor=editor,
        moderator=moderator,
    )
    url = monograph.get_absolute_url()
    assert "SECOND usage text." in client.get(url).content.decode()

    revert = committing(workflow.revert_to, revision=first, by=editor, summary="Back to v1")
    committing(workflow.submit, revision=revert, by=editor)
    committing(workflow.approve, revision=revert, by=moderator, content_hash=revert.content_hash)
    html = client.get(url).content.decode()
    assert "SECOND usage text." not in html
    assert "Testamol is used to treat" in html


def test_saving_a_draft_leaves_the_cached_page_alone(client, monograph, editor, committing):
    url = monograph.get_absolute_url()
    before = client.get(url)
    committing(
        workflow.save_draft,
        monograph=monograph,
        content=edited(sample_content("Testamol", other_names=NAMES), usage="DRAFT text."),
        by=editor,
        summary="Draft",
        based_on=monograph.latest_revision,
    )
    after = client.get(url)
    assert "DRAFT text." not in after.content.decode()
    assert after["ETag"] == before["ETag"]


def test_a_new_review_date_shows_at_once(client, monograph, moderator, committing):
    url = monograph.get_absolute_url()
    client.get(url)
    due = date.today() + timedelta(days=40)
    committing(workflow.set_next_review_due, monograph=monograph, by=moderator, due=due)
    assert f"{due:%-d %B %Y}" in client.get(url).content.decode()


def test_invalidation_is_written_to_the_database_in_the_publishing_transaction(
    monograph, editor, moderator, committing
):
    """Another app server learns from the database, not from the cache: the versions are
    rows, written with the publication (a cache that loses them hides nothing)."""
    before = SiteVersion.objects.get(pk=1).generation
    page_before = Monograph.objects.get(pk=monograph.pk).page_generation
    assert page_before == before  # set by the first publication

    committing(
        edit_and_publish,
        monograph,
        edited(sample_content("Testamol", other_names=NAMES), usage="Again."),
        editor=editor,
        moderator=moderator,
    )
    after = SiteVersion.objects.get(pk=1).generation
    assert after > before
    assert Monograph.objects.get(pk=monograph.pk).page_generation == after


def test_a_rolled_back_change_leaves_the_versions_alone(monograph, moderator):
    before = SiteVersion.objects.get(pk=1).generation
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.withdraw(monograph=monograph, by=moderator, reason="Oops")
        raise RuntimeError("the request failed after the withdrawal")
    assert SiteVersion.objects.get(pk=1).generation == before
    assert Monograph.objects.get(pk=monograph.pk).page_generation == before


def test_generations_only_move_forward_even_when_a_clock_is_behind(monograph):
    SiteVersion.objects.filter(pk=1).update(generation=10**17)  # a clock far ahead
    caching.invalidate_monograph(monograph)
    assert SiteVersion.objects.get(pk=1).generation == 10**17 + 1
    assert Monograph.objects.get(pk=monograph.pk).page_generation == 10**17 + 1


def test_an_emptied_cache_only_costs_a_render(client, monograph):
    url = monograph.get_absolute_url()
    first = client.get(url)
    cache.clear()  # eviction, restart of the cache server
    again = client.get(url)
    assert again.status_code == 200
    assert again.content == first.content


def test_preview_is_never_cached(client, monograph, editor):
    draft = workflow.save_draft(
        monograph=monograph,
        content=edited(sample_content("Testamol", other_names=NAMES), usage="ONE"),
        by=editor,
        summary="Draft",
        based_on=monograph.latest_revision,
    ).revision
    client.force_login(editor)
    response = client.get(draft.get_preview_url())
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "ETag" not in response
    assert "public" not in response["Cache-Control"]


def test_404_is_not_cached(client, monograph):
    response = client.get("/medicines/nothing-here/")
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


def test_unknown_cache_scope_is_refused():
    with pytest.raises(ValueError, match="Unknown cache scope"):
        caching.public_page("everything")


def test_invalidate_all_re_renders_every_public_page(client, monograph, committing):
    """No page is served from a copy kept before: each is rendered again, or (the monograph
    page) read from the page stored when it last changed."""
    urls = public_urls(monograph)
    for url in urls:
        client.get(url)
    assert {url: client.get(url).page_cache for url in urls} == dict.fromkeys(urls, "cache")

    committing(caching.invalidate_all)
    sources = {url: client.get(url).page_cache for url in urls}
    assert sources == {
        url: "stored" if url == monograph.get_absolute_url() else "render" for url in urls
    }


def test_site_generation_changes_when_a_listing_may_change(
    monograph, editor, moderator, committing
):
    first = caching.site_generation()
    assert caching.site_generation() == first  # stable while nothing happens
    committing(publish_new, sample_content("Zedamol"), editor=editor, moderator=moderator)
    second = caching.site_generation()
    assert second != first
    committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Checked")
    third = caching.site_generation()
    assert third != second
    committing(caching.invalidate_all)
    assert caching.site_generation() != third


def test_a_key_function_replaces_the_query_string_in_the_key(rf):
    calls = []

    @caching.public_page("site", key=lambda request: request.GET.get("q", "").strip().lower())
    def view(request):
        calls.append(request.GET["q"])
        return HttpResponse(f"results for {request.GET['q']}")

    first = view(rf.get("/search/", {"q": "Fever"}))
    same = view(rf.get("/search/", {"q": " fever ", "page": "ignored"}))
    other = view(rf.get("/search/", {"q": "pain"}))
    assert calls == ["Fever", "pain"]
    assert same.content == first.content == b"results for Fever"
    assert other.content == b"results for pain"


# --- when the cache fails, error pages, and filling the cache from outside ---------------


class BrokenCache(BaseCache):
    """A cache whose server has gone away: every call fails, as redis-py's do."""

    calls = 0

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def _fail(self, *args: object, **kwargs: object) -> None:
        BrokenCache.calls += 1
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = set = add = delete = get_many = set_many = clear = touch = has_key = _fail


@pytest.fixture
def broken_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "tests.test_caching.BrokenCache"}}


class OutagolCase:
    """A published monograph, "Outagol", and the page cache's module state reset around it."""

    @pytest.fixture(autouse=True)
    def fresh_cache_state(self, monkeypatch):
        cache.clear()
        monkeypatch.setattr(caching, "_retry_after", 0.0, raising=False)
        BrokenCache.calls = 0
        yield
        cache.clear()

    @pytest.fixture
    def monograph(self, editor, moderator, committing) -> Monograph:
        return committing(
            publish_new, sample_content("Outagol"), editor=editor, moderator=moderator
        )


class TestWhenTheCacheIsDown(OutagolCase):
    """The site keeps serving when its cache fails."""

    def test_every_public_page_renders_when_the_cache_is_down(
        self, client, monograph, broken_cache
    ):
        for url in public_urls(monograph):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Outagol" in response.content.decode(), url
            assert "public" in response["Cache-Control"], url
            # Validators still work without the cache: the ETag is the page's own hash.
            assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, url

    def test_the_monograph_page_keeps_its_last_modified_without_the_cache(
        self, client, monograph, broken_cache
    ):
        response = client.get(monograph.get_absolute_url())
        assert "Last-Modified" in response
        again = client.get(
            monograph.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]
        )
        assert again.status_code == 304

    def test_a_real_redis_client_with_nothing_listening_does_not_take_pages_down(
        self, client, monograph, settings
    ):
        settings.CACHES = {
            "default": {
                "BACKEND": "medsite.cache.RedisCache",
                # Port 1 on loopback: connection refused, as when Redis has stopped.
                "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
        response = client.get(monograph.get_absolute_url())
        assert response.status_code == 200
        assert "Outagol" in response.content.decode()

    def test_after_a_failure_the_cache_is_left_alone_for_a_while(
        self, client, monograph, broken_cache, settings
    ):
        settings.MEDSITE_CACHE_RETRY_SECONDS = 60
        for _ in range(5):
            assert client.get("/").status_code == 200
        # One failed call, then none: a hanging Redis must not add its timeout to every page.
        assert BrokenCache.calls == 1

    def test_the_cache_is_tried_again_after_the_retry_delay(
        self, client, monograph, settings, monkeypatch
    ):
        settings.MEDSITE_CACHE_RETRY_SECONDS = 60
        monkeypatch.setattr(caching, "_cache", lambda: BrokenCache("", {}))
        client.get(monograph.get_absolute_url())
        monkeypatch.undo()
        monkeypatch.setattr(caching, "_retry_after", 0.0)  # the delay has passed
        client.get(reverse("monographs:a_to_z"))
        assert any("medsite:page:" in key for key in cache._cache)

    def test_a_publish_during_an_outage_shows_once_the_cache_is_back(
        self, client, monograph, editor, moderator, committing, monkeypatch, settings
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


class TestErrorPages(OutagolCase):
    """Error pages are not cached for long, or not at all."""

    def test_404_may_be_kept_only_briefly_and_never_as_a_public_page(self, client, monograph):
        response = client.get("/medicines/not-published-yet/")
        assert response.status_code == 404
        control = response.get("Cache-Control", "")
        # A monograph published a minute later must not stay hidden behind a cached 404.
        assert "max-age=" in control
        assert int(control.split("max-age=")[1].split(",")[0]) <= 60
        assert "public" not in control

    def test_410_of_a_withdrawn_monograph_is_not_cached_for_long(
        self, client, monograph, moderator, committing
    ):
        committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Safety review")
        response = client.get(monograph.get_absolute_url())
        assert response.status_code == 410
        control = response.get("Cache-Control", "")
        assert "max-age=" in control
        assert int(control.split("max-age=")[1].split(",")[0]) <= 60
        assert "public" not in control

    def test_a_signed_in_users_404_is_not_cached_at_all(self, client, editor):
        client.force_login(editor)
        response = client.get("/medicines/not-published-yet/")
        assert response.status_code == 404
        assert "no-cache" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]

    def test_a_server_error_page_is_never_cached(self, rf):
        from monographs.views import server_error

        response = server_error(rf.get("/"))
        assert response.status_code == 500
        assert "no-store" in response["Cache-Control"]


class TestTheCacheCannotBeFilledFromOutside(OutagolCase):
    """Pages are stored only for what exists."""

    def test_unknown_addresses_leave_nothing_in_the_cache(self, client, monograph):
        for number in range(20):
            assert client.get(f"/medicines/no-such-medicine-{number}/").status_code == 404
            assert client.get(f"/medicines/no-such-medicine-{number}/history/").status_code == 404
        # Versions live in the database and 404s are not cached: made-up slugs cannot fill
        # the cache until it refuses writes.
        assert all(
            cache.get(f"medsite:stamp:monograph:no-such-medicine-{number}") is None
            for number in range(20)
        )
        assert not [key for key in cache._cache if "medsite:page:" in key]

    def test_a_first_visit_caches_the_page(self, client, monograph, django_assert_num_queries):
        cache.clear()
        caching.reset_process_state(loaded=True)
        first = client.get(monograph.get_absolute_url())
        assert [key for key in cache._cache if "medsite:page:" in key]
        with django_assert_num_queries(0):
            again = client.get(monograph.get_absolute_url())
        assert again.content == first.content

    def test_a_page_rendered_while_a_publish_lands_is_not_served_after_it(
        self, client, monograph, monkeypatch, committing
    ):
        original = caching._stored_entry
        built = []

        def build_then_publish(*args):
            entry = original(*args)
            built.append(entry is not None)
            if len(built) == 1:
                # A publish on another server commits while this (now old) page is built.
                committing(caching.invalidate_monograph, monograph)
            return entry

        monkeypatch.setattr(caching, "_stored_entry", build_then_publish)
        first = client.get(monograph.get_absolute_url())
        # It was cached under the version read before the view ran, no longer current; the
        # stored page, of the version before too, is not used either.
        second = client.get(monograph.get_absolute_url())
        assert built == [True, False]
        assert (first.page_cache, second.page_cache) == ("stored", "render")
        assert first.content == second.content  # the same page, rendered from its parts

    def test_head_is_answered_from_the_page_get_cached(
        self, client, monograph, django_assert_num_queries
    ):
        get = client.get(monograph.get_absolute_url())
        with django_assert_num_queries(0):
            head = client.head(monograph.get_absolute_url())
        assert head.status_code == 200
        assert head["ETag"] == get["ETag"]
        assert head.content == b""


# --- what a hit costs -------------------------------------------------------------------------


class CountingCache:
    """The configured cache, counting the calls made to it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


@pytest.fixture
def counting_cache(monkeypatch):
    counting = CountingCache(cache)
    monkeypatch.setattr(caching, "_cache", lambda: counting)
    return counting


def test_a_hit_is_one_cache_round_trip_and_no_query(
    client, monograph, settings, counting_cache, django_assert_num_queries
):
    settings.MEDSITE_PAGE_MEMORY_BYTES = 0  # no in-process copy: every hit asks the cache
    for url in public_urls(monograph):
        client.get(url)
        counting_cache.calls.clear()
        with django_assert_num_queries(0):
            hit = client.get(url)
        assert hit.status_code == 200
        assert counting_cache.calls == ["get"], url


def test_a_hot_page_costs_no_cache_round_trip_at_all(client, monograph, counting_cache, settings):
    settings.MEDSITE_PAGE_MEMORY_BYTES = 24 * 1024 * 1024  # the default in front of Redis
    for url in public_urls(monograph):
        client.get(url)
        counting_cache.calls.clear()
        assert client.get(url).status_code == 200
        assert counting_cache.calls == [], url


def test_the_version_poll_is_one_query_per_interval_not_per_request(
    client, monograph, settings, django_assert_num_queries
):
    url = monograph.get_absolute_url()
    client.get(url)
    settings.MEDSITE_VERSION_POLL_SECONDS = 0  # poll on every request
    with django_assert_num_queries(1):  # the site version row; nothing changed
        client.get(url)
    settings.MEDSITE_VERSION_POLL_SECONDS = 3600
    with django_assert_num_queries(0):
        client.get(url)


def test_the_in_process_copies_stay_within_their_byte_bound(client, monograph, settings):
    settings.MEDSITE_PAGE_MEMORY_BYTES = 64 * 1024
    client.get(monograph.get_absolute_url())
    for number in range(40):
        caching._memory.put(f"test:{number}", {"content": b"x" * 4000})
    assert caching._memory.size <= 64 * 1024
    assert 0 < len(caching._memory.entries) < 40
    assert "test:39" in caching._memory.entries  # the most recent stay
    assert "test:0" not in caching._memory.entries


def test_anonymous_public_pages_leave_session_user_and_messages_alone(client, monograph):
    for url in public_urls(monograph) * 2:  # a miss, then a hit
        response = client.get(url)
        assert response.status_code == 200
        request = response.wsgi_request
        assert not request.session.accessed, url
        assert not hasattr(request, "_cached_user"), f"{url} looked up the user"
        assert not request._messages.used and not request._messages._queued_messages, url
        assert "Set-Cookie" not in response and not response.cookies, url
        assert "Cookie" not in response.get("Vary", ""), url


# --- another process publishes ------------------------------------------------------------


def test_a_publication_by_another_process_is_seen_at_the_next_poll(
    client, monograph, editor, moderator, settings
):
    url = monograph.get_absolute_url()
    assert "NEW" not in client.get(url).content.decode()
    # Published elsewhere: this process runs no on-commit step for it.
    edit_and_publish(
        monograph,
        edited(sample_content("Testamol", other_names=NAMES), usage="NEW text."),
        editor=editor,
        moderator=moderator,
    )
    assert "NEW text." not in client.get(url).content.decode()  # poll not due yet
    settings.MEDSITE_VERSION_POLL_SECONDS = 0
    assert "NEW text." in client.get(url).content.decode()


def test_versions_are_reloaded_when_the_database_goes_back(client, monograph, settings):
    """A database restored from a backup (or a test rolled back) has older versions."""
    settings.MEDSITE_VERSION_POLL_SECONDS = 0
    client.get(monograph.get_absolute_url())
    caching._versions.site = 10**18  # as if it had known a later version
    caching._versions.pages[monograph.slug] = 10**18
    client.get(monograph.get_absolute_url())
    assert (
        caching._versions.pages[monograph.slug]
        == Monograph.objects.get(pk=monograph.pk).page_generation
    )


# --- no stampede after a publication ------------------------------------------------------


def _site_view(renders, pause=0.3):
    @caching.public_page("site")
    def view(request):
        renders.append(caching._versions.site)
        time.sleep(pause)
        return HttpResponse(f"version {caching._versions.site}")

    return view


def _in_threads(view, rf, count):
    barrier = threading.Barrier(count)
    bodies = [None] * count

    def worker(index):
        barrier.wait()
        bodies[index] = view(rf.get("/listing/")).content

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return bodies


def test_after_a_publication_one_request_rebuilds_a_site_page_the_others_get_the_previous(
    rf, monograph, editor, moderator, committing
):
    renders = []
    view = _site_view(renders)
    old = view(rf.get("/listing/")).content
    committing(publish_new, sample_content("Zedamol"), editor=editor, moderator=moderator)
    caching.reset_stats()

    bodies = _in_threads(view, rf, 8)

    assert len(renders) == 2  # the first visit, then one rebuild for eight requests
    new = f"version {caching._versions.site}".encode()
    assert bodies.count(new) == 1
    assert bodies.count(old) == 7
    assert caching.stats()["renders"] == 1
    assert caching.stats()["stale_served"] == 7
    assert view(rf.get("/listing/")).content == new  # and then everyone gets the new one


def test_no_previous_copy_after_a_withdrawal(rf, monograph, moderator, committing):
    renders = []
    view = _site_view(renders)
    view(rf.get("/listing/"))
    committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Safety")
    bodies = _in_threads(view, rf, 4)
    new = f"version {caching._versions.site}".encode()
    assert bodies == [new] * 4  # a withdrawn medicine is never listed again, even briefly
    assert len(renders) == 5


def test_the_previous_copy_is_served_only_briefly_after_the_publication(
    rf, monograph, editor, moderator, committing, settings
):
    settings.MEDSITE_STALE_SECONDS = 0
    renders = []
    view = _site_view(renders)
    view(rf.get("/listing/"))
    committing(publish_new, sample_content("Zedamol"), editor=editor, moderator=moderator)
    bodies = _in_threads(view, rf, 4)
    assert bodies == [f"version {caching._versions.site}".encode()] * 4


def test_monograph_pages_are_never_served_stale(client, monograph, editor, moderator, committing):
    url = monograph.get_absolute_url()
    client.get(url)
    committing(
        edit_and_publish,
        monograph,
        edited(sample_content("Testamol", other_names=NAMES), usage="NEW text."),
        editor=editor,
        moderator=moderator,
    )
    cache.add(f"medsite:rebuilding:{caching.PAGE_SCHEMA}:anything", 1)
    assert "NEW text." in client.get(url).content.decode()


def test_the_counters_can_be_read_and_reset_from_the_command_line(client, monograph):
    from io import StringIO

    from django.core.management import call_command

    client.get(reverse("monographs:home"))
    client.get(reverse("monographs:home"))  # a hit: not counted
    out = StringIO()
    call_command("page_cache_stats", stdout=out)
    assert json.loads(out.getvalue()) == {"renders": 1, "stale_served": 0}
    out = StringIO()
    call_command("page_cache_stats", "--reset", stdout=out)
    assert json.loads(out.getvalue()) == {"renders": 0, "stale_served": 0}


def test_in_process_copies_by_default_only_in_front_of_a_shared_cache(settings):
    settings.MEDSITE_PAGE_MEMORY_BYTES = None
    assert caching._memory_limit() == 0  # local memory: the cache is in the process already
    settings.CACHES = {
        "default": {
            "BACKEND": "medsite.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert caching._memory_limit() == 24 * 1024 * 1024


def test_the_page_schema_follows_the_templates_and_the_static_manifest(tmp_path, settings):
    from monographs import caching

    (tmp_path / "templates" / "monographs").mkdir(parents=True)
    template = tmp_path / "templates" / "monographs" / "home.html"
    template.write_text("<h1>Medicines</h1>")
    settings.BASE_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    first = caching.page_schema()
    assert caching.page_schema() == first  # stable while nothing changes
    template.write_text("<h1>Medicines A to Z</h1>")
    second = caching.page_schema()
    assert second != first
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "staticfiles.json").write_text('{"paths": {"css/site.css": "x"}}')
    assert caching.page_schema() not in (first, second)

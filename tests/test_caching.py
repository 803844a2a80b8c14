"""HTTP caching (Cache-Control, ETag, Last-Modified, 304) and the server-side page cache,
invalidated by the workflow when what the public sees changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.http import HttpResponse
from django.urls import reverse

from monographs import caching, views, workflow
from monographs.models import Monograph
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


def test_invalidation_lives_in_the_shared_cache_not_in_the_process(client, monograph):
    """Another app server sharing the cache sees the bump: the stamps are cache entries."""
    site_before = cache.get(caching.SITE_STAMP_KEY)
    client.get(monograph.get_absolute_url())
    page_before = cache.get(f"medsite:stamp:monograph:{monograph.slug}")

    caching.invalidate_monograph(monograph)

    assert cache.get(f"medsite:stamp:monograph:{monograph.slug}") > page_before
    assert cache.get(caching.SITE_STAMP_KEY) > (site_before or 0)


def test_stamps_only_move_forward_even_when_a_clock_is_behind(monograph, monkeypatch):
    key = f"medsite:stamp:monograph:{monograph.slug}"
    cache.set(key, 10**30, timeout=None)  # set by a server whose clock runs far ahead
    caching.invalidate_monograph(monograph)
    assert cache.get(key) == 10**30 + 1


def test_missing_stamps_are_recreated_and_pages_still_render(client, monograph):
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


def test_invalidate_all_re_renders_every_public_page(client, monograph, monkeypatch):
    from monographs import views

    urls = public_urls(monograph)
    for url in urls:
        client.get(url)
    rendered = []
    original = views.render
    monkeypatch.setattr(views, "render", lambda *a, **k: rendered.append(1) or original(*a, **k))
    for url in urls:
        client.get(url)
    assert rendered == []  # all cached

    caching.invalidate_all()
    for url in urls:
        client.get(url)
    assert len(rendered) == len(urls)


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
    caching.invalidate_all()
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
        monkeypatch.setattr(caching, "_pending_bumps", set(), raising=False)
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
        self, client, monograph, broken_cache, settings
    ):
        settings.MEDSITE_CACHE_RETRY_SECONDS = 60
        for _ in range(5):
            assert client.get(monograph.get_absolute_url()).status_code == 200
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
        client.get(monograph.get_absolute_url())
        assert cache.get(caching.SITE_STAMP_KEY) is not None or cache.get(
            f"medsite:stamp:monograph:{monograph.slug}"
        )

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
    """Stamps and pages are stored only for what exists."""

    def test_unknown_addresses_leave_nothing_in_the_cache(self, client, monograph):
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
        self, client, monograph, django_assert_num_queries
    ):
        cache.clear()
        first = client.get(monograph.get_absolute_url())
        assert cache.get(f"medsite:stamp:monograph:{monograph.slug}") is not None
        with django_assert_num_queries(0):
            again = client.get(monograph.get_absolute_url())
        assert again.content == first.content

    def test_a_page_rendered_while_a_publish_lands_is_not_cached(
        self, client, monograph, monkeypatch
    ):
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

    def test_head_is_answered_from_the_page_get_cached(
        self, client, monograph, django_assert_num_queries
    ):
        get = client.get(monograph.get_absolute_url())
        with django_assert_num_queries(0):
            head = client.head(monograph.get_absolute_url())
        assert head.status_code == 200
        assert head["ETag"] == get["ETag"]
        assert head.content == b""

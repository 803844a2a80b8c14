"""HTTP caching (Cache-Control, ETag, Last-Modified, 304) and the server-side page cache,
invalidated by the workflow when what the public sees changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

from monographs import caching, workflow
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
        reverse("monographs:a_to_z"),
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
    for url in (reverse("monographs:home"), reverse("monographs:a_to_z")):
        assert "Zedamol" not in client.get(url).content.decode()
    committing(publish_new, sample_content("Zedamol"), editor=editor, moderator=moderator)
    for url in (reverse("monographs:home"), reverse("monographs:a_to_z")):
        assert "Zedamol" in client.get(url).content.decode(), url


def test_withdraw_and_restore_change_the_cached_pages(client, monograph, moderator, committing):
    url = monograph.get_absolute_url()
    a_to_z = reverse("monographs:a_to_z")
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

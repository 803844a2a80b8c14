"""/sitemap.xml and /robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.workflow_helpers import (
    IBUPROFEN,
    METFORMIN,
    NALTREXONE,
    RANITIDINE_WITHDRAWN,
    ZOLPIDEM_DRAFT,
    content_for,
    make_monograph,
)

SITE = "https://medicines.example.org"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
MANY = [content_for(f"Medol {n}", usage=f"Medol {n} is used in tests.") for n in range(5)]


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture(autouse=True)
def empty_page_cache():
    # The sitemaps are served through the page cache; rows written directly (make_monograph)
    # bump no stamp.
    cache.clear()
    yield
    cache.clear()


def sitemap_pages(client, **extra) -> list[str]:
    """The sitemap index's entries (paths of the per-section sitemaps, pages included)."""
    response = client.get(reverse("monographs:sitemap"), **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    locations = [item.find("sm:loc", NS).text for item in root.findall("sm:sitemap", NS)]
    assert all(location.startswith(SITE + "/") for location in locations)
    return [location.removeprefix(SITE) for location in locations]


def sitemap_entries(client, **extra) -> dict[str, str | None]:
    """Every URL the sitemaps list (through the index), each with its lastmod; a URL
    listed twice fails."""
    entries: dict[str, str | None] = {}
    for path in sitemap_pages(client, **extra):
        response = client.get(path, **extra)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("application/xml")
        root = ET.fromstring(response.content)  # noqa: S314 - our own output
        for url in root.findall("sm:url", NS):
            lastmod = url.find("sm:lastmod", NS)
            location = url.find("sm:loc", NS).text
            assert location not in entries, f"{location} listed twice"
            entries[location] = lastmod.text if lastmod is not None else None
    return entries


def test_sitemap_lists_home_a_to_z_and_only_published_monographs(client, db):
    naltrexone = make_monograph(NALTREXONE)
    metformin = make_monograph(METFORMIN)
    make_monograph(ZOLPIDEM_DRAFT, published=False)
    make_monograph(RANITIDINE_WITHDRAWN, withdrawn=True)

    entries = sitemap_entries(client)
    assert set(entries) == {
        f"{SITE}/",
        f"{SITE}/medicines/",
        f"{SITE}/medicines/metformin/",
        f"{SITE}/medicines/naltrexone/",
    }
    assert (
        entries[f"{SITE}/medicines/naltrexone/"] == naltrexone.last_published_at.date().isoformat()
    )
    assert entries[f"{SITE}/medicines/metformin/"] == metformin.last_published_at.date().isoformat()


def test_sitemap_lastmod_follows_the_last_publication(client, db):
    monograph = make_monograph(IBUPROFEN)
    monograph.last_published_at = timezone.now() - timedelta(days=40)
    monograph.save()
    entries = sitemap_entries(client)
    expected = monograph.last_published_at.date().isoformat()
    assert entries[f"{SITE}/medicines/ibuprofen/"] == expected


def test_sitemap_urls_ignore_the_request_host(client, db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    make_monograph(NALTREXONE)
    entries = sitemap_entries(client, HTTP_HOST="evil.example")
    assert all(loc.startswith(f"{SITE}/") for loc in entries)


def test_sitemap_through_the_workflow_drops_a_withdrawn_monograph(
    client, editor, moderator, committing
):
    from monographs import workflow
    from tests.workflow_helpers import publish_new, sample_content

    monograph = publish_new(sample_content("Testamol"), editor=editor, moderator=moderator)
    draft_only = workflow.create_monograph(
        content=sample_content("Draftamol"), by=editor, summary="New"
    ).monograph
    location = f"{SITE}{monograph.get_absolute_url()}"
    entries = sitemap_entries(client)
    assert location in entries
    assert f"{SITE}{draft_only.get_absolute_url()}" not in entries

    # The cached sitemaps are invalidated when the withdrawal commits.
    committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Safety review")
    assert location not in sitemap_entries(client)


def test_robots_txt_allows_the_site_and_keeps_out_admin_markdownx_and_previews(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /markdownx/",
        "Disallow: /medicines/*/preview/",
        "Allow: /",
        "",
        f"Sitemap: {SITE}/sitemap.xml",
    ]
    assert "public" in response["Cache-Control"]


def test_robots_preview_rule_matches_a_real_preview_url(db):
    import re

    from monographs.seo_views import robots_lines

    rule = next(line for line in robots_lines() if "preview" in line).split(": ", 1)[1]
    as_regex = re.compile("^" + re.escape(rule).replace(r"\*", "[^/]+"))
    preview = reverse("monographs:preview", kwargs={"slug": "naltrexone", "number": 3})
    assert as_regex.match(preview)
    assert not as_regex.match(reverse("monographs:detail", kwargs={"slug": "naltrexone"}))


def test_robots_txt_refuses_post(client, db):
    assert client.post("/robots.txt").status_code == 405


def test_sitemap_locations_are_the_monographs_own_addresses(client, db):
    monographs = [make_monograph(NALTREXONE), make_monograph(METFORMIN)]
    entries = sitemap_entries(client)
    for monograph in monographs:
        assert f"{SITE}{monograph.get_absolute_url()}" in entries


def test_sitemap_reverses_the_route_once_not_per_monograph(client, db, monkeypatch):
    from monographs import sitemaps

    make_monograph(NALTREXONE)
    make_monograph(METFORMIN)
    make_monograph(IBUPROFEN)
    calls = []
    real_reverse = sitemaps.reverse

    def counting_reverse(name, *args, **kwargs):
        calls.append(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(sitemaps, "reverse", counting_reverse)
    monkeypatch.setattr("monographs.models.reverse", counting_reverse)
    urls = sitemaps.MonographSitemap().get_urls()
    assert len(urls) == 3
    # One reverse() for 3 monographs (or 10,000): it was a third of a second at 10,000.
    assert calls.count("monographs:detail") == 1


def test_a_sitemap_index_pages_each_section_past_its_limit(client, db, monkeypatch):
    from monographs import sitemaps

    # 50,000 URLs a sitemap is the protocol's limit; a small one shows the paging.
    monkeypatch.setattr(sitemaps.MonographSitemap, "limit", 2)
    published = [make_monograph(c, slug=f"med-{n}") for n, c in enumerate(MANY)]
    make_monograph(ZOLPIDEM_DRAFT, published=False)
    make_monograph(RANITIDINE_WITHDRAWN, withdrawn=True)

    pages = sitemap_pages(client)
    assert pages == [
        "/sitemap-pages.xml",
        "/sitemap-monographs.xml",
        "/sitemap-monographs.xml?p=2",
        "/sitemap-monographs.xml?p=3",
    ]
    entries = sitemap_entries(client)  # fails on a URL listed twice
    monograph_urls = {url for url in entries if url.startswith(f"{SITE}/medicines/med-")}
    assert monograph_urls == {f"{SITE}{m.get_absolute_url()}" for m in published}
    assert client.get("/sitemap-monographs.xml?p=4").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_the_sitemap_index_gives_each_section_its_latest_lastmod(client, db):
    old = make_monograph(IBUPROFEN)
    old.last_published_at = timezone.now() - timedelta(days=40)
    old.save()
    newest = make_monograph(METFORMIN)
    response = client.get(reverse("monographs:sitemap"))
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    lastmods = {
        item.find("sm:loc", NS).text: item.find("sm:lastmod", NS)
        for item in root.findall("sm:sitemap", NS)
    }
    assert lastmods[f"{SITE}/sitemap-monographs.xml"].text.startswith(
        newest.last_published_at.date().isoformat()
    )


def test_the_sitemaps_are_served_from_the_page_cache_until_a_publication(
    client, editor, moderator, committing, django_assert_num_queries
):
    from tests.workflow_helpers import publish_new, sample_content

    committing(publish_new, sample_content("Testamol"), editor=editor, moderator=moderator)
    sitemap_entries(client)
    with django_assert_num_queries(0):
        sitemap_entries(client)
    committing(publish_new, sample_content("Newamol"), editor=editor, moderator=moderator)
    assert f"{SITE}/medicines/newamol/" in sitemap_entries(client)

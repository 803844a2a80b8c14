"""Sitemaps: an index at /sitemap.xml and one sitemap per section at
/sitemap-<section>.xml (``?p=2``… when a section holds more than ``limit`` URLs, 50,000 by
the protocol), built with Django's sitemap framework and served through the page cache
(the site stamp: every publication, withdrawal and restore renders them afresh).

URLs are built from ``settings.SITE_URL`` (the Sites framework isn't installed, and the
request's Host header is not to be trusted for addresses search engines keep).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from .caching import public_page
from .models import Monograph


class SiteUrlSitemap(Sitemap):
    """A sitemap whose protocol and domain come from ``SITE_URL``, not the request."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class StaticPagesSitemap(SiteUrlSitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["monographs:home", "monographs:a_to_z"]

    def location(self, item: str) -> str:
        return reverse(item)


class MonographSitemap(SiteUrlSitemap):
    """Every published monograph once (a stable order, so pages do not overlap)."""

    changefreq = "weekly"

    def items(self) -> QuerySet[Monograph]:
        # The one public filter: no drafts, nothing withdrawn.
        return (
            Monograph.objects.published()
            .only("slug", "last_published_at")
            .order_by("sort_title", "slug")
        )

    def get_latest_lastmod(self) -> datetime | None:
        # One aggregate, not a pass over every monograph (Sitemap's default).
        return Monograph.objects.published().aggregate(latest=Max("last_published_at"))["latest"]

    def get_urls(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        # reverse() per monograph was two thirds of the sitemap's time at 10,000 monographs;
        # the route is reversed once and each slug put in its place.
        before, marker, after = reverse("monographs:detail", kwargs={"slug": "SLUG"}).partition(
            "SLUG"
        )
        self._detail_parts = (before, after) if marker else None
        return super().get_urls(*args, **kwargs)

    def location(self, monograph: Monograph) -> str:
        parts = getattr(self, "_detail_parts", None)
        if parts is None:
            return monograph.get_absolute_url()
        return parts[0] + quote(monograph.slug) + parts[1]

    def lastmod(self, monograph: Monograph) -> datetime | None:
        return monograph.last_published_at


SITEMAPS: dict[str, type[Sitemap]] = {"pages": StaticPagesSitemap, "monographs": MonographSitemap}


@public_page("site")
def index(request: HttpRequest) -> HttpResponse:
    """The sitemap index: each section's sitemap, one entry per page of it."""
    items = []
    for name, sitemap_class in SITEMAPS.items():
        site = sitemap_class()
        url = settings.SITE_URL + reverse("monographs:sitemap_section", kwargs={"section": name})
        lastmod = site.get_latest_lastmod()
        items.append(SitemapIndexItem(url, lastmod))
        items.extend(
            SitemapIndexItem(f"{url}?p={number}", lastmod)
            for number in range(2, site.paginator.num_pages + 1)
        )
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )


@public_page("site", with_query=True)
def section(request: HttpRequest, section: str) -> HttpResponse:
    """One page of one section (``?p=N``); an unknown section or page is a 404."""
    return django_sitemap(request, sitemaps=SITEMAPS, section=section)

"""PLACEHOLDER (owned by the search/SEO work)."""

from django.contrib.sitemaps import Sitemap

from .models import Monograph


class MonographSitemap(Sitemap):
    def items(self):
        return Monograph.objects.published()


SITEMAPS = {"monographs": MonographSitemap}

"""robots.txt: crawl everything public; keep crawlers out of the admin, markdownx and
staff previews; point them at the sitemap."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

ROBOTS_MAX_AGE = 24 * 60 * 60


def _preview_pattern() -> str:
    """ "/medicines/*/preview/" from the URL conf, so a moved route moves the rule too."""
    sample = reverse("monographs:preview", kwargs={"slug": "SLUG", "number": 1})
    prefix, _slug, rest = sample.partition("SLUG")
    return prefix + "*" + rest[: rest.index("/preview/") + len("/preview/")]


def _markdownx_prefix() -> str:
    """ "/markdownx/": the folder holding markdownx's preview and upload URLs."""
    preview = settings.MARKDOWNX_URLS_PATH.rstrip("/")
    return preview.rsplit("/", 1)[0] + "/"


def robots_lines() -> list[str]:
    return [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        f"Disallow: {_markdownx_prefix()}",
        f"Disallow: {_preview_pattern()}",
        "Allow: /",
        "",
        f"Sitemap: {settings.SITE_URL}{reverse('monographs:sitemap')}",
    ]


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("\n".join(robots_lines()) + "\n", content_type="text/plain")
    patch_cache_control(response, public=True, max_age=ROBOTS_MAX_AGE)
    return response

"""Public URLs. Names are a contract: templates, tests and other modules use them.

The A to Z's letter pages (``/medicines/a/`` … ``/medicines/z/``, ``/medicines/0-9/``) come
before the monograph route; the workflow refuses those slugs (and any one-character slug),
so no monograph is ever hidden behind a letter page.
"""

from django.urls import path, register_converter

from . import atoz, changes_views, search_views, seo_views, sitemaps, views


class LetterConverter:
    regex = "[a-z]|0-9"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        if value not in atoz.CODES:
            raise ValueError(f"{value!r} is not an A to Z letter")
        return value


register_converter(LetterConverter, "letter")

app_name = "monographs"

urlpatterns = [
    path("", views.home, name="home"),
    path("medicines/", views.a_to_z, name="a_to_z"),
    path("medicines/<letter:letter>/", views.a_to_z_letter, name="letter"),
    path("medicines/<slug:slug>/", views.monograph_detail, name="detail"),
    path("medicines/<slug:slug>/history/", views.monograph_history, name="history"),
    path(
        "medicines/<slug:slug>/changes/<int:number>/",
        changes_views.monograph_changes,
        name="changes",
    ),
    path(
        "medicines/<slug:slug>/preview/<int:number>/",
        views.revision_preview,
        name="preview",
    ),
    path("search/", search_views.search, name="search"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<str:section>.xml", sitemaps.section, name="sitemap_section"),
    path("robots.txt", seo_views.robots_txt, name="robots_txt"),
]

"""Public URLs. Names are a contract: templates, tests and other modules use them."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import changes_views, search_views, seo_views, views
from .sitemaps import SITEMAPS

app_name = "monographs"

urlpatterns = [
    path("", views.home, name="home"),
    path("medicines/", views.a_to_z, name="a_to_z"),
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
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", seo_views.robots_txt, name="robots_txt"),
]

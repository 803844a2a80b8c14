"""Public URLs (thin views in views.py). Names are a contract: templates and tests use them."""

from django.urls import path

from . import views

app_name = "monographs"

urlpatterns = [
    path("", views.home, name="home"),
    path("medicines/", views.a_to_z, name="a_to_z"),
    path("medicines/<slug:slug>/", views.monograph_detail, name="detail"),
    path("medicines/<slug:slug>/history/", views.monograph_history, name="history"),
    path(
        "medicines/<slug:slug>/preview/<int:number>/",
        views.revision_preview,
        name="preview",
    ),
    path("search/", views.search, name="search"),
]

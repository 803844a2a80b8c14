"""django-markdownx URLs, served by our locked-down views (see markdownx_views.py).

The names are markdownx's own: its widget reads settings.MARKDOWNX_URLS_PATH and
MARKDOWNX_UPLOAD_URLS_PATH, which point here (mounted at /markdownx/ in medsite/urls.py).
"""

from django.urls import path

from .markdownx_views import ImageUploadView, MarkdownifyView

urlpatterns = [
    path("upload/", ImageUploadView.as_view(), name="markdownx_upload"),
    path("markdownify/", MarkdownifyView.as_view(), name="markdownx_markdownify"),
]

"""django-markdownx URLs. PLACEHOLDER: replaced by the locked-down views."""

from django.urls import path

from markdownx.views import ImageUploadView, MarkdownifyView

urlpatterns = [
    path("upload/", ImageUploadView.as_view(), name="markdownx_upload"),
    path("markdownify/", MarkdownifyView.as_view(), name="markdownx_markdownify"),
]

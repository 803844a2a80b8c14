from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("markdownx/", include("monographs.markdownx_urls")),
    path("", include("monographs.urls")),
]

handler400 = "monographs.views.bad_request"
handler403 = "monographs.views.permission_denied"
handler404 = "monographs.views.page_not_found"
handler500 = "monographs.views.server_error"

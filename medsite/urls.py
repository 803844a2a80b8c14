from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from medsite import health
from monographs.api import api
from monographs.two_factor import two_factor_view

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Before the admin's own URLs: the admin would answer this path with its catch-all 404.
    path("admin/two-factor/", two_factor_view, name="two_factor"),
    path("admin/", admin.site.urls),
    path("markdownx/", include("monographs.markdownx_urls")),
    path("api/v1/", api.urls),
    path("", include("monographs.urls")),
]

handler400 = "monographs.views.bad_request"
handler403 = "monographs.views.permission_denied"
handler404 = "monographs.views.page_not_found"
handler500 = "monographs.views.server_error"

if settings.DEBUG:
    # Editors' uploaded images in development; production serves MEDIA_ROOT from the web server.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

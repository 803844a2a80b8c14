"""Security headers on every response: CSP (django-csp), Permissions-Policy, HSTS and the
https redirect in production (switchable), X-Frame-Options and friends."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

URLS = ["/", "/medicines/", "/search/?q=x", "/admin/login/", "/no-such-page/"]


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("url", URLS)
def test_every_response_has_a_strict_csp(client, url):
    directives = csp_directives(client.get(url))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    header = " ".join(sum(directives.values(), []))
    assert "unsafe-inline" not in header and "unsafe-eval" not in header and "*" not in header


@pytest.mark.parametrize("url", URLS)
def test_every_response_has_a_permissions_policy(client, url):
    policy = client.get(url)["Permissions-Policy"]
    for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"]:
        assert feature in policy


def test_admin_pages_have_the_csp_too(client, superuser):
    client.force_login(superuser)
    assert csp_directives(client.get("/admin/"))["script-src"] == ["'self'"]


def test_other_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_production_redirects_http_and_sends_hsts_over_https(client):
    response = client.get("/medicines/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/medicines/"
    secure = client.get("/medicines/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")

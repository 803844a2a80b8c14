"""Site-wide request/response rules for security: Permissions-Policy, staff idle timeout,
mandatory two-factor for moderators and superusers.

Each is small and reads its setting on every request, so tests can switch it with
``override_settings``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from monographs import auth

LAST_SEEN_KEY = "medsite_last_seen"
# The session is written at most this often just to move the idle clock.
_TOUCH_EVERY_SECONDS = 60

Handler = Callable[[HttpRequest], HttpResponse]


def _has_session_cookie(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (settings.MEDSITE_PERMISSIONS_POLICY) to every response."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "MEDSITE_PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class StaffIdleTimeoutMiddleware:
    """Signs a staff user out after MEDSITE_STAFF_IDLE_MINUTES without a request.

    The request that finds the session idle is handled as an anonymous one: the admin sends it
    to the login page with ``next`` set, and nothing it posted is acted on. What was typed in
    the edit form survives in the browser tab (static/monographs/admin.js) and is offered back
    after signing in again.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        minutes = int(getattr(settings, "MEDSITE_STAFF_IDLE_MINUTES", 0) or 0)
        # Readers have no session cookie: their requests never touch the session (no
        # "Vary: Cookie" on public pages, which caching relies on).
        user = getattr(request, "user", None) if _has_session_cookie(request) else None
        if minutes > 0 and user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > minutes * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {minutes} minutes without activity. "
                    "Sign in again to carry on; text you had typed is offered back.",
                )
            elif not isinstance(last_seen, int) or now - last_seen >= _TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class StaffTwoFactorMiddleware:
    """With MEDSITE_REQUIRE_2FA, moderators and superusers must pass a TOTP check first.

    Until they do, every admin page except sign-in, sign-out and the two-factor page itself
    redirects to the two-factor page (enrol when they have no device, verify when they do),
    and every other page treats them as an anonymous visitor (no preview, no editor upload).
    Needs django_otp.middleware.OTPMiddleware before it (``request.user.is_verified``).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None) if _has_session_cookie(request) else None
        if (
            getattr(settings, "MEDSITE_REQUIRE_2FA", False)
            and user is not None
            and user.is_authenticated
            and auth.two_factor_required(user)
            and not user.is_verified()
        ):
            two_factor_url = reverse("two_factor")
            exempt = (
                two_factor_url,
                reverse("admin:login"),
                reverse("admin:logout"),
                reverse("admin:jsi18n"),
            )
            admin_root = reverse("admin:index")
            if request.path.startswith(admin_root):
                if not request.path.startswith(exempt):
                    query = urlencode({"next": request.get_full_path()})
                    return HttpResponseRedirect(f"{two_factor_url}?{query}")
            else:
                request.user = AnonymousUser()
        return self.get_response(request)

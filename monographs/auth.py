"""Staff sign-in rules: demo accounts, lockouts in the audit log, who must use two factors.

- The demo accounts (`manage.py create_demo_accounts`) have published passwords. With DEBUG off
  no one signs in with one of them (`MedsiteModelBackend`), and `check --deploy` fails while a
  demo account still has its demo password (monographs/checks.py).
- django-axes locks an address/user-name pair out after repeated failures;
  `record_lockout` writes each lockout to the audit log with the address (connected to
  axes' `user_locked_out` signal in monographs/apps.py).
- `two_factor_required`: moderators (who publish) and superusers, when MEDSITE_REQUIRE_2FA is on.
"""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger(__name__)

# username, password, group, superuser, full name. The passwords are in README.md: public.
DEMO_ACCOUNTS = [
    ("editor", "editor-demo-2026", "Editors", False, "Erin Editor"),
    ("moderator", "moderator-demo-2026", "Moderators", False, "Morgan Moderator"),
    ("admin", "admin-demo-2026", None, True, "Ada Admin"),
]
DEMO_PASSWORDS = frozenset(password for _, password, *_ in DEMO_ACCOUNTS)

# Moderators publish; a stolen moderator or superuser password is what two factors guard.
PUBLISH_PERMISSION = "monographs.review_monograph"


def is_demo_password(password: Any) -> bool:
    if not isinstance(password, str):
        return False
    return any(hmac.compare_digest(password, demo) for demo in DEMO_PASSWORDS)


def demo_accounts_with_demo_passwords() -> list[str]:
    """User names of demo accounts that still sign in with their published password."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    found = []
    for username, password, *_ in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is not None and user.has_usable_password() and user.check_password(password):
            found.append(username)
    return found


class MedsiteModelBackend(ModelBackend):
    """Django's ModelBackend, except that with DEBUG off a published demo password never
    signs anyone in (whatever the account)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not settings.DEBUG and is_demo_password(password):
            logger.warning("sign-in with a demo password refused (DEBUG is off): %r", username)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for lockouts (django-axes' AXES_CLIENT_IP_CALLABLE).

    Behind MEDSITE_TRUSTED_PROXIES reverse proxies (each appends the address it got the request
    from to X-Forwarded-For) the client is that many entries from the right; what a client
    writes into the header itself sits further left and is never believed. Without proxies,
    REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = int(getattr(settings, "MEDSITE_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return remote


def two_factor_required(user: Any) -> bool:
    """Whether MEDSITE_REQUIRE_2FA applies to this user: superusers and moderators."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.has_perm(PUBLISH_PERMISSION))


def record_lockout(*, ip_address: str | None, username: str | None) -> None:
    """Write one sign-in lockout to the audit log (the only place that does).

    axes signals a lockout again for every attempt made while locked out; those are the same
    lockout, so one entry per address/user-name pair and cool-off period.
    """
    from .models import AuditEntry

    address = ip_address or "unknown address"
    name = (username or "")[:150]
    cooloff = timedelta(hours=float(getattr(settings, "AXES_COOLOFF_TIME", None) or 1))
    already = AuditEntry.objects.filter(
        action=AuditEntry.Action.SIGNIN_LOCKOUT,
        created_at__gte=timezone.now() - cooloff,
        details__ip_address=ip_address or "",
        details__username=name,
    ).exists()
    if already:
        return
    AuditEntry.objects.create(
        action=AuditEntry.Action.SIGNIN_LOCKOUT,
        actor=None,
        message=f"Sign-in locked out for {name!r} from {address} after repeated failures",
        details={"ip_address": ip_address or "", "username": name},
    )
    logger.warning("sign-in lockout: user name %r from %s", name, address)


def _on_user_locked_out(
    sender: Any, request: Any = None, username: Any = None, ip_address: Any = None, **kwargs: Any
) -> None:
    record_lockout(ip_address=ip_address, username=username if isinstance(username, str) else "")

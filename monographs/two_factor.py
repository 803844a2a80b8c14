"""Two-factor sign-in for staff (django-otp, TOTP): enrol and verify at /admin/two-factor/.

A staff user with no confirmed device sees a QR code (inline SVG made here by segno; no outside
service sees the secret), the secret in text and the otpauth URI; the first code from their
authenticator app confirms the device and verifies this session. A user with a device enters
a code to verify the session. With MEDSITE_REQUIRE_2FA=1, medsite.middleware sends moderators
and superusers here before any other admin page. django-otp throttles wrong codes per device.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit():
            raise forms.ValidationError("Enter the digits your authenticator app shows.")
        return token


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", dark="#000", light="#fff"
    )
    return mark_safe(svg)  # noqa: S308  (segno's SVG of our own URI: paths, no script)


@never_cache
@csrf_protect
def two_factor_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    next_url = _next_url(request)
    confirmed = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid() and _check(form, confirmed):
            otp_login(request, confirmed)
            messages.success(request, "Two-factor check passed.")
            return HttpResponseRedirect(next_url)
        context = {"mode": "verify", "verified": user.is_verified()}
    else:
        device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        if request.method == "POST" and form.is_valid() and _check(form, device):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(
                request, "Two-factor sign-in is on: you will be asked for a code next time."
            )
            return HttpResponseRedirect(next_url)
        uri = device.config_url
        context = {
            "mode": "enrol",
            "qr_svg": _qr_svg(uri),
            "secret": b32encode(device.bin_key).decode("ascii"),
            "otpauth_uri": uri,
        }
    context.update(
        {
            **admin.site.each_context(request),
            "title": "Two-factor sign-in",
            "form": form,
            "next": next_url,
        }
    )
    return TemplateResponse(request, "admin/two_factor.html", context)


def _check(form: TokenForm, device: Any) -> bool:
    """Verify the form's code against the device; on failure the form says why."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        form.add_error("token", "Too many wrong codes: wait a minute, then try the newest code.")
        return False
    if device.verify_token(form.cleaned_data["token"]):
        return True
    form.add_error("token", "That code is not right (or was used already); try the newest one.")
    return False

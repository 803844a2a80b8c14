"""Staff sign-in: lockout after repeated failures (in the audit log with the address), demo
accounts refused with DEBUG off and failing `check --deploy`, two-factor enrolment and the
MEDSITE_REQUIRE_2FA rule, idle staff sessions."""

from __future__ import annotations

import time

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from medsite.middleware import LAST_SEEN_KEY
from monographs.auth import DEMO_ACCOUNTS, record_lockout
from monographs.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/?next=/admin/"


def post_login(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


# --- lockout -------------------------------------------------------------------------------


def test_twenty_wrong_passwords_lock_the_account_out_from_that_address(client, editor):
    statuses = [post_login(client, "editor1", f"wrong-{i}").status_code for i in range(20)]
    # Five failures show the form again (200); from then on the pair is locked out (429).
    assert statuses[:4] == [200] * 4
    assert set(statuses[5:]) == {429}
    # Even the right password is refused while locked out...
    response = post_login(client, "editor1", "pw-editor1")
    assert response.status_code == 429
    assert "Signing in is paused" in response.content.decode()
    assert not signed_in(client)
    # ...but only for that address: the editor at the office is not locked out by an attacker.
    assert post_login(client, "editor1", "pw-editor1", ip="198.51.100.9").status_code == 302
    assert signed_in(client)


def test_a_lockout_is_in_the_audit_log_once_with_the_address(client, editor):
    for i in range(12):
        post_login(client, "editor1", f"wrong-{i}")
    entries = list(AuditEntry.objects.filter(action=AuditEntry.Action.SIGNIN_LOCKOUT))
    assert len(entries) == 1  # attempts while locked out are the same lockout
    entry = entries[0]
    assert entry.details == {"ip_address": "203.0.113.7", "username": "editor1"}
    assert "203.0.113.7" in entry.message and "editor1" in entry.message
    assert entry.actor is None


def test_record_lockout_writes_one_entry_per_pair(db):
    record_lockout(ip_address="192.0.2.1", username="alice")
    record_lockout(ip_address="192.0.2.1", username="alice")
    record_lockout(ip_address="192.0.2.2", username="alice")
    pairs = sorted(
        (e.details["ip_address"], e.details["username"])
        for e in AuditEntry.objects.filter(action=AuditEntry.Action.SIGNIN_LOCKOUT)
    )
    assert pairs == [("192.0.2.1", "alice"), ("192.0.2.2", "alice")]


def test_the_lockout_shows_in_the_admin_audit_log(client, editor, superuser):
    for i in range(6):
        post_login(client, "editor1", f"wrong-{i}")
    client.force_login(superuser)
    page = client.get(reverse("admin:monographs_auditentry_changelist")).content.decode()
    assert "Sign-in locked out" in page and "203.0.113.7" in page


@override_settings(MEDSITE_TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_lockout_is_for_the_client_address_not_the_proxys(client, editor):
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for i in range(6):
        client.post(
            LOGIN_URL,
            {"username": "editor1", "password": f"wrong-{i}"},
            # The attacker's own X-Forwarded-For entry is ignored; the proxy's is believed.
            HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 203.0.113.50",
            **proxy,
        )
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.SIGNIN_LOCKOUT)
    assert entry.details["ip_address"] == "203.0.113.50"
    # The editor, through the same proxy from another address, still signs in.
    response = client.post(
        LOGIN_URL,
        {"username": "editor1", "password": "pw-editor1", "next": "/admin/"},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
        **proxy,
    )
    assert response.status_code == 302


def test_a_successful_sign_in_resets_the_count(client, editor):
    for i in range(4):
        post_login(client, "editor1", f"wrong-{i}")
    assert post_login(client, "editor1", "pw-editor1").status_code == 302
    client.logout()
    for i in range(4):
        assert post_login(client, "editor1", f"wrong-again-{i}").status_code == 200
    assert post_login(client, "editor1", "pw-editor1").status_code == 302


# --- demo accounts -------------------------------------------------------------------------


@pytest.fixture
def demo_accounts(settings):
    settings.DEBUG = True
    call_command("create_demo_accounts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False


def test_demo_accounts_sign_in_in_development(client, demo_accounts, settings):
    settings.DEBUG = True
    assert post_login(client, "moderator", "moderator-demo-2026").status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("username,password", [(a[0], a[1]) for a in DEMO_ACCOUNTS])
def test_demo_accounts_refuse_to_sign_in_with_debug_off(client, demo_accounts, username, password):
    response = post_login(client, username, password)
    assert response.status_code == 200  # the login form again, with its error
    assert "correct username and password" in response.content.decode()
    assert not signed_in(client)


def test_a_demo_account_with_a_new_password_signs_in_with_debug_off(client, demo_accounts):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="editor")
    user.set_password("a-long-new-password-2026")
    user.save()
    assert post_login(client, "editor", "a-long-new-password-2026").status_code == 302


def test_deploy_check_fails_while_demo_accounts_have_their_demo_passwords(demo_accounts):
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "medsite.E001"]
    assert len(errors) == 1
    assert errors[0].is_serious()
    assert "editor, moderator, admin" in errors[0].msg
    # Not a deploy-only concern when the demo passwords are gone.
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.filter(username__in=["editor", "moderator", "admin"]):
        user.set_password("changed-" + user.username + "-2026")
        user.save()
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id == "medsite.E001"]


def test_plain_check_does_not_run_the_deploy_check(demo_accounts):
    assert not [m for m in run_checks() if m.id == "medsite.E001"]


# --- two-factor ----------------------------------------------------------------------------


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_any_staff_user_can_enrol_from_the_admin(client, editor):
    client.force_login(editor)
    page = client.get("/admin/").content.decode()
    assert reverse("two_factor") in page  # a link in the admin's user tools
    response = client.get(reverse("two_factor"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<figure class="ms-qr"><svg' in html  # the QR code, inline
    assert "otpauth://totp/" in html  # and the URI
    device = TOTPDevice.objects.get(user=editor)
    assert not device.confirmed
    from base64 import b32encode

    assert b32encode(device.bin_key).decode() in html  # the secret in text
    # A wrong code does not switch it on.
    response = client.post(reverse("two_factor"), {"token": "000000", "next": "/admin/"})
    assert "not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(
        reverse("two_factor"), {"token": current_code(device), "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed


def test_the_two_factor_page_needs_a_staff_sign_in(client):
    response = client.get(reverse("two_factor"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not TOTPDevice.objects.exists()


def test_an_offsite_next_is_ignored(client, editor):
    client.force_login(editor)
    client.get(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=editor)
    response = client.post(
        reverse("two_factor"), {"token": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


@override_settings(MEDSITE_REQUIRE_2FA=True)
@pytest.mark.parametrize("who", ["moderator", "superuser"])
def test_required_two_factor_sends_moderators_and_superusers_to_enrol_first(client, request, who):
    user = request.getfixturevalue(who)
    assert post_login(client, user.username, f"pw-{user.username}").status_code == 302
    for url in ["/admin/", reverse("admin:monographs_monograph_changelist")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("two_factor") + "?next="), url
    # Outside the admin they are nobody until they pass: no editor preview or upload.
    assert client.post("/markdownx/markdownify/", {"content": "*x*"}).status_code == 403
    client.get(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        reverse("two_factor"), {"token": current_code(device), "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@override_settings(MEDSITE_REQUIRE_2FA=True)
def test_required_two_factor_asks_an_enrolled_moderator_for_a_code_each_sign_in(client, moderator):
    device = TOTPDevice.objects.create(user=moderator, name="phone", confirmed=True)
    post_login(client, "moderator1", "pw-moderator1")
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("two_factor"))
    page = client.get(reverse("two_factor")).content.decode()
    assert "otpauth:" not in page and "ms-qr" not in page  # no secret for a password thief
    assert "Enter the code" in page
    client.post(reverse("two_factor"), {"token": "123", "next": "/admin/"})
    assert client.get("/admin/").status_code == 302
    client.post(reverse("two_factor"), {"token": current_code(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


@override_settings(MEDSITE_REQUIRE_2FA=True)
def test_required_two_factor_leaves_editors_to_choose(client, editor):
    post_login(client, "editor1", "pw-editor1")
    assert client.get("/admin/").status_code == 200


def test_without_the_setting_two_factor_is_optional_for_moderators(client, moderator):
    post_login(client, "moderator1", "pw-moderator1")
    assert client.get("/admin/").status_code == 200


# --- idle staff sessions -------------------------------------------------------------------


def make_idle(client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - minutes * 60
    session.save()


@override_settings(MEDSITE_STAFF_IDLE_MINUTES=30)
def test_a_staff_session_ends_after_the_idle_time(client, editor):
    post_login(client, "editor1", "pw-editor1")
    assert client.get("/admin/").status_code == 200
    make_idle(client, 29)
    assert client.get("/admin/").status_code == 200  # still within the idle time
    make_idle(client, 31)
    response = client.get("/admin/monographs/monograph/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/monographs/monograph/")
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page


@override_settings(MEDSITE_STAFF_IDLE_MINUTES=30)
def test_a_post_after_the_idle_time_is_not_acted_on(client, editor):
    post_login(client, "editor1", "pw-editor1")
    make_idle(client, 45)
    response = client.post("/markdownx/markdownify/", {"content": "*x*"})
    assert response.status_code == 403


@override_settings(MEDSITE_STAFF_IDLE_MINUTES=30)
def test_activity_keeps_the_session(client, editor):
    post_login(client, "editor1", "pw-editor1")
    make_idle(client, 20)
    assert client.get("/admin/").status_code == 200  # moves the clock
    assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5


def test_readers_get_no_session(client, editor):
    response = client.get("/")
    assert "Cookie" not in response.get("Vary", "")
    assert "sessionid" not in response.cookies

"""Staff sign-in in real Chromium: an idle sign-out keeps what was typed in the edit form, and
a moderator enrols in two-factor sign-in when MEDSITE_REQUIRE_2FA is on."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_otp.oath import TOTP

from medsite.middleware import LAST_SEEN_KEY
from monographs import sourcefile, workflow
from monographs.models import Monograph
from tests.workflow_helpers import SEED_PATH

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, base: str, username: str, next_url: str = "/admin/") -> None:
    page.goto(f"{base}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_load_state("load")


def age_session(page, minutes: int) -> None:
    """Move the server-side idle clock back, as if the editor had been away."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    session = SessionStore(session_key=cookie["value"])
    session[LAST_SEEN_KEY] = int(time.time()) - minutes * 60
    session.save()


def test_text_typed_before_an_idle_sign_out_is_offered_back(live_server, page, editor, settings):
    settings.MEDSITE_STAFF_IDLE_MINUTES = 30
    content = sourcefile.parse(SEED_PATH.read_bytes())
    monograph = workflow.import_source(content=content, filename="naltrexone.md").monograph
    base = live_server.url
    edit_url = f"{base}/admin/monographs/monograph/{monograph.pk}/change/"
    sign_in(page, base, "editor1")
    page.goto(edit_url)
    usage = page.locator('fieldset[data-section-key="usage"] textarea.markdownx-editor')
    typed = usage.input_value() + "\n\nA paragraph typed before a long phone call."
    usage.fill(typed)
    page.fill("#id_summary", "Before the phone call")
    page.wait_for_timeout(600)  # the copy is kept a moment after the last keystroke

    age_session(page, 45)
    page.click("input[name=_save]")
    page.wait_for_selector("#id_username")  # signed out: the admin asks to sign in again
    assert "signed out after 30 minutes without activity" in page.inner_text("body")
    assert Monograph.objects.get(pk=monograph.pk).revisions.count() == 1  # nothing saved

    page.fill("#id_username", "editor1")
    page.fill("#id_password", "pw-editor1")
    page.click("input[type=submit]")
    page.wait_for_selector("#monograph-edit-form")
    assert page.url == edit_url
    page.get_by_role("button", name="Restore my unsaved text").click()
    assert usage.input_value() == typed
    assert page.input_value("#id_summary") == "Before the phone call"
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    latest = Monograph.objects.get(pk=monograph.pk).latest_revision
    assert "long phone call" in latest.data.section("usage").body


def test_a_moderator_enrols_in_two_factor_before_the_admin(live_server, page, moderator, settings):
    settings.MEDSITE_REQUIRE_2FA = True
    base = live_server.url
    sign_in(page, base, "moderator1", next_url="/admin/monographs/monograph/")
    page.wait_for_selector(".ms-qr svg")
    assert "/admin/two-factor/" in page.url
    secret = page.inner_text(".ms-secret").strip()
    totp = TOTP(b32decode(secret))
    page.fill("#id_token", f"{totp.token():06d}")
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#result_list, #changelist")
    assert page.url.endswith("/admin/monographs/monograph/")

    # Next sign-in: a code, no QR code.
    page.context.clear_cookies()
    sign_in(page, base, "moderator1")
    page.wait_for_selector("#id_token")
    assert page.locator(".ms-qr").count() == 0
    totp.time = time.time() + 30  # the code of the next time step (the last one is used)
    page.fill("#id_token", f"{totp.token():06d}")
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#site-name")
    assert page.url.endswith("/admin/")

"""End to end in real Chromium: an editor changes a section with the live preview and submits;
the public page does not change; a moderator finds it in the queue, sees the diff, approves;
the public page then shows the new text, the new review date and the history entry."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import dateformat, timezone

from monographs import sourcefile, workflow
from monographs.models import Monograph, Revision
from tests.workflow_helpers import SEED_PATH

pytestmark = pytest.mark.django_db(transaction=True)

NEW_TEXT = "Take naltrexone with food if it upsets your stomach."


def public_text(browser: Any, url: str) -> str:
    """The page as a new visitor sees it: a fresh context, so no browser cache (public pages
    are sent with a max-age) hides what the server answers now."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        return page.inner_text("main")
    finally:
        context.close()


def log_in(page: Any, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "/admin/login/" not in page.url


@pytest.fixture
def naltrexone() -> Monograph:
    """The seed, imported and published as `make run` does (an operator's import)."""
    content = sourcefile.parse(SEED_PATH.read_bytes())
    result = workflow.import_source(content=content, filename="naltrexone.md")
    return Monograph.objects.get(pk=result.monograph.pk)


def test_editor_edits_moderator_approves_public_sees_it(
    live_server, browser, page, screenshot_dir, naltrexone, editor, moderator
):
    base = live_server.url
    public_url = f"{base}{naltrexone.get_absolute_url()}"
    before = public_text(browser, public_url)
    assert before.startswith("Naltrexone") and "Naltrexone is primarily used" in before
    assert NEW_TEXT not in before
    assert "Last reviewed" not in before

    # --- the editor changes Usage, watching the live preview
    log_in(page, base, "editor1")
    page.goto(f"{base}/admin/monographs/monograph/{naltrexone.pk}/change/")
    usage = page.locator('fieldset[data-section-key="usage"]')
    editor_box = usage.locator("textarea.markdownx-editor")
    original = editor_box.input_value()
    assert original.startswith("Naltrexone is primarily used")
    editor_box.fill(f"{original}\n\n**Tip:** {NEW_TEXT}")
    # markdownx posts the text to our (sanitizing) renderer; wait for the rendered Markdown
    preview_bold = usage.locator(".markdownx-preview strong", has_text="Tip:")
    preview_bold.wait_for(timeout=15_000)
    assert NEW_TEXT in usage.locator(".markdownx-preview").inner_text()
    page.fill("#id_summary", "Added a tip about taking it with food")
    page.screenshot(path=str(screenshot_dir / "admin-edit-form.png"), full_page=True)
    usage.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "admin-edit-form-usage.png"))
    page.click("input[name=_submit]")
    page.wait_for_selector(".messagelist")
    assert "submitted it for review" in page.inner_text(".messagelist")
    revision = Monograph.objects.get(pk=naltrexone.pk).latest_revision
    assert revision.status == Revision.Status.IN_REVIEW

    # --- nothing public changed yet
    assert public_text(browser, public_url) == before

    # --- the moderator finds it in the queue, sees the diff and approves
    log_in(page, base, "moderator1")
    page.click("text=Review queue")
    page.wait_for_selector("#review-queue")
    row = page.locator("#review-queue > li", has_text="Naltrexone")
    assert "Added a tip about taking it with food" in row.inner_text()
    row.locator("a", has_text="Review").click()
    usage_diff = page.locator('.ms-section[data-section="usage"]')
    usage_diff.wait_for()
    assert NEW_TEXT in usage_diff.locator(".ms-source ins").inner_text()
    assert usage_diff.locator(".ms-rendered strong", has_text="Tip:").count() == 1
    # unchanged sections are collapsed below the changed one
    assert page.locator('details.ms-unchanged[data-section="dosage"]').count() == 1
    assert not page.locator('details.ms-unchanged[data-section="dosage"]').get_attribute("open")
    page.screenshot(path=str(screenshot_dir / "admin-review-screen.png"), full_page=True)
    # "with food" is a clinical change: the moderator acknowledges it (issue 11.1).
    assert "Usage: (none) → with food" in page.inner_text(".ms-clinical")
    page.check("#id_approve_clinical_checked")
    page.click("input[value='Approve and publish']")
    page.wait_for_selector(".messagelist")
    assert "Approved and published" in page.inner_text(".messagelist")
    page.goto(f"{base}/admin/monographs/monograph/{naltrexone.pk}/history/")
    assert page.locator("#revision-history tbody tr").count() == 2
    page.screenshot(path=str(screenshot_dir / "admin-history.png"), full_page=True)
    page.goto(f"{base}/admin/monographs/monograph/")
    assert "Live" in page.inner_text("#result_list")
    page.screenshot(path=str(screenshot_dir / "admin-monograph-list.png"))

    # --- the public sees the new text, today's review date and the history entry
    page.context.clear_cookies()
    main = public_text(browser, public_url)
    assert NEW_TEXT in main
    today = dateformat.format(timezone.localdate(), "j F Y")
    assert re.search(rf"Last reviewed\s*{today} by Moderator1 Tester", main)
    assert re.search(r"Next review due\s*\d", main)
    history = public_text(browser, f"{public_url}history/")
    assert "Added a tip about taking it with food" in history


def test_the_editorial_screens_have_no_accessibility_violations(
    live_server, page, naltrexone, editor, moderator, moderator2
):
    from axe_playwright_python.sync_playwright import Axe
    from django.urls import reverse

    monograph = Monograph.objects.get(pk=naltrexone.pk)
    content = monograph.latest_revision.data
    content.sections[0].body += "\n\nA <b>new</b> sentence."
    saved = workflow.save_draft(
        monograph=monograph, content=content, by=moderator2, summary="New", based_on=None
    )
    revision = workflow.submit(revision=saved.revision, by=moderator2)
    log_in(page, live_server.url, "moderator1")
    screens = [
        reverse("admin:index"),
        reverse("admin:monographs_monograph_changelist"),
        reverse("admin:monographs_monograph_change", args=[monograph.pk]),
        reverse("admin:monographs_review_queue"),
        reverse("admin:monographs_revision_review", args=[revision.pk]),
        reverse("admin:monographs_monograph_history", args=[monograph.pk]),
        reverse("admin:monographs_compare", args=[monograph.pk]) + "?a=1&b=2",
        reverse("admin:monographs_site_disclaimer"),
    ]
    problems = []
    for url in screens:
        page.goto(live_server.url + url)
        results = Axe().run(page, options={"resultTypes": ["violations"]})
        problems += [
            f"{url}: {v['id']} {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
        ]
    assert problems == []


def test_the_editorial_screens_fit_a_phone_without_sideways_scrolling(
    live_server, browser, naltrexone, editor, moderator, moderator2, screenshot_dir
):
    """At 375 px only wide tables scroll, inside their own box; the page itself does not."""
    from django.urls import reverse

    monograph = Monograph.objects.get(pk=naltrexone.pk)
    content = monograph.latest_revision.data
    content.sections[0].body += "\n\nOne more sentence."
    saved = workflow.save_draft(
        monograph=monograph,
        content=content,
        by=moderator2,
        summary="A phone-width check",
        based_on=None,
    )
    revision = workflow.submit(revision=saved.revision, by=moderator2)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "moderator1")
        screens = {
            "edit": reverse("admin:monographs_monograph_change", args=[monograph.pk]),
            "add": reverse("admin:monographs_monograph_add"),
            "queue": reverse("admin:monographs_review_queue"),
            "review": reverse("admin:monographs_revision_review", args=[revision.pk]),
            "history": reverse("admin:monographs_monograph_history", args=[monograph.pk]),
            "withdraw": reverse("admin:monographs_withdraw", args=[monograph.pk]),
            "disclaimer": reverse("admin:monographs_site_disclaimer"),
        }
        too_wide = {}
        for name, url in screens.items():
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 375:
                too_wide[name] = width
        page.goto(live_server.url + screens["edit"])
        page.screenshot(path=str(screenshot_dir / "admin-edit-375.png"))
        assert too_wide == {}
        # One column: the preview's caption comes with the preview, not above the Markdown.
        assert not page.locator(".ms-md-labels span").first.is_visible()
    finally:
        context.close()


def test_text_typed_when_the_session_ran_out_is_offered_back_after_logging_in(
    live_server, page, naltrexone, editor
):
    base = live_server.url
    edit_url = f"{base}/admin/monographs/monograph/{naltrexone.pk}/change/"
    log_in(page, base, "editor1")
    page.goto(edit_url)
    usage = page.locator('fieldset[data-section-key="usage"] textarea.markdownx-editor')
    typed = usage.input_value() + "\n\nA **careful** paragraph typed for twenty minutes."
    usage.fill(typed)
    page.fill("#id_summary", "A careful paragraph")
    page.wait_for_timeout(600)  # the copy is kept a moment after the last keystroke

    # The session runs out (the CSRF cookie stays, as it does in real life); the admin sends
    # the editor to the login page and nothing is saved.
    page.context.clear_cookies(name="sessionid")
    page.click("input[name=_save]")
    page.wait_for_selector("#id_username")
    assert naltrexone.revisions.count() == 1

    page.fill("#id_username", "editor1")
    page.fill("#id_password", "pw-editor1")
    page.click("input[type=submit]")
    page.wait_for_selector("#monograph-edit-form")
    assert page.url == edit_url
    assert "careful" not in usage.input_value()  # the form shows the stored revision...
    offer = page.locator(".ms-restore")
    assert "never saved" in offer.inner_text()  # ...and offers what was typed
    page.get_by_role("button", name="Restore my unsaved text").click()
    assert usage.input_value() == typed
    assert page.input_value("#id_summary") == "A careful paragraph"
    page.locator(
        'fieldset[data-section-key="usage"] .markdownx-preview strong', has_text="careful"
    ).wait_for()

    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    latest = Monograph.objects.get(pk=naltrexone.pk).latest_revision
    assert "A **careful** paragraph" in latest.data.section("usage").body
    page.goto(edit_url)  # saved: nothing more to offer
    page.wait_for_selector("#monograph-edit-form")
    assert page.locator(".ms-restore").count() == 0


def test_tab_leaves_a_markdown_box_instead_of_typing_a_tab_into_it(
    live_server, page, naltrexone, editor
):
    log_in(page, live_server.url, "editor1")
    page.goto(f"{live_server.url}/admin/monographs/monograph/{naltrexone.pk}/change/")
    usage = page.locator('fieldset[data-section-key="usage"] textarea.markdownx-editor')
    before = usage.input_value()
    usage.focus()
    page.keyboard.press("Tab")
    assert usage.input_value() == before
    assert page.evaluate("document.activeElement.name") != "section-0-body"
    assert page.evaluate("document.activeElement.closest('.markdownx') !== null")  # the preview
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.name") == "section-0-body"
    assert usage.input_value() == before
    # Indenting stays possible from the keyboard, with markdownx's own shortcut.
    page.keyboard.press("Control+]")
    assert usage.input_value() != before


def test_a_second_click_on_approve_while_the_first_is_on_its_way_sends_nothing(
    live_server, page, naltrexone, editor, moderator, monkeypatch
):
    import time

    from django.urls import reverse

    monograph = Monograph.objects.get(pk=naltrexone.pk)
    content = monograph.latest_revision.data
    content.sections[0].body += "\n\nOne more sentence."
    saved = workflow.save_draft(
        monograph=monograph, content=content, by=editor, summary="More", based_on=None
    )
    revision = workflow.submit(revision=saved.revision, by=editor)
    log_in(page, live_server.url, "moderator1")
    url = reverse("admin:monographs_revision_review", args=[revision.pk])
    page.goto(live_server.url + url)

    # A busy server: the moderator, seeing nothing happen, clicks again.
    approvals: list[int] = []
    real_approve = workflow.approve

    def slow_approve(**kwargs: Any) -> Revision:
        approvals.append(kwargs["revision"].pk)
        time.sleep(0.8)
        return real_approve(**kwargs)

    monkeypatch.setattr(workflow, "approve", slow_approve)
    # The button comes after the diff: bring it to the middle of the window first.
    page.locator("input[value='Approve and publish']").evaluate(
        "el => el.scrollIntoView({block: 'center'})"
    )
    box = page.locator("input[value='Approve and publish']").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # Raw mouse clicks: Playwright's element click would wait for the first navigation.
    page.mouse.click(x, y)
    page.wait_for_timeout(300)
    assert approvals == [revision.pk]  # the first one is being processed
    page.mouse.click(x, y)
    page.wait_for_selector(".messagelist")
    messages = page.inner_text(".messagelist")
    assert approvals == [revision.pk]
    assert "Approved and published" in messages and "Not published" not in messages
    assert Revision.objects.get(pk=revision.pk).status == Revision.Status.PUBLISHED


def test_a_review_comment_typed_when_the_session_ran_out_is_offered_back(
    live_server, page, naltrexone, editor, moderator
):
    from django.urls import reverse

    monograph = Monograph.objects.get(pk=naltrexone.pk)
    content = monograph.latest_revision.data
    content.sections[0].body += "\n\nA doubtful claim."
    saved = workflow.save_draft(
        monograph=monograph, content=content, by=editor, summary="Claim", based_on=None
    )
    revision = workflow.submit(revision=saved.revision, by=editor)
    url = live_server.url + reverse("admin:monographs_revision_review", args=[revision.pk])
    log_in(page, live_server.url, "moderator1")
    page.goto(url)
    comment = "Which study supports this? Please cite it, and soften the wording."
    page.fill("#id_changes_comment", comment)
    page.wait_for_timeout(600)
    page.context.clear_cookies(name="sessionid")
    page.click("input[value='Request changes']")
    page.wait_for_selector("#id_username")
    assert Revision.objects.get(pk=revision.pk).status == Revision.Status.IN_REVIEW

    page.fill("#id_username", "moderator1")
    page.fill("#id_password", "pw-moderator1")
    page.click("input[type=submit]")
    page.wait_for_selector("#ms-request-form")
    assert page.input_value("#id_changes_comment") == ""
    offer = page.locator("#ms-request-form .ms-restore")
    offer.get_by_role("button", name="Restore my unsaved text").click()
    assert page.input_value("#id_changes_comment") == comment
    assert page.locator("#ms-approve-form .ms-restore").count() == 0  # nothing typed there
    page.click("input[value='Request changes']")
    page.wait_for_selector(".messagelist .success")
    assert Revision.objects.get(pk=revision.pk).status == Revision.Status.CHANGES_REQUESTED

"""The review screen in real Chromium (issue 11.1, 11.2, 11.8): a moderator on a phone meets
the clinical change and the diff before the approve button, cannot approve without ticking
the acknowledgement, and nothing scrolls the page sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from monographs import sourcefile, workflow
from monographs.models import Monograph, Revision
from tests.workflow_helpers import SEED_PATH

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


@pytest.fixture
def dose_change(editor) -> Revision:
    """The seed, live; an editor raises the starting dose from 50 mg to 100 mg and submits."""
    content = sourcefile.parse(SEED_PATH.read_bytes())
    monograph = workflow.import_source(content=content, filename="naltrexone.md").monograph
    monograph = Monograph.objects.get(pk=monograph.pk)
    new = monograph.latest_revision.data
    dosage = new.section("dosage")
    dosage.body = dosage.body.replace(
        "starting dose is 50 mg once daily", "starting dose is 100 mg once daily"
    )
    saved = workflow.save_draft(
        monograph=monograph,
        content=new,
        by=editor,
        summary="Raised the starting dose",
        based_on=monograph.latest_revision,
    )
    return workflow.submit(revision=saved.revision, by=editor)


@pytest.mark.parametrize("width", [320, 1280])
def test_a_moderator_sees_the_clinical_change_and_the_diff_before_the_approve_button(
    live_server, browser, dose_change, moderator, screenshot_dir, width
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "moderator1")
        page.goto(live_server.url + reverse("admin:monographs_review_queue"))
        card = page.locator("#review-queue > li", has_text="Naltrexone")
        assert "1 clinical change" in card.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(screenshot_dir / f"review-queue-{width}.png"), full_page=True)
        card.get_by_role("link", name="Review").click()
        page.wait_for_selector("#ms-clinical-title")

        item = page.locator(".ms-clinical-item").first
        assert "Dosage: 50 mg → 100 mg" in " ".join(item.inner_text().split())
        # On the first screen, above everything else of the review.
        clinical_box = item.bounding_box()
        assert clinical_box["y"] + clinical_box["height"] <= 800
        diff_box = page.locator('.ms-section[data-section="dosage"]').bounding_box()
        approve_box = page.locator("input[value='Approve and publish']").bounding_box()
        assert clinical_box["y"] < diff_box["y"] < approve_box["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The changed words are marked in the rendered column too.
        rendered = page.locator('.ms-section[data-section="dosage"] .ms-rendered')
        assert rendered.locator("ins.ms-mark", has_text="100").count() == 1
        assert rendered.locator("del.ms-mark", has_text="50").count() >= 1
        page.screenshot(path=str(screenshot_dir / f"review-first-screen-{width}.png"))
        page.screenshot(path=str(screenshot_dir / f"review-{width}.png"), full_page=True)

        # Without the tick the approval is refused and says why; with it, it publishes.
        page.click("input[value='Approve and publish']")
        page.wait_for_selector(".messagelist")
        assert "I have checked the clinical changes" in page.inner_text(".messagelist")
        assert Revision.objects.get(pk=dose_change.pk).status == Revision.Status.IN_REVIEW
        page.check("#id_approve_clinical_checked")
        page.click("input[value='Approve and publish']")
        page.wait_for_selector(".messagelist .success")
        assert Revision.objects.get(pk=dose_change.pk).status == Revision.Status.PUBLISHED
    finally:
        context.close()


def test_the_review_bar_stays_in_view_and_leads_to_the_decision(
    live_server, page, dose_change, moderator
):
    log_in(page, live_server.url, "moderator1")
    page.goto(live_server.url + reverse("admin:monographs_revision_review", args=[dose_change.pk]))
    bar = page.locator(".ms-review-bar")
    assert "1 clinical change" in bar.inner_text()
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= 900  # stuck to the bottom of the window
    bar.get_by_role("link", name="Decide").click()
    page.wait_for_function("location.hash === '#ms-decision'")
    assert page.locator("input[value='Approve and publish']").is_visible()


# --- axe on the screens of issue 11 ---------------------------------------------------------
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]
    ]


def test_axe_finds_no_violations_on_the_editorial_screens_and_the_comparison_page(
    live_server, browser, dose_change, moderator, moderator2, screenshot_dir
):
    monograph = dose_change.monograph
    # Publish the dose change so the public comparison page has something to show.
    workflow.approve(
        revision=dose_change,
        by=moderator2,
        content_hash=dose_change.content_hash,
        clinical_checked=True,
    )
    # And a new one in review, for the queue and the review screen.
    monograph = Monograph.objects.get(pk=monograph.pk)
    content = monograph.latest_revision.data
    content.section("usage").body += "\n\nDo not take it with opioids."
    saved = workflow.save_draft(
        monograph=monograph,
        content=content,
        by=moderator2,
        summary="Opioid warning",
        based_on=monograph.latest_revision,
    )
    review = workflow.submit(revision=saved.revision, by=moderator2)
    screens = {
        "dashboard": reverse("admin:index"),
        "edit": reverse("admin:monographs_monograph_change", args=[monograph.pk]),
        "queue": reverse("admin:monographs_review_queue"),
        "review": reverse("admin:monographs_revision_review", args=[review.pk]),
        "changes": reverse("monographs:changes", args=[monograph.slug, dose_change.number]),
    }
    problems: dict[str, list[str]] = {}
    for width in (1280, 320):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        try:
            log_in(page, live_server.url, "moderator1")
            for name, url in screens.items():
                page.goto(live_server.url + url)
                found = axe_violations(page)
                if found:
                    problems[f"{name}@{width}"] = found
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    problems[f"{name}@{width}"] = [f"page is {wide} px wide"]
                page.screenshot(
                    path=str(screenshot_dir / f"editorial-{name}-{width}.png"), full_page=True
                )
        finally:
            context.close()
    assert problems == {}


# --- the edit form (issue 11.5) -------------------------------------------------------------


@pytest.fixture
def live_seed() -> Monograph:
    content = sourcefile.parse(SEED_PATH.read_bytes())
    monograph = workflow.import_source(content=content, filename="naltrexone.md").monograph
    return Monograph.objects.get(pk=monograph.pk)


def test_the_error_summary_links_move_the_focus_to_the_field(live_server, page, live_seed, editor):
    log_in(page, live_server.url, "editor1")
    page.goto(live_server.url + reverse("admin:monographs_monograph_change", args=[live_seed.pk]))
    usage = page.locator('fieldset[data-section-key="usage"] textarea.markdownx-editor')
    usage.fill(usage.input_value() + "\n\nOne more sentence.")
    page.click("input[name=_save]")  # no change summary
    summary = page.locator("#ms-error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.id") == "ms-error-summary"
    link = summary.get_by_role("link", name="Change summary: Please describe your change")
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_summary"
    assert "One more sentence." in usage.input_value()  # nothing typed was lost


def test_ctrl_bracket_indents_by_two_spaces_and_the_faq_helper_writes_the_syntax(
    live_server, page, live_seed, editor
):
    log_in(page, live_server.url, "editor1")
    page.goto(live_server.url + reverse("admin:monographs_monograph_change", args=[live_seed.pk]))
    dosage = page.locator('fieldset[data-section-key="dosage"] textarea.markdownx-editor')
    dosage.fill("* Adults\n* Children")
    dosage.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    page.keyboard.press("Control+]")
    assert dosage.input_value() == "* Adults\n  * Children"
    page.keyboard.press("Control+[")
    assert dosage.input_value() == "* Adults\n* Children"

    faqs = page.locator('fieldset[data-section-key="faqs"]')
    faqs.get_by_role("button", name="Add a question and answer").click()
    area = faqs.locator("textarea.markdownx-editor")
    assert area.input_value().endswith("\n* **Q: ?** A: ")
    page.keyboard.type("Can I drive")
    assert area.input_value().endswith("* **Q: Can I drive?** A: ")


def test_the_edit_form_at_320_px_collapses_and_never_scrolls_sideways(
    live_server, browser, live_seed, editor, screenshot_dir
):
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "editor1")
        page.goto(
            live_server.url + reverse("admin:monographs_monograph_change", args=[live_seed.pk])
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.screenshot(path=str(screenshot_dir / "edit-form-320.png"))
        tall = page.evaluate("document.documentElement.scrollHeight")
        page.click("#ms-toggle-sections")
        short = page.evaluate("document.documentElement.scrollHeight")
        assert short < tall / 2
        # The save bar stays in view at the bottom of the window.
        bar = page.locator(".ms-savebar").bounding_box()
        assert bar["y"] + bar["height"] <= 700
        page.screenshot(path=str(screenshot_dir / "edit-form-collapsed-320.png"))
        # The jump list opens the section it leads to.
        page.locator(".ms-jump-list a", has_text="Precautions").click()
        assert page.locator("details#ms-edit-4").get_attribute("open") is not None
    finally:
        context.close()


# --- the public page on a phone (issue 11.8) -------------------------------------------------


def test_on_a_phone_on_this_page_is_collapsed_and_the_first_screen_shows_the_purpose(
    live_server, browser, live_seed, screenshot_dir
):
    url = live_server.url + live_seed.get_absolute_url()
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(url)
        assert not page.locator(".on-this-page li a").first.is_visible()
        purpose = page.locator("#usage p").first
        box = purpose.bounding_box()
        assert box is not None and box["y"] < 640  # what it is for, on the first screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.screenshot(path=str(screenshot_dir / "public-monograph-first-screen-320.png"))
        page.locator(".on-this-page summary").click()  # opens without any script
        assert page.locator(".on-this-page li a").first.is_visible()
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(url)
        assert page.locator(".on-this-page li a").first.is_visible()
        assert not page.locator(".on-this-page summary").is_visible()
        page.screenshot(path=str(screenshot_dir / "public-monograph-first-screen-1280.png"))
    finally:
        context.close()

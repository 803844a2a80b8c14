"""The review screen in real Chromium (issue 11.1, 11.2, 11.8): a moderator on a phone meets
the clinical change and the diff before the approve button, cannot approve without ticking
the acknowledgement, and nothing scrolls the page sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from monographs import sourcefile, workflow
from monographs.models import Monograph, Revision
from tests.conftest import SEED_PATH

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

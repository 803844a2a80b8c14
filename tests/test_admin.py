"""The editors' and moderators' screens: what they do through the workflow, as a user sees it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from monographs import workflow
from monographs.content import STANDARD_SECTIONS, MonographContent
from monographs.models import AuditEntry, DisclaimerVersion, Monograph, ReviewDecision, Revision
from tests.workflow_helpers import edited, publish_new, sample_content

pytestmark = pytest.mark.django_db
S = Revision.Status


# --- helpers -----------------------------------------------------------------------------------
def form_data(
    content: MonographContent,
    *,
    based_on: Revision | None,
    summary: str = "Clarified the text",
    **extra: Any,
) -> dict[str, Any]:
    """The POST body the edit screen sends for ``content`` (as a browser would)."""
    data: dict[str, Any] = {
        "title": content.title,
        "generic_name": content.generic_name,
        "other_names": "\r\n".join(content.other_names),
        "disclaimer": content.disclaimer.replace("\n", "\r\n"),
        "summary": summary,
        "based_on": based_on.pk if based_on else "",
        "section_count": len(content.sections),
        "new_heading": "",
        "new_body": "",
        "_save": "Save draft",
    }
    for i, section in enumerate(content.sections):
        data[f"section-{i}-key"] = section.key
        data[f"section-{i}-heading"] = section.heading
        data[f"section-{i}-body"] = section.body.replace("\n", "\r\n")  # browsers send CRLF
    data.update(extra)
    return data


def change_url(monograph: Monograph) -> str:
    return reverse("admin:monographs_monograph_change", args=[monograph.pk])


def review_url(revision: Revision) -> str:
    return reverse("admin:monographs_revision_review", args=[revision.pk])


def message_texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(monograph: Monograph) -> Monograph:
    return Monograph.objects.get(pk=monograph.pk)


@pytest.fixture
def live(editor, moderator) -> Monograph:
    """A published monograph, written by ``editor`` and approved by ``moderator``."""
    return publish_new(sample_content("Testamol"), editor=editor, moderator=moderator)


@pytest.fixture
def in_review(live, editor) -> Revision:
    """Revision #2 of ``live`` in review: Dosage changed (with HTML in it), the rest as live."""
    monograph = fresh(live)
    live_content = monograph.latest_revision.data
    dosage = live_content.section("dosage").body.replace("500 mg", "600 mg")
    content = edited(live_content, dosage=dosage + "\n\n<script>alert('x')</script>")
    result = workflow.save_draft(
        monograph=monograph,
        content=content,
        by=editor,
        summary="Raised the dose",
        based_on=monograph.latest_revision,
    )
    return workflow.submit(revision=result.revision, by=editor)


# --- edit screen -------------------------------------------------------------------------------
def test_new_monograph_form_offers_the_six_standard_sections(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:monographs_monograph_add"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.count == len(STANDARD_SECTIONS)
    headings = [form[f"section-{i}-heading"].value() for i in range(form.count)]
    assert headings == [heading for _, heading in STANDARD_SECTIONS]
    html = response.content.decode()
    assert 'class="markdownx"' in html and "markdownx-preview" in html
    assert 'name="_save"' in html and 'name="_submit"' in html


def test_adding_a_monograph_creates_a_draft_nobody_public_sees(client, editor):
    client.force_login(editor)
    content = sample_content("Newdrug")
    response = client.post(
        reverse("admin:monographs_monograph_add"),
        form_data(content, based_on=None, summary="First version"),
    )
    monograph = Monograph.objects.get(slug="newdrug")
    assert response.status_code == 302 and response["Location"] == change_url(monograph)
    revision = monograph.latest_revision
    assert revision.status == S.DRAFT and revision.created_by == editor
    assert revision.change_summary == "First version"
    assert revision.data.section("dosage").body == content.section("dosage").body
    assert monograph.live_revision is None
    assert not Monograph.objects.published().filter(pk=monograph.pk).exists()


def test_editing_creates_a_draft_and_the_public_page_is_unchanged(client, editor, live):
    live_before = fresh(live).live_revision
    client.force_login(editor)
    content = edited(live_before.data, usage="Testamol treats pain, fever and headaches.")
    response = client.post(change_url(live), form_data(content, based_on=live_before))
    assert response.status_code == 302
    monograph = fresh(live)
    assert monograph.live_revision == live_before
    assert monograph.live_revision.data.section("usage").body.startswith("Testamol is used")
    draft = monograph.latest_revision
    assert draft.number == 2 and draft.status == S.DRAFT and draft.created_by == editor
    assert draft.data.section("usage").body == "Testamol treats pain, fever and headaches."
    assert any("public page is unchanged" in m for m in message_texts(response))


def test_save_and_submit_sends_the_revision_to_review(client, editor, live):
    client.force_login(editor)
    content = edited(fresh(live).latest_revision.data, usage="Changed usage.")
    data = form_data(content, based_on=fresh(live).latest_revision)
    del data["_save"]
    data["_submit"] = "Save and submit for review"
    client.post(change_url(live), data)
    latest = fresh(live).latest_revision
    assert latest.status == S.IN_REVIEW and latest.submitted_by == editor


def test_missing_summary_refuses_the_save_and_keeps_everything_typed(client, editor, live):
    client.force_login(editor)
    before = Revision.objects.count()
    content = edited(fresh(live).latest_revision.data, usage="My careful new wording ≥ 5 µg.")
    data = form_data(content, based_on=fresh(live).latest_revision, summary="   ")
    data["new_heading"] = "Interactions"
    data["new_body"] = "Do not combine with *opioids*."
    response = client.post(change_url(live), data)
    assert response.status_code == 200
    assert Revision.objects.count() == before
    html = response.content.decode()
    assert "Please describe your change" in html
    assert "My careful new wording ≥ 5 µg." in html
    assert 'value="Interactions"' in html and "Do not combine with *opioids*." in html


def test_a_section_without_a_heading_is_refused_with_the_text_kept(client, editor, live):
    client.force_login(editor)
    before = Revision.objects.count()
    data = form_data(fresh(live).latest_revision.data, based_on=fresh(live).latest_revision)
    data["section-1-heading"] = ""
    data["section-1-body"] = "Dose text I must not lose"
    response = client.post(change_url(live), data)
    assert response.status_code == 200 and Revision.objects.count() == before
    assert "A section needs a heading" in response.content.decode()
    assert "Dose text I must not lose" in response.content.decode()


def test_a_body_the_file_format_cannot_hold_is_refused_with_the_text_kept(client, editor, live):
    """A ``###`` line or an unclosed code fence would change the monograph's structure on
    export and re-import; the editor is told where, and keeps what they typed."""
    client.force_login(editor)
    before = Revision.objects.count()
    data = form_data(fresh(live).latest_revision.data, based_on=fresh(live).latest_revision)
    data["section-1-body"] = "Dose text\r\n\r\n### Interactions\r\n\r\nWith alcohol."
    data["new_heading"] = "Storage"
    data["new_body"] = "```\r\nunclosed code"
    response = client.post(change_url(live), data)
    assert response.status_code == 200 and Revision.objects.count() == before
    html = response.content.decode()
    assert "would start a new section" in html and "line 3" in html
    assert "is never closed" in html
    assert "With alcohol." in html and "unclosed code" in html


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "Testa\u202emol"),
        ("generic_name", "testa\u200bmol"),
        ("other_names", "Brand\r\nBra\u200bnd two"),
        ("section-0-heading", "Us\u202eage"),
    ],
)
def test_names_with_invisible_characters_are_refused_like_the_import_does(
    client, editor, live, field, value
):
    client.force_login(editor)
    before = Revision.objects.count()
    data = form_data(fresh(live).latest_revision.data, based_on=fresh(live).latest_revision)
    data[field] = value
    response = client.post(change_url(live), data)
    assert response.status_code == 200 and Revision.objects.count() == before
    assert "invisible character" in response.content.decode()


def test_sub_headings_and_headings_inside_code_are_fine(client, editor, live):
    client.force_login(editor)
    data = form_data(fresh(live).latest_revision.data, based_on=fresh(live).latest_revision)
    data["section-1-body"] = "#### Adults\r\n\r\n```\r\n### not a heading\r\n```"
    response = client.post(change_url(live), data)
    assert response.status_code == 302
    assert fresh(live).latest_revision.data.section("dosage").body.startswith("#### Adults")


def test_a_save_that_changes_nothing_creates_nothing(client, editor, live):
    client.force_login(editor)
    before = (Revision.objects.count(), AuditEntry.objects.count())
    latest = fresh(live).latest_revision
    response = client.post(change_url(live), form_data(latest.data, based_on=latest))
    assert response.status_code == 302
    assert (Revision.objects.count(), AuditEntry.objects.count()) == before
    assert "No changes to save." in message_texts(response)


def test_submitting_an_unchanged_draft_submits_it_without_a_new_revision(client, editor, live):
    client.force_login(editor)
    latest = fresh(live).latest_revision
    client.post(change_url(live), form_data(edited(latest.data, usage="Draft."), based_on=latest))
    draft = fresh(live).latest_revision
    data = form_data(draft.data, based_on=draft, _submit="Save and submit for review")
    del data["_save"]
    response = client.post(change_url(live), data)
    assert fresh(live).latest_revision == draft
    assert Revision.objects.get(pk=draft.pk).status == S.IN_REVIEW
    assert any("No changes to save" in m for m in message_texts(response))


def test_editing_a_revision_in_review_keeps_it_in_review(client, editor, in_review):
    client.force_login(editor)
    data = form_data(edited(in_review.data, usage="Fix while in review."), based_on=in_review)
    response = client.post(change_url(in_review.monograph), data)
    latest = fresh(in_review.monograph).latest_revision
    assert latest.number == 3 and latest.status == S.IN_REVIEW
    assert Revision.objects.get(pk=in_review.pk).status == S.SUPERSEDED
    assert any("the moderator reviews your new text" in m for m in message_texts(response))


def test_removing_and_adding_sections(client, editor, live):
    client.force_login(editor)
    latest = fresh(live).latest_revision
    data = form_data(latest.data, based_on=latest)
    faq_index = [s.key for s in latest.data.sections].index("faqs")
    data[f"section-{faq_index}-remove"] = "on"
    data["new_heading"] = "Interactions"
    data["new_body"] = "Avoid alcohol."
    client.post(change_url(live), data)
    content = fresh(live).latest_revision.data
    assert [s.key for s in content.sections][-1] == "interactions"
    assert content.section("faqs") is None
    assert content.section("interactions").body == "Avoid alcohol."


def test_a_conflicting_save_is_kept_flagged_and_shows_what_changed(client, editor, editor2, live):
    opened = fresh(live).latest_revision  # both editors open revision #1
    client.force_login(editor2)
    first = edited(opened.data, usage="Editor two rewrote the usage.")
    client.post(change_url(live), form_data(first, based_on=opened, summary="Usage by two"))
    assert fresh(live).latest_revision.number == 2

    client.force_login(editor)
    mine = edited(opened.data, precautions="Editor one added a precaution.")
    response = client.post(change_url(live), form_data(mine, based_on=opened))
    mine_saved = fresh(live).latest_revision
    assert mine_saved.number == 3 and mine_saved.is_conflict and mine_saved.based_on == opened
    assert mine_saved.data.section("precautions").body == "Editor one added a precaution."
    assert mine_saved.status == S.DRAFT
    assert response["Location"] == f"{change_url(live)}?conflict=3"
    assert any("were kept as revision #3" in m for m in message_texts(response))

    page = client.get(response["Location"]).content.decode()
    assert "Conflict: revision #3 was based on an out-of-date revision" in page
    # the diff from what I opened (#1) to the then-latest (#2): editor two's words, marked
    assert "<ins>Editor two rewrote the usage</ins>" in page
    # my own edit is in the form, not lost
    assert "Editor one added a precaution." in page


def test_a_new_monograph_may_choose_its_web_address(client, editor):
    client.force_login(editor)
    url = reverse("admin:monographs_monograph_add")
    bad = client.post(url, form_data(sample_content("Newdrug"), based_on=None, slug="Bad slug!"))
    assert bad.status_code == 200 and not Monograph.objects.exists()
    assert "Newdrug" in bad.content.decode()
    client.post(url, form_data(sample_content("Newdrug"), based_on=None, slug="newdrug-tablets"))
    assert Monograph.objects.get().slug == "newdrug-tablets"


def test_a_workflow_refusal_is_shown_and_the_form_keeps_the_data(client, editor, live):
    client.force_login(editor)
    # "Testamol" already exists: creating it again is refused by the workflow (slug taken)
    content = sample_content("Testamol", usage="Second attempt at usage text.")
    response = client.post(
        reverse("admin:monographs_monograph_add"), form_data(content, based_on=None)
    )
    assert response.status_code == 200
    assert Monograph.objects.count() == 1
    html = response.content.decode()
    assert "already exists" in html
    assert "Second attempt at usage text." in html


def test_a_tampered_section_count_is_not_a_server_error(client, editor, live):
    client.force_login(editor)
    latest = fresh(live).latest_revision
    for bad in ("lots", "-1", "100000"):
        data = form_data(latest.data, based_on=latest, section_count=bad)
        response = client.post(change_url(live), data)
        assert response.status_code in (200, 302)
        assert fresh(live).latest_revision.data.sections  # never saved without sections


# --- list --------------------------------------------------------------------------------------
def test_monograph_list_shows_states_and_filters_overdue(client, editor, moderator, live):
    other = publish_new(sample_content("Otheramol"), editor=editor, moderator=moderator)
    workflow.set_next_review_due(
        monograph=fresh(other), by=moderator, due=timezone.localdate() - timedelta(days=1)
    )
    workflow.save_draft(
        monograph=fresh(live),
        content=edited(fresh(live).latest_revision.data, usage="Pending words."),
        by=editor,
        summary="Pending",
        based_on=None,
    )
    client.force_login(moderator)
    url = reverse("admin:monographs_monograph_changelist")
    html = client.get(url).content.decode()
    assert "Live + draft pending" in html and "(overdue)" in html
    assert 'name="action"' not in html  # no bulk actions at all
    overdue = client.get(url, {"review": "overdue"}).context["cl"].result_list
    assert [m.title for m in overdue] == ["Otheramol"]
    pending = client.get(url, {"state": "live_draft"}).context["cl"].result_list
    assert [m.title for m in pending] == ["Testamol"]
    found = client.get(url, {"q": "otheramol"}).context["cl"].result_list
    assert [m.title for m in found] == ["Otheramol"]


# --- review queue and review screen -------------------------------------------------------------
def test_review_queue_lists_revisions_in_review_oldest_first(client, editor, moderator, in_review):
    newer = workflow.create_monograph(content=sample_content("Zedamol"), by=editor, summary="New")
    workflow.submit(revision=newer, by=editor)
    client.force_login(moderator)
    response = client.get(reverse("admin:monographs_review_queue"))
    rows = [row["revision"] for row in response.context["rows"]]
    assert rows == [in_review, Revision.objects.get(pk=newer.pk)]
    html = response.content.decode()
    assert "Raised the dose" in html and review_url(in_review) in html


def test_review_screen_shows_changed_sections_first_with_escaped_word_marks(
    client, moderator, in_review
):
    client.force_login(moderator)
    response = client.get(review_url(in_review))
    assert response.status_code == 200
    html = response.content.decode()
    diff = response.context["diff"]
    assert [s.key for s in diff.changed_sections] == ["dosage"]
    # changed first, the rest after it, collapsed
    assert html.index('data-section="dosage"') < html.index('data-section="usage"')
    assert re.search(r'<details class="ms-unchanged" data-section="usage">', html)
    # word-level marks on the source; the typed <script> is shown as text, never as markup
    assert "<ins>600</ins>" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert(" not in html
    # the approval is bound to this revision's hash; the editorial option is offered
    assert f'value="{in_review.content_hash}"' in html
    assert "keep the clinical review date" in html


def test_first_publication_is_compared_with_nothing(client, editor, moderator):
    revision = workflow.create_monograph(content=sample_content("Newamol"), by=editor, summary="x")
    workflow.submit(revision=revision, by=editor)
    client.force_login(moderator)
    response = client.get(review_url(revision))
    assert response.context["diff"].first_publication
    assert "First publication" in response.content.decode()


def test_approve_via_post_publishes_exactly_that_revision(client, moderator, in_review):
    client.force_login(moderator)
    response = client.post(
        review_url(in_review),
        {"action": "approve", "content_hash": in_review.content_hash, "comment": "Fine"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:monographs_review_queue")
    monograph = fresh(in_review.monograph)
    assert monograph.live_revision_id == in_review.pk
    assert monograph.last_reviewed_at == timezone.localdate()
    decision = ReviewDecision.objects.get(revision=in_review)
    assert decision.reviewer == moderator and decision.comment == "Fine"


def test_editorial_approval_keeps_the_clinical_review_date(client, moderator, in_review):
    monograph = fresh(in_review.monograph)
    old_review = date(2020, 1, 1)
    Monograph.objects.filter(pk=monograph.pk).update(last_reviewed_at=old_review)  # test setup
    client.force_login(moderator)
    client.post(
        review_url(in_review),
        {"action": "approve", "content_hash": in_review.content_hash, "editorial": "on"},
    )
    monograph = fresh(monograph)
    assert monograph.live_revision_id == in_review.pk
    assert monograph.last_reviewed_at == old_review


def test_approval_with_a_stale_hash_is_refused_and_shown(client, moderator, in_review):
    client.force_login(moderator)
    response = client.post(review_url(in_review), {"action": "approve", "content_hash": "0" * 64})
    assert response.status_code == 200
    assert fresh(in_review.monograph).live_revision_id != in_review.pk
    assert any(m.startswith("Not published:") for m in message_texts(response))


def test_nobody_approves_their_own_revision(client, moderator, moderator2, live):
    monograph = fresh(live)
    result = workflow.save_draft(
        monograph=monograph,
        content=edited(monograph.latest_revision.data, usage="Moderator wrote this."),
        by=moderator2,
        summary="Own edit",
        based_on=None,
    )
    revision = workflow.submit(revision=result.revision, by=moderator2)
    client.force_login(moderator2)
    assert "Four-eyes rule" in client.get(review_url(revision)).content.decode()
    response = client.post(
        review_url(revision), {"action": "approve", "content_hash": revision.content_hash}
    )
    assert response.status_code == 200
    assert fresh(live).live_revision_id != revision.pk
    html = response.content.decode()
    assert "Not published:" in html


def test_request_changes_needs_a_comment(client, moderator, in_review):
    client.force_login(moderator)
    response = client.post(review_url(in_review), {"action": "request_changes", "comment": " "})
    assert response.status_code == 200
    assert "A comment is required" in response.content.decode()
    assert Revision.objects.get(pk=in_review.pk).status == S.IN_REVIEW
    assert not ReviewDecision.objects.filter(revision=in_review).exists()

    response = client.post(
        review_url(in_review), {"action": "request_changes", "comment": "Cite a source."}
    )
    assert response.status_code == 302
    assert Revision.objects.get(pk=in_review.pk).status == S.CHANGES_REQUESTED
    decision = ReviewDecision.objects.get(revision=in_review)
    assert decision.comment == "Cite a source." and decision.reviewer == moderator


def test_the_author_sees_the_request_for_changes_on_the_edit_screen(
    client, editor, moderator, in_review
):
    workflow.request_changes(revision=in_review, by=moderator, comment="Cite the trial.")
    client.force_login(editor)
    html = client.get(change_url(in_review.monograph)).content.decode()
    assert "Changes requested" in html and "Cite the trial." in html


# --- history, compare, revert -------------------------------------------------------------------
def test_history_lists_every_revision_with_who_and_why(client, moderator, in_review):
    workflow.request_changes(revision=in_review, by=moderator, comment="Needs a source.")
    client.force_login(moderator)
    response = client.get(
        reverse("admin:monographs_monograph_history", args=[in_review.monograph_id])
    )
    assert response.status_code == 200
    numbers = [r.number for r in response.context["revisions"]]
    assert numbers == [2, 1]
    html = response.content.decode()
    assert "Raised the dose" in html and "Needs a source." in html
    assert "Site-wide disclaimer v" in html or "disclaimer v" in html
    assert in_review.get_preview_url() in html
    assert reverse("admin:monographs_revert", args=[in_review.monograph_id, 1]) in html


def test_compare_any_two_revisions(client, moderator, in_review):
    client.force_login(moderator)
    url = reverse("admin:monographs_compare", args=[in_review.monograph_id])
    response = client.get(url, {"a": 2, "b": 1})
    assert response.status_code == 200
    assert response.context["old"].number == 1 and response.context["new"].number == 2
    assert "<ins>600</ins>" in response.content.decode()
    bad = client.get(url, {"a": "x", "b": 99})
    assert bad.status_code == 302


def test_revert_creates_a_new_draft_that_needs_review(client, editor, in_review):
    client.force_login(editor)
    url = reverse("admin:monographs_revert", args=[in_review.monograph_id, 1])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"summary": ""})
    assert refused.status_code == 200 and fresh(in_review.monograph).latest_revision.number == 2
    response = client.post(url, {"summary": "Back to the checked dose"})
    assert response.status_code == 302
    monograph = fresh(in_review.monograph)
    new = monograph.latest_revision
    assert new.number == 3 and new.status == S.DRAFT and new.source == Revision.Source.REVERT
    assert new.content_hash == Revision.objects.get(monograph=monograph, number=1).content_hash
    assert monograph.live_revision.number == 1


# --- moderators' monograph actions ------------------------------------------------------------
def test_withdraw_needs_a_reason_and_restore_puts_it_back(client, moderator, live):
    client.force_login(moderator)
    url = reverse("admin:monographs_withdraw", args=[live.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and fresh(live).withdrawn_at is None
    client.post(url, {"reason": "Safety alert"})
    assert fresh(live).withdrawn_reason == "Safety alert"
    assert not Monograph.objects.published().filter(pk=live.pk).exists()
    client.post(reverse("admin:monographs_restore", args=[live.pk]), {"reason": "Cleared"})
    assert Monograph.objects.published().filter(pk=live.pk).exists()


def test_next_review_due_can_be_set(client, moderator, live):
    client.force_login(moderator)
    url = reverse("admin:monographs_review_due", args=[live.pk])
    client.post(url, {"next_review_due": "2031-05-01"})
    assert fresh(live).next_review_due == date(2031, 5, 1)
    response = client.post(url, {"next_review_due": "not a date"})
    assert response.status_code == 302 and fresh(live).next_review_due == date(2031, 5, 1)


# --- disclaimer --------------------------------------------------------------------------------
def test_site_disclaimer_screen_changes_and_lists_versions(client, moderator, live):
    client.force_login(moderator)
    url = reverse("admin:monographs_site_disclaimer")
    before = DisclaimerVersion.objects.filter(monograph__isnull=True).count()
    response = client.post(url, {"text": "New *site* disclaimer.", "summary": "Clearer"})
    assert response.status_code == 302
    current = workflow.current_site_disclaimer()
    assert current.text == "New *site* disclaimer." and current.created_by == moderator
    assert DisclaimerVersion.objects.filter(monograph__isnull=True).count() == before + 1
    page = client.get(url)
    assert "New *site* disclaimer." in page.content.decode()
    assert "Clearer" in page.content.decode()
    refused = client.post(url, {"text": "  ", "summary": "blank"})
    assert refused.status_code == 200
    assert workflow.current_site_disclaimer().pk == current.pk


# --- read-only records ---------------------------------------------------------------------------
def test_audit_entries_cannot_be_changed_or_deleted_even_by_a_superuser(
    client, superuser, in_review
):
    entry = AuditEntry.objects.filter(revision=in_review).first()
    client.force_login(superuser)
    change = reverse("admin:monographs_auditentry_change", args=[entry.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only detail
    assert client.post(change, {"message": "rewritten"}).status_code == 403
    delete = reverse("admin:monographs_auditentry_delete", args=[entry.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:monographs_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).message == entry.message


def test_audit_list_filters_by_action(client, moderator, in_review):
    client.force_login(moderator)
    url = reverse("admin:monographs_auditentry_changelist")
    response = client.get(url, {"action__exact": "submit"})
    assert response.status_code == 200
    assert {e.action for e in response.context["cl"].result_list} == {"submit"}

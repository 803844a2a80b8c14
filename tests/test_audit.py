"""The audit log: every workflow action leaves one append-only entry saying who did what,
to which revision, from which state to which. A refused action leaves none."""

from __future__ import annotations

from datetime import date

import pytest

from monographs import workflow
from monographs.models import AppendOnlyError, AuditEntry, Monograph, ReviewDecision, Revision
from monographs.workflow import WorkflowError
from tests.workflow_helpers import edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


def _entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("id"))


def _last() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


def _row(entry: AuditEntry) -> tuple:
    return (
        entry.action,
        entry.actor,
        entry.revision.number if entry.revision else None,
        entry.from_state,
        entry.to_state,
    )


def test_the_life_of_a_monograph_is_on_record(editor, editor2, moderator, moderator2):
    revision = workflow.create_monograph(content=sample_content(), by=editor, summary="New")
    monograph = revision.monograph
    workflow.submit(revision=revision, by=editor)
    workflow.request_changes(revision=revision, by=moderator, comment="Add a source")
    second = workflow.save_draft(
        monograph=monograph,
        content=edited(sample_content(), usage="Sourced"),
        by=editor2,
        summary="Added source",
        based_on=revision,
    ).revision
    workflow.submit(revision=second, by=editor2)
    workflow.approve(revision=second, by=moderator, content_hash=second.content_hash)
    reverted = workflow.revert_to(revision=revision, by=editor, summary="Back")
    workflow.withdraw(monograph=monograph, by=moderator2, reason="Recalled")
    workflow.restore(monograph=monograph, by=moderator2, reason="Recall lifted")
    workflow.set_next_review_due(monograph=monograph, by=moderator, due=date(2030, 1, 1))

    assert [_row(entry) for entry in _entries()] == [
        ("create", editor, 1, "", "draft"),
        ("submit", editor, 1, "draft", "in_review"),
        ("request_changes", moderator, 1, "in_review", "changes_requested"),
        ("save", editor2, 2, "changes_requested", "draft"),
        ("submit", editor2, 2, "draft", "in_review"),
        ("approve", moderator, 2, "in_review", "published"),
        ("revert", editor, 3, "published", "draft"),
        ("withdraw", moderator2, 2, "published", "withdrawn"),
        ("restore", moderator2, 2, "withdrawn", "published"),
        ("review_due_change", moderator, None, "", ""),
    ]
    assert all(entry.monograph_id == monograph.pk for entry in _entries())
    assert reverted.number == 3


def test_entries_carry_the_words_and_details(editor, moderator):
    revision = workflow.create_monograph(content=sample_content(), by=editor, summary="New one")
    assert _last().message == "New one"
    workflow.submit(revision=revision, by=editor)
    workflow.request_changes(revision=revision, by=moderator, comment="Too long")
    assert _last().message == "Too long"
    save = workflow.save_draft(
        monograph=revision.monograph,
        content=edited(sample_content(), usage="Shorter"),
        by=editor,
        summary="Shortened",
        based_on=revision,
    )
    entry = _last()
    assert (entry.message, entry.details["conflict"], entry.details["changed_since"]) == (
        "Shortened",
        False,
        [],
    )
    workflow.submit(revision=save.revision, by=editor)
    workflow.approve(
        revision=save.revision,
        by=moderator,
        content_hash=save.revision.content_hash,
        editorial=True,
    )
    assert _last().details["editorial"] is True
    monograph = workflow.withdraw(monograph=revision.monograph, by=moderator, reason="Why")
    assert _last().details == {"reason": "Why"}
    workflow.set_next_review_due(monograph=monograph, by=moderator, due=date(2031, 2, 3))
    assert _last().details["to"] == "2031-02-03"


def test_an_import_is_recorded_without_an_actor_and_with_the_file_name():
    result = workflow.import_source(content=sample_content(), filename="content/testamol.md")
    entry = _last()
    assert _row(entry) == ("import", None, 1, "", "published")
    assert entry.details["filename"] == "content/testamol.md"
    assert entry.revision == result.revision

    workflow.import_source(
        content=edited(sample_content(), usage="Draft"), filename="testamol.md", publish=False
    )
    assert _row(_last()) == ("import", None, 2, "published", "draft")


def test_refused_actions_and_no_op_saves_leave_no_entry(editor, moderator):
    revision = workflow.create_monograph(content=sample_content(), by=editor, summary="New")
    before = AuditEntry.objects.count()
    with pytest.raises(WorkflowError):
        workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
    with pytest.raises(WorkflowError):
        workflow.approve(revision=revision, by=editor, content_hash=revision.content_hash)
    assert (
        workflow.save_draft(
            monograph=revision.monograph,
            content=sample_content(),
            by=editor,
            summary="Nothing",
            based_on=revision,
        ).revision
        is None
    )
    assert AuditEntry.objects.count() == before


def test_audit_entries_cannot_be_edited_or_deleted(editor, moderator):
    publish_new(sample_content(), editor=editor, moderator=moderator)
    entry = _last()
    entry.message = "Rewritten history"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).message == ""
    assert AuditEntry.objects.count() == 3


def test_revisions_and_review_decisions_cannot_be_deleted(editor, moderator):
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    with pytest.raises(AppendOnlyError):
        monograph.live_revision.delete()
    with pytest.raises(AppendOnlyError):
        ReviewDecision.objects.get().delete()
    assert Revision.objects.count() == 1
    assert ReviewDecision.objects.count() == 1


def test_an_entry_is_written_in_the_same_transaction_as_the_change(editor, moderator, monkeypatch):
    # If the audit row cannot be written, the change it records must not happen either.
    revision = workflow.create_monograph(content=sample_content(), by=editor, summary="New")
    workflow.submit(revision=revision, by=editor)

    def failing_audit(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(workflow, "_audit", failing_audit)
    with pytest.raises(RuntimeError):
        workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
    revision.refresh_from_db()
    assert revision.status == Revision.Status.IN_REVIEW
    assert Monograph.objects.get(pk=revision.monograph_id).live_revision is None
    assert not ReviewDecision.objects.exists()

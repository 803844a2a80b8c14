"""Scheduled publishing: approve now, publish at a given time; review reminders."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from monographs import workflow
from monographs.models import AuditEntry, Monograph, ReviewDecision, ReviewReminder, Revision

from .workflow_helpers import approved_for, edited, publish_new, sample_content, submitted_edit

Status = Revision.Status


def scheduled(editor, moderator, *, hours: int = 2):
    """A live monograph with a new revision approved for ``hours`` from now."""
    monograph = publish_new(sample_content(title="Paracetamol"), editor=editor, moderator=moderator)
    when = timezone.now() + timedelta(hours=hours)
    submitted = submitted_edit(
        monograph,
        editor=editor,
        summary="New dose",
        publish_at=when,
        dosage="Adults: 750 mg every 8 hours (scheduled edit).",
    )
    revision = approved_for(submitted, moderator=moderator, when=when)
    return Monograph.objects.get(pk=monograph.pk), revision, when


@pytest.mark.django_db
def test_a_scheduled_approval_waits_then_publishes_at_its_time(
    client, editor, moderator, committing
) -> None:
    monograph, revision, when = scheduled(editor, moderator)
    assert revision.status == Status.SCHEDULED and revision.publish_at == when
    assert revision.requested_publish_at == when
    decision = ReviewDecision.objects.get(revision=revision)
    assert decision.publish_at == when and decision.reviewer == moderator
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SCHEDULE).count() == 1
    page = client.get("/medicines/paracetamol/").content.decode()
    assert (
        "750 mg every 8 hours (scheduled edit)" not in page
    )  # the public still sees the previous one

    assert workflow.publish_due() == []  # not yet
    published = committing(workflow.publish_due, now=when + timedelta(seconds=1))

    assert [r.pk for r in published] == [revision.pk]
    revision.refresh_from_db()
    monograph.refresh_from_db()
    assert revision.status == Status.PUBLISHED and monograph.live_revision_id == revision.pk
    assert revision.published_by == moderator
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH_SCHEDULED)
    assert entry.revision_id == revision.pk and entry.details["approved_by"] == moderator.username
    page = client.get("/medicines/paracetamol/").content.decode()
    assert "750 mg every 8 hours (scheduled edit)" in page  # the page cache was invalidated
    assert committing(workflow.publish_due, now=when + timedelta(hours=1)) == []


@pytest.mark.django_db
def test_a_later_edit_cancels_the_schedule(editor, moderator) -> None:
    monograph, revision, when = scheduled(editor, moderator)
    content = edited(revision.data, usage="Edited after the approval.")
    result = workflow.save_draft(
        monograph=monograph, content=content, by=editor, summary="Late fix", based_on=None
    )
    revision.refresh_from_db()
    assert revision.status == Status.SUPERSEDED
    assert result.revision.status == Status.DRAFT  # needs its own review
    assert workflow.publish_due(now=when + timedelta(minutes=5)) == []
    monograph.refresh_from_db()
    assert monograph.live_revision.number == 1


@pytest.mark.django_db
def test_cancel_and_reschedule_are_audited_actions(editor, moderator, moderator2) -> None:
    _monograph, revision, when = scheduled(editor, moderator)
    later = when + timedelta(days=1)
    workflow.reschedule(revision=revision, by=moderator2, publish_at=later)
    revision.refresh_from_db()
    assert revision.publish_at == later
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESCHEDULE)
    assert entry.actor == moderator2 and entry.details["to"] == later.isoformat()
    assert workflow.publish_due(now=when + timedelta(minutes=1)) == []

    with pytest.raises(workflow.InvalidTransition, match="already approved and scheduled"):
        workflow.approve(revision=revision, by=moderator2, content_hash=revision.content_hash)
    workflow.cancel_schedule(revision=revision, by=moderator2, reason="Wait for the leaflet")
    revision.refresh_from_db()
    assert revision.status == Status.IN_REVIEW and revision.publish_at is None
    assert AuditEntry.objects.get(action=AuditEntry.Action.CANCEL_SCHEDULE).message == (
        "Wait for the leaflet"
    )
    with pytest.raises(workflow.InvalidTransition, match="not scheduled"):
        workflow.cancel_schedule(revision=revision, by=moderator2)


@pytest.mark.django_db
def test_a_time_in_the_past_or_years_ahead_is_refused(editor, moderator) -> None:
    monograph = publish_new(sample_content(title="Ibuprofen"), editor=editor, moderator=moderator)
    submitted = submitted_edit(monograph, editor=editor, usage="New text.")
    for when, message in [
        (timezone.now() - timedelta(minutes=1), "has passed"),
        (timezone.now() + timedelta(days=3 * 365), "more than two years ahead"),
    ]:
        with pytest.raises(workflow.InvalidInput, match=message):
            workflow.approve(
                revision=submitted,
                by=moderator,
                content_hash=submitted.content_hash,
                publish_at=when,
            )
    assert Revision.objects.get(pk=submitted.pk).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_publish_scheduled_command(editor, moderator, capsys) -> None:
    _monograph, revision, when = scheduled(editor, moderator, hours=2)
    Revision.objects.filter(pk=revision.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    call_command("publish_scheduled")
    assert "published paracetamol #2" in capsys.readouterr().out
    assert Revision.objects.get(pk=revision.pk).status == Status.PUBLISHED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_servers_running_it_at_once_publish_once(editor, moderator) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's")
    due = []
    for n in range(6):
        monograph = publish_new(
            sample_content(title=f"Medicine {n}"), editor=editor, moderator=moderator
        )
        submitted = submitted_edit(monograph, editor=editor, usage=f"New text {n}.")
        when = timezone.now() + timedelta(hours=1)
        due.append(approved_for(submitted, moderator=moderator, when=when).pk)
    start = threading.Barrier(2)
    results: list[list[int]] = []

    def run() -> None:
        try:
            start.wait()
            found = workflow.publish_due(now=timezone.now() + timedelta(hours=2))
            results.append([r.pk for r in found])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    published = sorted(pk for found in results for pk in found)
    assert published == sorted(due)  # each exactly once, between the two
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PUBLISH_SCHEDULED).count() == 6
    assert Revision.objects.filter(pk__in=due, status=Status.PUBLISHED).count() == 6


# --- review reminders ----------------------------------------------------------------------


@pytest.mark.django_db
def test_review_reminders_are_sent_once_a_day(editor, moderator, moderator2, capsys) -> None:
    today = timezone.localdate()
    overdue = publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    soon = publish_new(sample_content(title="Codeine"), editor=editor, moderator=moderator)
    later = publish_new(sample_content(title="Diazepam"), editor=editor, moderator=moderator)
    Monograph.objects.filter(pk=overdue.pk).update(next_review_due=today - timedelta(days=3))
    Monograph.objects.filter(pk=soon.pk).update(next_review_due=today + timedelta(days=20))
    Monograph.objects.filter(pk=later.pk).update(next_review_due=today + timedelta(days=90))
    mail.outbox.clear()

    call_command("send_review_reminders")

    assert "2 reviews due within 30 days or overdue; 2 reminders sent" in capsys.readouterr().out
    assert sorted(m.to[0] for m in mail.outbox) == [moderator.email, moderator2.email]
    body = mail.outbox[0].body
    assert "Aspirin" in body and "Codeine" in body and "Diazepam" not in body
    assert body.index("Overdue") < body.index("Aspirin") < body.index("Due within 30 days")
    assert editor.email not in [m.to[0] for m in mail.outbox]

    call_command("send_review_reminders")  # the same day again: nothing more
    assert len(mail.outbox) == 2
    assert ReviewReminder.objects.count() == 2

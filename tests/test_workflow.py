"""The editorial workflow, as a specification: who may do what, and what each action leaves.

Disclaimers, the audit log and concurrency have their own modules
(test_disclaimers.py, test_audit.py, test_workflow_concurrency.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from monographs import page, workflow
from monographs.models import AuditEntry, Monograph, ReviewDecision, Revision, SiteVersion
from monographs.workflow import (
    ClinicalChangesNotChecked,
    InvalidInput,
    InvalidTransition,
    StaleRevision,
    WorkflowError,
    WorkflowPermissionDenied,
)
from tests.workflow_helpers import (
    edit_and_publish,
    edited,
    moderator_text_reverted_to_by_editor,
    publish_new,
    sample_content,
)

pytestmark = pytest.mark.django_db

Status = Revision.Status


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _draft(editor, **overrides) -> Revision:
    return workflow.create_monograph(
        content=sample_content(**overrides), by=editor, summary="First version"
    )


def _in_review(editor, **overrides) -> Revision:
    return workflow.submit(revision=_draft(editor, **overrides), by=editor)


def _save(monograph, content, by, *, summary="Edited", based_on=None) -> workflow.SaveResult:
    monograph = _fresh(monograph)
    return workflow.save_draft(
        monograph=monograph,
        content=content,
        by=by,
        summary=summary,
        based_on=based_on or monograph.latest_revision,
    )


# --- permissions ------------------------------------------------------------------------


class TestPermissions:
    def test_editor_cannot_approve(self, editor, editor2):
        revision = _in_review(editor)
        with pytest.raises(WorkflowPermissionDenied, match="permission to approve revisions"):
            workflow.approve(revision=revision, by=editor2, content_hash=revision.content_hash)
        assert _fresh(revision).status == Status.IN_REVIEW
        assert _fresh(revision.monograph).live_revision is None

    def test_editor_cannot_request_changes_withdraw_or_change_review_dates(
        self, editor, editor2, moderator
    ):
        revision = _in_review(editor)
        with pytest.raises(WorkflowPermissionDenied):
            workflow.request_changes(revision=revision, by=editor2, comment="No")
        monograph = publish_new(sample_content("Other"), editor=editor, moderator=moderator)
        with pytest.raises(WorkflowPermissionDenied, match="withdraw"):
            workflow.withdraw(monograph=monograph, by=editor, reason="Wrong")
        with pytest.raises(WorkflowPermissionDenied, match="review dates"):
            workflow.set_next_review_due(monograph=monograph, by=editor, due=date(2030, 1, 1))

    def test_anonymous_cannot_create_or_save(self, editor):
        with pytest.raises(WorkflowPermissionDenied, match="create monographs"):
            workflow.create_monograph(content=sample_content(), by=AnonymousUser(), summary="x")
        revision = _draft(editor)
        with pytest.raises(WorkflowPermissionDenied, match="edit monographs"):
            _save(revision.monograph, edited(sample_content(), usage="New"), AnonymousUser())
        assert Revision.objects.count() == 1


# --- create -----------------------------------------------------------------------------


class TestCreate:
    def test_creates_a_draft_revision_one_that_nobody_sees(self, editor):
        revision = _draft(editor, other_names=["Testol"])
        monograph = revision.monograph
        assert (revision.number, revision.status, revision.created_by) == (1, "draft", editor)
        assert revision.content_hash == sample_content(other_names=["Testol"]).hash()
        assert revision.data.section("usage").body.startswith("Testamol is used")
        assert monograph.slug == "testamol"
        assert (monograph.title, monograph.generic_name, monograph.other_names) == (
            "Testamol",
            "testamol",
            ["Testol"],
        )
        assert _fresh(monograph).latest_revision == revision
        assert _fresh(monograph).live_revision is None
        assert not Monograph.objects.published().exists()

    def test_given_slug_is_used(self, editor):
        revision = workflow.create_monograph(
            content=sample_content(), by=editor, summary="New", slug="testamol-tablets"
        )
        assert revision.monograph.slug == "testamol-tablets"

    def test_slug_clash_is_refused_and_writes_nothing(self, editor):
        _draft(editor)
        with pytest.raises(WorkflowError, match='web address "testamol" already exists'):
            _draft(editor)
        assert Monograph.objects.count() == 1
        assert Revision.objects.count() == 1

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"summary": "  "}, "A change summary is required"),
            ({"summary": "x" * 501}, "keep it under 500"),
            ({"slug": "Not A Slug!"}, "not a valid web address"),
            ({"content": sample_content(title="   ")}, "needs a title"),
            ({"content": sample_content(title="x" * 201)}, "longer than 200"),
            ({"content": {"title": "Dict"}}, "not in the expected form"),
        ],
    )
    def test_bad_input_gets_a_clear_error_and_writes_nothing(self, editor, kwargs, message):
        arguments = {"content": sample_content(), "by": editor, "summary": "New", **kwargs}
        with pytest.raises(InvalidInput, match=message):
            workflow.create_monograph(**arguments)
        assert not Monograph.objects.exists()
        assert not AuditEntry.objects.exists()

    def test_repeated_section_keys_are_refused(self, editor):
        content = sample_content()
        content.sections.append(content.sections[0])
        with pytest.raises(WorkflowError, match='same key "usage"'):
            workflow.create_monograph(content=content, by=editor, summary="New")


# --- saving drafts ----------------------------------------------------------------------


class TestSaveDraft:
    def test_saving_unchanged_content_creates_nothing(self, editor):
        revision = _draft(editor)
        result = _save(revision.monograph, sample_content(), editor)
        assert result == workflow.SaveResult(None)
        assert Revision.objects.count() == 1
        assert AuditEntry.objects.filter(action="save").count() == 0

    def test_a_summary_is_required(self, editor):
        revision = _draft(editor)
        with pytest.raises(WorkflowError, match="A change summary is required"):
            _save(revision.monograph, edited(sample_content(), usage="New"), editor, summary="")
        assert Revision.objects.count() == 1

    def test_editing_a_published_monograph_makes_a_draft_and_leaves_the_public_page(
        self, editor, moderator
    ):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        live = monograph.live_revision
        result = _save(
            monograph, edited(sample_content(), usage="New usage", title="Renamed"), editor
        )
        assert result.revision.number == 2
        assert result.revision.status == Status.DRAFT
        assert result.revision.based_on == live
        assert not result.conflict
        monograph = _fresh(monograph)
        assert monograph.live_revision == live
        assert monograph.latest_revision == result.revision
        assert _fresh(live).status == Status.PUBLISHED
        # The public title and names stay those of the live revision until approval.
        assert monograph.title == "Testamol"
        assert "New usage" not in live.rendered_html

    def test_a_new_save_supersedes_the_pending_draft(self, editor):
        first = _draft(editor)
        second = _save(first.monograph, edited(sample_content(), usage="Two"), editor).revision
        third = _save(first.monograph, edited(sample_content(), usage="Three"), editor).revision
        assert [_fresh(r).status for r in (first, second, third)] == [
            Status.SUPERSEDED,
            Status.SUPERSEDED,
            Status.DRAFT,
        ]
        assert [r.number for r in (first, second, third)] == [1, 2, 3]
        # Until the first publication, the working title follows the draft.
        assert _fresh(first.monograph).latest_revision == third

    def test_editing_after_submission_keeps_it_in_review_but_needs_a_new_approval(
        self, editor, moderator
    ):
        submitted = _in_review(editor)
        result = _save(submitted.monograph, edited(sample_content(), usage="Fixed"), editor)
        edited_revision = result.revision
        assert edited_revision.status == Status.IN_REVIEW
        assert edited_revision.submitted_by == editor
        assert edited_revision.submitted_at == submitted.submitted_at
        assert _fresh(submitted).status == Status.SUPERSEDED

        # The moderator's approval of what was submitted does not cover the edit.
        with pytest.raises(InvalidTransition, match="Revision #1 was superseded by #2"):
            workflow.approve(revision=submitted, by=moderator, content_hash=submitted.content_hash)
        with pytest.raises(StaleRevision, match="Revision #2 changed since you opened it"):
            workflow.approve(
                revision=edited_revision, by=moderator, content_hash=submitted.content_hash
            )
        approved = workflow.approve(
            revision=edited_revision, by=moderator, content_hash=edited_revision.content_hash
        )
        assert approved.status == Status.PUBLISHED
        assert "Fixed" in approved.rendered_html

    def test_saving_after_changes_requested_makes_a_draft_to_submit_again(self, editor, moderator):
        revision = _in_review(editor)
        workflow.request_changes(revision=revision, by=moderator, comment="Cite a source")
        result = _save(revision.monograph, edited(sample_content(), usage="Cited"), editor)
        assert result.revision.status == Status.DRAFT
        assert _fresh(revision).status == Status.SUPERSEDED
        resubmitted = workflow.submit(revision=result.revision, by=editor)
        assert resubmitted.status == Status.IN_REVIEW

    def test_a_save_based_on_an_out_of_date_revision_is_kept_and_flagged(self, editor, editor2):
        start = _draft(editor)
        monograph = start.monograph
        # Both editors open revision #1; editor saves first.
        first = _save(
            monograph,
            edited(sample_content(), usage="Editor one's usage", title="Testamol Forte"),
            editor,
            based_on=start,
        ).revision
        late = _save(
            monograph,
            edited(sample_content(), dosage="Editor two's dosage"),
            editor2,
            based_on=start,
        )
        assert late.conflict
        assert late.changed_since == ["title", "usage"]
        kept = late.revision
        assert kept.is_conflict
        assert kept.status == Status.DRAFT
        assert kept.number == 3
        assert kept.based_on == start
        assert kept.data.section("dosage").body == "Editor two's dosage"
        # Nothing is lost: editor one's revision is still there, and still says what it said.
        assert _fresh(first).data.section("usage").body == "Editor one's usage"
        assert _fresh(monograph).latest_revision == kept
        entry = AuditEntry.objects.get(revision=kept)
        assert entry.details["conflict"] is True
        assert entry.details["changed_since"] == ["title", "usage"]

    def test_a_conflicting_save_over_a_revision_in_review_is_a_draft_to_check_first(
        self, editor, editor2, moderator
    ):
        start = _draft(editor)
        submitted = workflow.submit(
            revision=_save(start.monograph, edited(sample_content(), usage="A"), editor).revision,
            by=editor,
        )
        late = _save(start.monograph, edited(sample_content(), dosage="B"), editor2, based_on=start)
        assert late.conflict
        assert late.revision.status == Status.DRAFT  # not sent to review behind anyone's back
        assert late.revision.submitted_at is None
        # The revision in review was replaced, so it can no longer be approved by mistake.
        assert _fresh(submitted).status == Status.SUPERSEDED
        with pytest.raises(InvalidTransition, match="Revision #2 was superseded by #3"):
            workflow.approve(revision=submitted, by=moderator, content_hash=submitted.content_hash)

    def test_the_author_of_a_replaced_revision_in_review_is_told(
        self, editor, editor2, mailoutbox, django_capture_on_commit_callbacks
    ):
        start = _draft(editor)
        submitted = workflow.submit(
            revision=_save(start.monograph, edited(sample_content(), usage="A"), editor).revision,
            by=editor,
        )
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            late = _save(
                start.monograph, edited(sample_content(), dosage="B"), editor2, based_on=start
            )
        replaced = [m for m in mailoutbox if "replaced" in m.subject]
        assert [m.to for m in replaced] == [[editor.email]]
        assert f"#{submitted.number}" in replaced[0].subject
        assert f"revision #{late.revision.number}" in replaced[0].body
        assert "in review" in replaced[0].body

    def test_replacing_your_own_pending_revision_sends_no_mail(
        self, editor, mailoutbox, django_capture_on_commit_callbacks
    ):
        start = _draft(editor)
        with django_capture_on_commit_callbacks(execute=True):
            _save(start.monograph, edited(sample_content(), usage="Mine again"), editor)
        assert not [m for m in mailoutbox if "replaced" in m.subject]

    def test_an_untouched_form_from_an_old_revision_does_not_undo_newer_work(self, editor):
        start = _draft(editor)
        newer = _save(start.monograph, edited(sample_content(), usage="Newer"), editor).revision
        result = _save(start.monograph, sample_content(), editor, based_on=start)
        assert result.revision is None
        assert _fresh(start.monograph).latest_revision == newer

    def test_based_on_a_revision_of_another_monograph_is_refused(self, editor):
        one = _draft(editor)
        other = _draft(editor, title="Othermol")
        with pytest.raises(WorkflowError, match="does not exist"):
            _save(one.monograph, edited(sample_content(), usage="x"), editor, based_on=other)


# --- submit -----------------------------------------------------------------------------


class TestSubmit:
    def test_submit_puts_the_draft_in_review(self, editor):
        draft = _draft(editor)
        before = timezone.now()
        revision = workflow.submit(revision=draft, by=editor)
        assert revision.status == Status.IN_REVIEW
        assert revision.submitted_by == editor
        assert revision.submitted_at >= before
        assert _fresh(draft).status == Status.IN_REVIEW

    def test_submit_twice_is_refused(self, editor):
        revision = _in_review(editor)
        with pytest.raises(InvalidTransition, match="Revision #1 is already in review"):
            workflow.submit(revision=revision, by=editor)

    def test_only_the_latest_revision_can_be_submitted(self, editor):
        first = _draft(editor)
        _save(first.monograph, edited(sample_content(), usage="Two"), editor)
        with pytest.raises(InvalidTransition, match="Revision #1 was superseded by #2"):
            workflow.submit(revision=first, by=editor)

    def test_a_published_revision_cannot_be_submitted(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        with pytest.raises(InvalidTransition, match="Revision #1 is already published"):
            workflow.submit(revision=monograph.live_revision, by=editor)

    def test_moderators_are_told_by_mail(
        self, editor, moderator, moderator2, mailoutbox, django_capture_on_commit_callbacks
    ):
        draft = _draft(editor)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.submit(revision=draft, by=editor)
        assert sorted(m.to[0] for m in mailoutbox) == [
            "moderator1@example.org",
            "moderator2@example.org",
        ]
        assert "Review requested: Testamol #1" in mailoutbox[0].subject
        assert "First version" in mailoutbox[0].body
        assert reverse("admin:monographs_revision_review", args=[draft.pk]) in mailoutbox[0].body

    def test_no_mail_when_the_submission_is_refused(
        self, editor, moderator, mailoutbox, django_capture_on_commit_callbacks
    ):
        revision = _in_review(editor)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
            workflow.submit(revision=revision, by=editor)
        assert mailoutbox == []


# --- approve ----------------------------------------------------------------------------


class TestApprove:
    def test_approve_publishes_the_revision(self, editor, moderator):
        revision = _in_review(editor)
        today = timezone.localdate()
        published = workflow.approve(
            revision=revision, by=moderator, content_hash=revision.content_hash, comment="Good"
        )
        assert published.status == Status.PUBLISHED
        assert published.published_by == moderator
        assert published.published_at is not None
        assert not published.is_editorial
        assert published.article_html == page.build_article_html(
            revision.data, published.disclaimer_version.text
        )
        assert "Testamol is used to treat" in published.rendered_html
        assert published.disclaimer_version is not None

        monograph = _fresh(revision.monograph)
        assert monograph.live_revision == published
        assert monograph.is_published
        assert list(Monograph.objects.published()) == [monograph]
        assert monograph.sort_title == "testamol"
        assert "Testamol" in monograph.search_names
        assert "prostaglandins" in monograph.search_text
        assert monograph.first_published_at == published.published_at
        assert monograph.last_published_at == published.published_at
        assert monograph.last_reviewed_at == today
        assert monograph.last_reviewed_by == moderator
        assert monograph.next_review_due == today + timedelta(days=365)

        decision = ReviewDecision.objects.get(revision=published)
        assert decision.decision == ReviewDecision.Decision.APPROVED
        assert (decision.reviewer, decision.comment) == (moderator, "Good")
        assert decision.content_hash == revision.content_hash

    def test_publishing_a_new_revision_supersedes_the_old_live_one(
        self, editor, moderator, moderator2
    ):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        first = monograph.live_revision
        second = edit_and_publish(
            monograph,
            edited(sample_content(), title="Testamol Plus", other_names=["TP"]),
            editor=editor,
            moderator=moderator2,
        )
        assert _fresh(first).status == Status.SUPERSEDED
        monograph = _fresh(monograph)
        assert monograph.live_revision == second
        assert (monograph.title, monograph.other_names) == ("Testamol Plus", ["TP"])
        assert monograph.first_published_at == first.published_at
        assert monograph.last_published_at == second.published_at
        assert monograph.last_reviewed_by == moderator2

    def test_an_editorial_publication_keeps_the_clinical_review_dates(
        self, editor, moderator, moderator2
    ):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        workflow.set_next_review_due(monograph=monograph, by=moderator, due=date(2031, 5, 1))
        monograph = _fresh(monograph)
        reviewed = (monograph.last_reviewed_at, monograph.last_reviewed_by)
        result = _save(monograph, edited(sample_content(), usage="Typo fixed"), editor)
        revision = workflow.submit(revision=result.revision, by=editor)
        published = workflow.approve(
            revision=revision, by=moderator2, content_hash=revision.content_hash, editorial=True
        )
        assert published.is_editorial
        assert ReviewDecision.objects.get(revision=published).is_editorial
        monograph = _fresh(monograph)
        assert (monograph.last_reviewed_at, monograph.last_reviewed_by) == reviewed
        assert monograph.next_review_due == date(2031, 5, 1)
        assert monograph.last_published_at == published.published_at

    def test_a_draft_that_was_never_submitted_cannot_be_approved(self, editor, moderator):
        draft = _draft(editor)
        with pytest.raises(
            InvalidTransition, match="Revision #1 is a draft that was never submitted for review"
        ):
            workflow.approve(revision=draft, by=moderator, content_hash=draft.content_hash)
        assert _fresh(draft).status == Status.DRAFT
        assert not ReviewDecision.objects.exists()

    def test_a_superseded_revision_cannot_be_approved(self, editor, moderator):
        submitted = _in_review(editor)
        _save(submitted.monograph, edited(sample_content(), usage="Later"), editor)
        with pytest.raises(InvalidTransition, match="Revision #1 was superseded by #2"):
            workflow.approve(revision=submitted, by=moderator, content_hash=submitted.content_hash)

    def test_a_revision_sent_back_cannot_be_approved(self, editor, moderator, moderator2):
        revision = _in_review(editor)
        workflow.request_changes(revision=revision, by=moderator, comment="Needs a source")
        with pytest.raises(InvalidTransition, match="Revision #1 was sent back for changes"):
            workflow.approve(revision=revision, by=moderator2, content_hash=revision.content_hash)

    def test_a_published_revision_cannot_be_approved_again(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        live = monograph.live_revision
        with pytest.raises(InvalidTransition, match="Revision #1 is already published"):
            workflow.approve(revision=live, by=moderator, content_hash=live.content_hash)
        assert ReviewDecision.objects.count() == 1

    def test_a_stale_hash_is_refused(self, editor, moderator):
        revision = _in_review(editor)
        with pytest.raises(StaleRevision, match="Revision #1 changed since you opened it"):
            workflow.approve(revision=revision, by=moderator, content_hash="0" * 64)
        assert _fresh(revision).status == Status.IN_REVIEW

    def test_nobody_approves_their_own_revision(self, moderator):
        revision = _in_review(moderator)
        with pytest.raises(
            WorkflowPermissionDenied, match="You cannot approve a revision you wrote or edited"
        ):
            workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert _fresh(revision.monograph).live_revision is None

    def test_nor_one_built_on_their_unpublished_edit(self, editor, moderator, moderator2):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator2)
        # The moderator edits, then an editor edits on top and submits.
        _save(monograph, edited(sample_content(), usage="Moderator's change"), moderator)
        on_top = _save(
            monograph, edited(sample_content(), usage="Moderator's change", dosage="x"), editor
        ).revision
        submitted = workflow.submit(revision=on_top, by=editor)
        with pytest.raises(WorkflowPermissionDenied, match="you wrote or edited"):
            workflow.approve(revision=submitted, by=moderator, content_hash=submitted.content_hash)
        # Someone outside the chain may; the published revision's author does not count.
        published = workflow.approve(
            revision=submitted,
            by=moderator2,
            content_hash=submitted.content_hash,
            clinical_checked=True,
        )
        assert _fresh(monograph).live_revision == published

    def test_superusers_are_bound_by_the_four_eyes_rule_too(self, superuser, moderator):
        revision = _in_review(superuser)
        with pytest.raises(WorkflowPermissionDenied):
            workflow.approve(revision=revision, by=superuser, content_hash=revision.content_hash)
        assert (
            workflow.approve(
                revision=revision, by=moderator, content_hash=revision.content_hash
            ).status
            == Status.PUBLISHED
        )

    def test_self_approval_can_be_allowed_for_one_person_sites(self, moderator, settings):
        settings.MEDSITE_ALLOW_SELF_APPROVAL = True
        revision = _in_review(moderator)
        published = workflow.approve(
            revision=revision, by=moderator, content_hash=revision.content_hash
        )
        assert published.status == Status.PUBLISHED

    def test_an_older_revision_is_never_published_over_a_newer_live_one(self, editor, moderator):
        # Bypass the pointers a little to build the state a race could leave: an IN_REVIEW
        # revision numbered below the live one that is still the monograph's latest.
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        old = Revision.objects.create(
            monograph=monograph,
            number=0,
            status=Status.IN_REVIEW,
            content=sample_content().as_dict(),
            content_hash=sample_content().hash(),
            change_summary="Old",
            created_by=editor,
        )
        Monograph.objects.filter(pk=monograph.pk).update(latest_revision=old)
        with pytest.raises(InvalidTransition, match="older than the live revision #1"):
            workflow.approve(revision=old, by=moderator, content_hash=old.content_hash)
        assert _fresh(monograph).live_revision.number == 1

    def test_the_authors_are_told_by_mail(
        self, editor, editor2, moderator, mailoutbox, django_capture_on_commit_callbacks
    ):
        revision = _draft(editor)
        revision = _save(
            revision.monograph, edited(sample_content(), usage="Two"), editor2
        ).revision
        revision = workflow.submit(revision=revision, by=editor2)
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert sorted(m.to[0] for m in mailoutbox) == [
            "editor1@example.org",
            "editor2@example.org",
        ]
        assert "Published: Testamol #2" in mailoutbox[0].subject
        assert "/medicines/testamol/" in mailoutbox[0].body

    def test_the_page_version_is_written_in_the_publishing_transaction(
        self, editor, moderator, monkeypatch
    ):
        recorded = []
        original = workflow.caching.invalidate_monograph

        def record(monograph):
            recorded.append((monograph.slug, connection.in_atomic_block))
            original(monograph)

        monkeypatch.setattr(workflow.caching, "invalidate_monograph", record)
        revision = _in_review(editor)
        # Inside the transaction: if it rolls back, so does the new version; once it
        # commits, no cache failure and no exit of the process can lose it.
        workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert recorded == [("testamol", True)]
        monograph = Monograph.objects.get(slug="testamol")
        assert monograph.page_generation == SiteVersion.objects.get(pk=1).generation > 0

    def test_a_failing_cache_does_not_undo_or_hide_the_publication(
        self, editor, moderator, monkeypatch, django_capture_on_commit_callbacks
    ):
        class Broken:
            def __getattr__(self, name):
                raise ConnectionError("redis is down")

        monkeypatch.setattr(workflow.caching, "_cache", Broken)
        revision = _in_review(editor)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert _fresh(revision).status == Status.PUBLISHED
        monograph = Monograph.objects.get(slug="testamol")
        assert monograph.page_generation == SiteVersion.objects.get(pk=1).generation > 0


class TestClinicalChanges:
    """Issue 11.1: a revision with clinical changes is approved only when the moderator says
    they checked them; the changes are recorded with the approval."""

    def _dose_change(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        live = _fresh(monograph).live_revision.data
        dosage = live.section("dosage").body.replace("1 g up to four times", "2 g up to four times")
        revision = _save(monograph, edited(live, dosage=dosage), editor).revision
        return workflow.submit(revision=revision, by=editor)

    def test_refused_without_the_acknowledgement_and_nothing_is_published(
        self, editor, moderator, moderator2
    ):
        revision = self._dose_change(editor, moderator)
        with pytest.raises(ClinicalChangesNotChecked, match=r"Dosage: 1 g → 2 g"):
            workflow.approve(revision=revision, by=moderator2, content_hash=revision.content_hash)
        assert _fresh(revision).status == Status.IN_REVIEW
        assert not ReviewDecision.objects.filter(revision=revision).exists()
        assert not AuditEntry.objects.filter(revision=revision, action="approve").exists()

    def test_approved_with_it_and_the_changes_are_recorded(self, editor, moderator, moderator2):
        revision = self._dose_change(editor, moderator)
        workflow.approve(
            revision=revision,
            by=moderator2,
            content_hash=revision.content_hash,
            clinical_checked=True,
        )
        decision = ReviewDecision.objects.get(revision=revision)
        assert decision.clinical_checked is True
        assert [(c["section"], c["before"], c["after"]) for c in decision.clinical_changes] == [
            ("Dosage", "1 g", "2 g")
        ]
        audit = AuditEntry.objects.get(revision=revision, action="approve")
        assert audit.details["clinical_changes"] == 1

    def test_a_revision_without_clinical_changes_needs_no_acknowledgement(
        self, editor, moderator, moderator2
    ):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        live = _fresh(monograph).live_revision.data
        usage = live.section("usage").body.replace("mild to moderate", "mild-to-moderate")
        revision = _save(monograph, edited(live, usage=usage), editor).revision
        revision = workflow.submit(revision=revision, by=editor)
        workflow.approve(revision=revision, by=moderator2, content_hash=revision.content_hash)
        decision = ReviewDecision.objects.get(revision=revision)
        assert decision.clinical_changes == [] and decision.clinical_checked is False

    def test_a_first_publication_has_nothing_to_compare_with(self, editor, moderator):
        revision = _in_review(editor)
        assert workflow.clinical_changes_of(revision) == []
        workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert _fresh(revision).status == Status.PUBLISHED

    def test_a_scheduled_approval_needs_it_too_and_records_the_changes(
        self, editor, moderator, moderator2
    ):
        revision = self._dose_change(editor, moderator)
        later = timezone.now() + timedelta(days=1)
        with pytest.raises(ClinicalChangesNotChecked):
            workflow.approve(
                revision=revision,
                by=moderator2,
                content_hash=revision.content_hash,
                publish_at=later,
            )
        workflow.approve(
            revision=revision,
            by=moderator2,
            content_hash=revision.content_hash,
            publish_at=later,
            clinical_checked=True,
        )
        decision = ReviewDecision.objects.get(revision=revision)
        assert decision.clinical_checked and decision.clinical_changes[0]["after"] == "2 g"

    def test_only_a_real_true_counts(self, editor, moderator, moderator2):
        revision = self._dose_change(editor, moderator)
        with pytest.raises(ClinicalChangesNotChecked):
            workflow.approve(
                revision=revision,
                by=moderator2,
                content_hash=revision.content_hash,
                clinical_checked="yes",  # type: ignore[arg-type]
            )


# --- request changes --------------------------------------------------------------------


class TestRequestChanges:
    def test_sends_the_revision_back_with_a_comment(
        self, editor, moderator, mailoutbox, django_capture_on_commit_callbacks
    ):
        revision = _in_review(editor)
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            decision = workflow.request_changes(
                revision=revision, by=moderator, comment="Add the maximum daily dose"
            )
        assert decision.decision == ReviewDecision.Decision.CHANGES_REQUESTED
        assert (decision.reviewer, decision.comment) == (moderator, "Add the maximum daily dose")
        assert decision.content_hash == revision.content_hash
        assert _fresh(revision).status == Status.CHANGES_REQUESTED
        assert _fresh(revision.monograph).live_revision is None
        assert [m.to for m in mailoutbox] == [["editor1@example.org"]]
        assert "Add the maximum daily dose" in mailoutbox[0].body
        edit_url = reverse("admin:monographs_monograph_change", args=[revision.monograph_id])
        assert edit_url in mailoutbox[0].body

    def test_a_comment_is_required(self, editor, moderator):
        revision = _in_review(editor)
        with pytest.raises(WorkflowError, match="A comment saying what to change is required"):
            workflow.request_changes(revision=revision, by=moderator, comment="   ")
        assert _fresh(revision).status == Status.IN_REVIEW
        assert not ReviewDecision.objects.exists()

    def test_only_a_revision_in_review_can_be_sent_back(self, editor, moderator):
        draft = _draft(editor)
        with pytest.raises(InvalidTransition, match="never submitted for review"):
            workflow.request_changes(revision=draft, by=moderator, comment="No")
        workflow.submit(revision=draft, by=editor)
        workflow.request_changes(revision=draft, by=moderator, comment="No")
        with pytest.raises(InvalidTransition, match="was sent back for changes"):
            workflow.request_changes(revision=draft, by=moderator, comment="Again")

    def test_the_author_can_resubmit_it_unchanged(self, editor, moderator):
        revision = _in_review(editor)
        workflow.request_changes(revision=revision, by=moderator, comment="Check it")
        assert workflow.submit(revision=revision, by=editor).status == Status.IN_REVIEW


# --- revert -----------------------------------------------------------------------------


class TestRevert:
    def test_revert_makes_a_draft_that_goes_through_review(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        first = monograph.live_revision
        second = edit_and_publish(
            monograph, edited(sample_content(), usage="Wrong"), editor=editor, moderator=moderator
        )
        revert = workflow.revert_to(revision=first, by=editor, summary="Back to #1")
        assert (revert.number, revert.status, revert.source) == (3, Status.DRAFT, "revert")
        assert revert.reverted_from == first
        assert revert.based_on == second
        assert revert.content_hash == first.content_hash
        # The public still sees #2 until a moderator approves the revert.
        assert _fresh(monograph).live_revision == second
        with pytest.raises(InvalidTransition, match="never submitted"):
            workflow.approve(revision=revert, by=moderator, content_hash=revert.content_hash)
        workflow.submit(revision=revert, by=editor)
        published = workflow.approve(
            revision=revert, by=moderator, content_hash=revert.content_hash
        )
        assert _fresh(monograph).live_revision == published
        assert "Wrong" not in published.rendered_html

    def test_reverting_to_the_latest_content_is_refused(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        with pytest.raises(WorkflowError, match="nothing to revert"):
            workflow.revert_to(revision=monograph.live_revision, by=editor, summary="Again")
        assert Revision.objects.count() == 1

    def test_revert_supersedes_a_pending_draft(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        pending = _save(monograph, edited(sample_content(), usage="Pending"), editor).revision
        revert = workflow.revert_to(
            revision=monograph.live_revision, by=editor, summary="Drop the pending edit"
        )
        assert _fresh(pending).status == Status.SUPERSEDED
        assert _fresh(monograph).latest_revision == revert

    def test_revert_needs_a_summary_and_edit_rights(self, editor, moderator, django_user_model):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        _save(monograph, edited(sample_content(), usage="Two"), editor)
        with pytest.raises(WorkflowError, match="A change summary is required"):
            workflow.revert_to(revision=monograph.live_revision, by=editor, summary="")
        reader = django_user_model.objects.create_user("reader", is_staff=True)
        with pytest.raises(WorkflowPermissionDenied):
            workflow.revert_to(revision=monograph.live_revision, by=reader, summary="x")


# --- withdraw, restore, review dates ----------------------------------------------------


class TestWithdrawRestore:
    def test_withdraw_takes_it_off_the_public_site_and_restore_puts_it_back(
        self, editor, moderator
    ):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        withdrawn = workflow.withdraw(monograph=monograph, by=moderator, reason="Recalled")
        assert withdrawn.is_withdrawn
        assert withdrawn.withdrawn_reason == "Recalled"
        assert not Monograph.objects.published().exists()
        assert _fresh(monograph).live_revision.status == Status.PUBLISHED

        restored = workflow.restore(monograph=monograph, by=moderator, reason="Recall lifted")
        assert not restored.is_withdrawn
        assert restored.withdrawn_reason == ""
        assert list(Monograph.objects.published()) == [_fresh(monograph)]

    def test_a_reason_is_required(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        with pytest.raises(WorkflowError, match="A reason for withdrawing is required"):
            workflow.withdraw(monograph=monograph, by=moderator, reason=" ")
        assert not _fresh(monograph).is_withdrawn
        workflow.withdraw(monograph=monograph, by=moderator, reason="Recalled")
        with pytest.raises(WorkflowError, match="A reason for restoring is required"):
            workflow.restore(monograph=monograph, by=moderator, reason="")

    def test_invalid_withdraw_and_restore(self, editor, moderator):
        draft = _draft(editor)
        with pytest.raises(InvalidTransition, match="has never been published"):
            workflow.withdraw(monograph=draft.monograph, by=moderator, reason="x")
        monograph = publish_new(sample_content("Other"), editor=editor, moderator=moderator)
        with pytest.raises(InvalidTransition, match="Other is not withdrawn"):
            workflow.restore(monograph=monograph, by=moderator, reason="x")
        workflow.withdraw(monograph=monograph, by=moderator, reason="x")
        with pytest.raises(InvalidTransition, match="Other is already withdrawn"):
            workflow.withdraw(monograph=monograph, by=moderator, reason="y")

    def test_a_withdrawn_monograph_can_still_be_edited_and_approved(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        workflow.withdraw(monograph=monograph, by=moderator, reason="Recalled")
        revision = edit_and_publish(
            monograph, edited(sample_content(), usage="Fixed"), editor=editor, moderator=moderator
        )
        monograph = _fresh(monograph)
        assert monograph.live_revision == revision
        assert monograph.is_withdrawn  # publishing does not silently restore it


class TestReviewDates:
    def test_moderator_sets_the_next_review_date(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        updated = workflow.set_next_review_due(
            monograph=monograph, by=moderator, due=date(2030, 6, 1)
        )
        assert updated.next_review_due == date(2030, 6, 1)
        assert _fresh(monograph).next_review_due == date(2030, 6, 1)

    def test_an_overdue_monograph_is_listed_as_overdue(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        yesterday = timezone.localdate() - timedelta(days=1)
        workflow.set_next_review_due(monograph=monograph, by=moderator, due=yesterday)
        assert list(Monograph.objects.overdue_for_review()) == [_fresh(monograph)]

    def test_an_implausible_date_is_refused_as_a_likely_typo(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        due_before = _fresh(monograph).next_review_due
        today = timezone.localdate()
        for typo in (today.replace(year=today.year + 180), date(1, 1, 1)):
            with pytest.raises(InvalidInput, match="looks like a typo"):
                workflow.set_next_review_due(monograph=monograph, by=moderator, due=typo)
        assert _fresh(monograph).next_review_due == due_before

    def test_the_window_survives_29_february(self):
        assert workflow._years_from(date(2028, 2, 29), 5) == date(2033, 2, 28)

    def test_the_date_must_be_a_date(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        for bad in ("2030-01-01", timezone.now(), None):
            with pytest.raises(WorkflowError, match="must be a date"):
                workflow.set_next_review_due(monograph=monograph, by=moderator, due=bad)


# --- import -----------------------------------------------------------------------------


class TestImport:
    def test_a_new_file_is_published_at_once_by_the_operator(self):
        result = workflow.import_source(content=sample_content(), filename="testamol.md")
        assert result.action == "created"
        revision = result.revision
        assert (revision.number, revision.status, revision.source) == (1, "published", "import")
        assert revision.created_by is None
        assert revision.published_by is None
        assert revision.import_filename == "testamol.md"
        assert revision.change_summary == "Imported from testamol.md"
        monograph = _fresh(result.monograph)
        assert monograph.live_revision == revision
        assert monograph.is_published
        # An import is not a clinical review, but the monograph gets a review due date.
        assert monograph.last_reviewed_at is None
        assert monograph.next_review_due == timezone.localdate() + timedelta(days=365)
        assert not ReviewDecision.objects.exists()

    def test_an_unchanged_file_writes_nothing(self):
        workflow.import_source(content=sample_content(), filename="testamol.md")
        counts = (Revision.objects.count(), AuditEntry.objects.count())
        result = workflow.import_source(content=sample_content(), filename="testamol.md")
        assert result.action == "unchanged"
        assert result.revision is None
        assert (Revision.objects.count(), AuditEntry.objects.count()) == counts

    def test_re_importing_an_unchanged_file_keeps_the_sites_reviewed_edits(self, editor, moderator):
        """`make run` imports content/ every time: an editor's approved change must survive."""
        first = workflow.import_source(content=sample_content(), filename="testamol.md")
        monograph = first.monograph
        edit_and_publish(
            monograph,
            edited(sample_content(), other_names=["Vivitrol"]),
            editor=editor,
            moderator=moderator,
        )
        live = _fresh(monograph).live_revision
        result = workflow.import_source(content=sample_content(), filename="testamol.md")
        assert result.action == "unchanged"
        assert _fresh(monograph).live_revision == live
        assert _fresh(monograph).live_revision.data.other_names == ["Vivitrol"]
        # A real change to the file is still an update.
        changed = workflow.import_source(
            content=edited(sample_content(), usage="New file text"), filename="testamol.md"
        )
        assert changed.action == "updated"
        assert _fresh(monograph).live_revision == changed.revision

    def test_a_changed_file_publishes_a_new_revision(self):
        first = workflow.import_source(content=sample_content(), filename="testamol.md")
        result = workflow.import_source(
            content=edited(sample_content(), usage="Changed"), filename="testamol.md"
        )
        assert result.action == "updated"
        assert result.revision.number == 2
        assert result.revision.based_on == first.revision
        assert _fresh(first.revision).status == Status.SUPERSEDED
        assert _fresh(result.monograph).live_revision == result.revision

    def test_draft_import_waits_for_review(self, moderator):
        result = workflow.import_source(
            content=sample_content(), filename="testamol.md", publish=False
        )
        assert result.action == "created"
        assert result.revision.status == Status.DRAFT
        assert not Monograph.objects.published().exists()
        # An imported draft has no human author, so any moderator may approve it.
        workflow.submit(revision=result.revision, by=moderator)
        published = workflow.approve(
            revision=result.revision, by=moderator, content_hash=result.revision.content_hash
        )
        assert published.status == Status.PUBLISHED

    def test_import_with_a_given_slug(self):
        result = workflow.import_source(
            content=sample_content(), filename="t.md", slug="testamol-oral"
        )
        assert result.monograph.slug == "testamol-oral"

    def test_importing_over_a_pending_edit_keeps_the_edit_as_a_revision(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        pending = _save(monograph, edited(sample_content(), usage="Editor's"), editor).revision
        result = workflow.import_source(
            content=edited(sample_content(), usage="File's"), filename="testamol.md"
        )
        assert _fresh(pending).status == Status.SUPERSEDED
        assert _fresh(pending).data.section("usage").body == "Editor's"
        assert _fresh(monograph).live_revision == result.revision

    def test_bad_content_is_refused_and_nothing_written(self):
        with pytest.raises(WorkflowError, match="needs a title"):
            workflow.import_source(content=sample_content(title=""), filename="bad.md")
        with pytest.raises(WorkflowError, match="file name is required"):
            workflow.import_source(content=sample_content(), filename="")
        assert not Monograph.objects.exists()
        assert not AuditEntry.objects.exists()


class TestFourEyesThroughRevert:
    """A revert publishes the text of the revision it reverts to: its author wrote that text."""

    @pytest.fixture
    def live(self, editor, moderator2) -> Monograph:
        """A published monograph that the moderator fixture never wrote nor approved."""
        return publish_new(sample_content(), editor=editor, moderator=moderator2)

    def test_the_moderator_cannot_approve_their_own_text_reverted_to_by_someone_else(
        self, live, editor, moderator
    ):
        revision = moderator_text_reverted_to_by_editor(live, editor, moderator)
        assert revision.data.section("usage").body == "The moderator's own unreviewed text."

        with pytest.raises(workflow.WorkflowPermissionDenied, match="you wrote or edited"):
            workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert Monograph.objects.get(pk=live.pk).live_revision_id == live.live_revision_id

    def test_another_moderator_can(self, live, editor, moderator, moderator2):
        revision = moderator_text_reverted_to_by_editor(live, editor, moderator)
        workflow.approve(revision=revision, by=moderator2, content_hash=revision.content_hash)
        assert Monograph.objects.get(pk=live.pk).live_revision_id == revision.pk

    def test_reverting_to_published_text_needs_no_other_moderator(
        self, live, editor, moderator, moderator2
    ):
        # Published text was reviewed by someone else already; reverting to it is new work
        # by the reverter only.
        first = live.live_revision
        change = workflow.save_draft(
            monograph=live,
            content=edited(first.data, usage="Newer text."),
            by=editor,
            summary="Newer",
            based_on=None,
        ).revision
        workflow.submit(revision=change, by=editor)
        workflow.approve(revision=change, by=moderator2, content_hash=change.content_hash)
        revert = workflow.revert_to(revision=first, by=editor, summary="Back to the first text")
        workflow.submit(revision=revert, by=editor)
        workflow.approve(revision=revert, by=moderator, content_hash=revert.content_hash)
        assert Monograph.objects.get(pk=live.pk).live_revision_id == revert.pk

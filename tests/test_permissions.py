"""permissions.py: who may do what, four eyes from the monograph's history, and the name rule.

The workflow enforces these rules and the admin shows them; the tests here pin the rules
themselves and the paths around them that once let a moderator publish their own text.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monographs import permissions, workflow
from monographs.models import Monograph, Revision
from monographs.workflow import WorkflowError, WorkflowPermissionDenied
from tests.workflow_helpers import (
    change_url,
    edited,
    form_data,
    message_texts,
    publish_new,
    review_url,
    sample_content,
)

pytestmark = pytest.mark.django_db
S = Revision.Status


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def live(editor, moderator2) -> Monograph:
    """A published monograph that the moderator fixture never wrote nor approved."""
    return publish_new(sample_content(), editor=editor, moderator=moderator2)


# --- roles --------------------------------------------------------------------------------


def test_role_matrix(editor, moderator, superuser):
    anonymous = AnonymousUser()
    checks = [
        permissions.may_edit,
        permissions.may_review,
        permissions.may_withdraw,
        permissions.may_change_disclaimer,
    ]
    assert [bool(check(anonymous)) for check in checks] == [False] * 4
    assert [bool(check(None)) for check in checks] == [False] * 4
    assert [bool(check(editor)) for check in checks] == [True, False, False, False]
    assert [bool(check(moderator)) for check in checks] == [True] * 4
    assert [bool(check(superuser)) for check in checks] == [True] * 4
    assert [
        bool(check(editor))
        for check in (
            permissions.may_submit,
            permissions.may_restore,
            permissions.may_change_review_dates,
            permissions.may_use_staff_pages,
        )
    ] == [True, False, False, True]


def test_inactive_or_non_staff_users_may_do_nothing(moderator, django_user_model):
    moderator.is_active = False
    moderator.save()
    assert not permissions.may_edit(moderator)
    assert not permissions.may_review(moderator)

    outsider = django_user_model.objects.create_user("outsider", is_staff=False)
    outsider.user_permissions.add(Permission.objects.get(codename="change_monograph"))
    assert not permissions.may_edit(_fresh(outsider))


def test_a_refusal_says_what_was_refused(editor):
    decision = permissions.may_withdraw(editor)
    assert not decision
    assert decision.reason == "You do not have permission to withdraw monographs."
    assert permissions.may_edit(editor) == permissions.Decision(True, "")


# --- set your name first ------------------------------------------------------------------


def _in_review(monograph: Monograph, by, **bodies) -> Revision:
    revision = workflow.save_draft(
        monograph=monograph,
        content=edited(monograph.live_revision.data, **bodies),
        by=by,
        summary="Edited",
        based_on=None,
    ).revision
    return workflow.submit(revision=revision, by=by)


def test_a_moderator_without_a_name_cannot_approve(live, editor, moderator):
    moderator.first_name = moderator.last_name = ""
    moderator.save()
    revision = _in_review(live, editor, usage="New usage.")

    decision = permissions.may_approve(moderator, revision)
    assert not decision and decision.reason.startswith("Set your name first")
    with pytest.raises(WorkflowPermissionDenied, match="^Set your name first"):
        workflow.approve(
            revision=revision,
            by=moderator,
            content_hash=revision.content_hash,
            clinical_checked=True,
        )
    assert _fresh(revision).status == S.IN_REVIEW
    # A name is all it takes.
    moderator.first_name = "Morgan"
    moderator.save()
    workflow.approve(
        revision=revision, by=moderator, content_hash=revision.content_hash, clinical_checked=True
    )
    assert _fresh(live).live_revision_id == revision.pk


def test_the_review_screen_says_set_your_name_first(client, live, editor, moderator):
    moderator.first_name = moderator.last_name = ""
    moderator.save()
    revision = _in_review(live, editor, usage="New usage.")
    client.force_login(moderator)
    page = client.get(review_url(revision)).content.decode()
    assert "Set your name first" in page
    assert 'value="Approve and publish" disabled' in page
    response = client.post(
        review_url(revision), {"action": "approve", "content_hash": revision.content_hash}
    )
    assert message_texts(response)[0].startswith("Not published: Set your name first")
    assert _fresh(revision).status == S.IN_REVIEW


def test_the_demo_accounts_all_have_names():
    from monographs.management.commands.create_demo_accounts import DEMO_ACCOUNTS

    assert all(len(full_name.split(" ", 1)) == 2 for *_, full_name in DEMO_ACCOUNTS)


# --- four eyes from history (issue 9, finding 1) ------------------------------------------


def test_a_conflict_save_carrying_the_moderators_text_does_not_make_it_approvable_by_them(
    live, editor, moderator, moderator2
):
    opened = live.live_revision  # the editor opens the edit form
    theirs = edited(opened.data, usage="The moderator's unreviewed text X.")
    mine = workflow.save_draft(
        monograph=live, content=theirs, by=moderator, summary="X", based_on=opened
    ).revision
    workflow.submit(revision=mine, by=moderator)
    # The editor saves the now-stale form with X carried over (as the conflict screen
    # invites) and a change of their own, and submits it.
    carried = workflow.save_draft(
        monograph=live,
        content=edited(theirs, dosage="A dosage fix."),
        by=editor,
        summary="Merged",
        based_on=opened,
    )
    assert carried.conflict
    revision = workflow.submit(revision=carried.revision, by=editor)

    assert [r.number for r in permissions.contributions(revision)] == [2, 3]
    assert permissions.authors(revision) == [moderator, editor]
    with pytest.raises(WorkflowPermissionDenied, match="you wrote or edited"):
        workflow.approve(
            revision=revision,
            by=moderator,
            content_hash=revision.content_hash,
            clinical_checked=True,
        )
    assert _fresh(live).live_revision_id == opened.pk
    workflow.approve(
        revision=revision, by=moderator2, content_hash=revision.content_hash, clinical_checked=True
    )
    assert _fresh(live).live_revision_id == revision.pk


def test_a_form_posted_with_based_on_the_live_revision_does_not_hide_the_moderators_text(
    client, live, editor, moderator
):
    opened = live.live_revision
    theirs = edited(opened.data, usage="The moderator's unreviewed text X.")
    mine = workflow.save_draft(
        monograph=live, content=theirs, by=moderator, summary="X", based_on=None
    ).revision
    workflow.submit(revision=mine, by=moderator)
    client.force_login(editor)
    # A fresh form holds X (it was opened on the revision in review), but posts the live
    # revision as the one it was based on.
    data = form_data(edited(theirs, dosage="A dosage fix."), based_on=opened)
    data["_submit"] = "Save and submit for review"
    client.post(change_url(live), data)
    revision = _fresh(live).latest_revision
    assert revision.number == 3 and revision.created_by == editor

    client.force_login(moderator)
    response = client.get(review_url(revision))
    assert response.context["own_work"] is True
    assert moderator in response.context["authors"]
    if revision.status != S.IN_REVIEW:
        revision = workflow.submit(revision=revision, by=editor)
    with pytest.raises(WorkflowPermissionDenied, match="you wrote or edited"):
        workflow.approve(
            revision=revision,
            by=moderator,
            content_hash=revision.content_hash,
            clinical_checked=True,
        )
    assert _fresh(live).live_revision_id == opened.pk


def test_an_import_that_replaced_the_moderators_draft_keeps_them_an_author(live, editor, moderator):
    theirs = edited(live.live_revision.data, usage="The moderator's unreviewed text X.")
    workflow.save_draft(monograph=live, content=theirs, by=moderator, summary="X", based_on=None)
    imported = workflow.import_source(
        content=edited(theirs, dosage="From the file."),
        filename="testamol.md",
        publish=False,
        slug=live.slug,
    ).revision
    revision = workflow.submit(revision=imported, by=editor)
    assert moderator in permissions.authors(revision)
    assert not permissions.may_approve(moderator, revision)


# --- the property: nobody publishes text only they wrote ----------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["save", "stale_save", "revert", "submit", "approve", "request"]),
        st.integers(min_value=0, max_value=3),  # who: editor, editor2, moderator, moderator2
        st.integers(min_value=0, max_value=20),  # which revision (reverts, stale saves)
    ),
    min_size=1,
    max_size=12,
)


_EXAMPLES = iter(range(1_000_000))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_no_published_text_was_written_by_its_approver(
    editor, editor2, moderator, moderator2, steps
):
    """Random saves, conflict saves, reverts, submissions, approvals and requests for
    changes by random editors and moderators. Each save adds a numbered line to the text
    (carrying over everything of the latest revision, as the conflict screen invites), so
    who wrote what can be read from the text itself, whatever the workflow recorded."""
    people = [editor, editor2, moderator, moderator2]
    monograph = publish_new(
        sample_content(f"Propertamol {next(_EXAMPLES)}"), editor=editor, moderator=moderator2
    )
    line_writer: dict[int, int] = {}
    for action, who, which in steps:
        by = people[who]
        monograph = _fresh(monograph)
        latest = monograph.latest_revision
        revisions = list(monograph.revisions.order_by("number"))
        older = revisions[which % len(revisions)]
        try:
            if action in ("save", "stale_save"):
                number = len(line_writer) + 1
                content = edited(
                    latest.data, usage=latest.data.section("usage").body + f" Line {number}."
                )
                result = workflow.save_draft(
                    monograph=monograph,
                    content=content,
                    by=by,
                    summary="Edit",
                    based_on=older if action == "stale_save" else latest,
                )
                if result.revision is not None:
                    line_writer[number] = by.pk
            elif action == "revert":
                workflow.revert_to(revision=older, by=by, summary="Back")
            elif action == "submit":
                workflow.submit(revision=latest, by=by)
            elif action == "approve":
                workflow.approve(
                    revision=latest, by=by, content_hash=latest.content_hash, clinical_checked=True
                )
            else:
                workflow.request_changes(revision=latest, by=by, comment="Please check.")
        except WorkflowError:
            pass

    def lines(revision: Revision) -> set[int]:
        body = revision.data.section("usage").body
        return {int(n) for n in re.findall(r" Line (\d+)\.", body)}

    reviewed: set[int] = set()  # lines some publication already carried
    publications = Revision.objects.filter(monograph=monograph, published_at__isnull=False)
    for revision in publications.order_by("number"):
        new_lines = lines(revision) - reviewed
        writers = {line_writer[n] for n in new_lines}
        assert revision.published_by_id not in writers, (revision.number, steps)
        reviewed |= lines(revision)

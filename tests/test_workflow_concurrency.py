"""Races between real threads on PostgreSQL: the monograph row lock decides them.

Where a race needs a window, one step inside the locked section is slowed down so the
outcome does not depend on luck: without the lock those tests fail.
SQLite serialises every write anyway, so they are skipped there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from monographs import permissions, workflow
from monographs.models import AuditEntry, Monograph, ReviewDecision, Revision
from monographs.workflow import InvalidTransition
from tests.workflow_helpers import edited, publish_new, sample_content

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite skips)"
    ),
]

SLOW = 0.4  # seconds spent inside the locked section by a slowed step


def run_in_threads(*calls: Callable[[], Any], start_together: bool = True) -> list[Any]:
    """Run each call in its own thread (own database connection); results or exceptions."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            if start_together:
                barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def slowed(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> threading.Event:
    """Make the first call of ``owner.name`` pause (inside the caller's transaction).

    Only the first caller pauses, so the other thread, once let through, runs at full speed
    and would overtake it if nothing held it back. The event says the pause has begun.
    """
    original = getattr(owner, name)
    entered = threading.Event()
    first = threading.Lock()

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if first.acquire(blocking=False):
            entered.set()
            time.sleep(SLOW)
        return result

    monkeypatch.setattr(owner, name, slow)
    return entered


def _in_review_edit(monograph: Monograph, editor: Any, usage: str) -> Revision:
    monograph = Monograph.objects.get(pk=monograph.pk)
    revision = workflow.save_draft(
        monograph=monograph,
        content=edited(sample_content(), usage=usage),
        by=editor,
        summary=f"Usage: {usage}",
        based_on=monograph.latest_revision,
    ).revision
    if revision.status == Revision.Status.IN_REVIEW:  # an edit of a revision in review
        return revision
    return workflow.submit(revision=revision, by=editor)


def _publication_order() -> list[int]:
    return list(
        Revision.objects.published().order_by("published_at", "id").values_list("number", flat=True)
    )


def test_two_moderators_approving_the_same_revision_publish_it_once(
    editor, moderator, moderator2, monkeypatch
):
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    revision = _in_review_edit(monograph, editor, "Second")
    slowed(monkeypatch, workflow.page, "build_parts")

    def approve(by: Any) -> Callable[[], Any]:
        return lambda: workflow.approve(
            revision=revision, by=by, content_hash=revision.content_hash
        )

    results = run_in_threads(approve(moderator), approve(moderator2))

    published = [r for r in results if isinstance(r, Revision)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(published) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], InvalidTransition)
    assert str(refused[0]) == "Revision #2 is already published."
    assert ReviewDecision.objects.filter(revision=revision).count() == 1
    assert AuditEntry.objects.filter(action="approve", revision=revision).count() == 1
    assert Monograph.objects.get(pk=monograph.pk).live_revision_id == revision.pk


def test_an_approval_racing_a_newer_edit_never_leaves_the_older_revision_live(
    editor, editor2, moderator, moderator2, monkeypatch
):
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    second = _in_review_edit(monograph, editor, "Second")
    # Pause the first approval after its checks and before it writes anything.
    entered = slowed(monkeypatch, permissions, "may_approve")

    def moderator_approves_second() -> Any:
        return workflow.approve(revision=second, by=moderator, content_hash=second.content_hash)

    def editor_saves_third_and_moderator2_approves_it() -> Any:
        # Starts while the first approval holds the lock on the monograph.
        assert entered.wait(5)
        third = _in_review_edit(monograph, editor2, "Third")
        try:
            return workflow.approve(revision=third, by=moderator2, content_hash=third.content_hash)
        except InvalidTransition as error:
            return error

    first_result, second_result = run_in_threads(
        moderator_approves_second,
        editor_saves_third_and_moderator2_approves_it,
        start_together=False,
    )

    assert isinstance(first_result, Revision) and first_result.number == 2, first_result
    # The newer edit waited for the approval, then went to review on top of it (a fresh
    # approval is needed), so #3 was approved after #2 and is what the public sees.
    assert isinstance(second_result, Revision) and second_result.number == 3, second_result
    monograph.refresh_from_db()
    assert monograph.live_revision.number == 3
    assert _publication_order() == [1, 2, 3]


def test_concurrent_approvals_of_different_revisions_publish_only_the_newest(
    editor, editor2, moderator, moderator2
):
    # Moderator 1 opened #2; meanwhile an edit replaced it with #3 (still in review). Both
    # moderators approve at once with what they have on screen: whichever thread runs first,
    # #2 is refused and the public never ends on #2 after #3.
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    second = _in_review_edit(monograph, editor, "Second")
    third = _in_review_edit(monograph, editor2, "Third")

    results = run_in_threads(
        lambda: workflow.approve(revision=second, by=moderator, content_hash=second.content_hash),
        lambda: workflow.approve(revision=third, by=moderator2, content_hash=third.content_hash),
    )

    assert isinstance(results[0], InvalidTransition)
    assert str(results[0]) == "Revision #2 was superseded by #3."
    assert isinstance(results[1], Revision) and results[1].number == 3
    assert Monograph.objects.get(pk=monograph.pk).live_revision.number == 3
    assert _publication_order() == [1, 3]


def test_two_editors_saving_at_once_are_both_kept_with_distinct_numbers(
    editor, editor2, moderator, monkeypatch
):
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    opened = monograph.live_revision
    slowed(monkeypatch, workflow, "_next_number")

    def save(by: Any, usage: str) -> Callable[[], Any]:
        return lambda: workflow.save_draft(
            monograph=monograph,
            content=edited(sample_content(), usage=usage),
            by=by,
            summary=f"{by.username}'s edit",
            based_on=opened,
        )

    results = run_in_threads(save(editor, "From editor one"), save(editor2, "From editor two"))

    assert all(isinstance(r, workflow.SaveResult) for r in results), results
    assert sorted(r.revision.number for r in results) == [2, 3]
    first, second = sorted(results, key=lambda r: r.revision.number)
    assert not first.conflict
    assert second.conflict and second.changed_since == ["usage"]
    bodies = {r.data.section("usage").body for r in Revision.objects.filter(number__in=[2, 3])}
    assert bodies == {"From editor one", "From editor two"}
    assert Monograph.objects.get(pk=monograph.pk).latest_revision_id == second.revision.pk

"""The admin's first page for editors and moderators (issue 11.6): what needs them.

Read-only queries, a bounded number of rows each: my drafts, sent back to me, waiting for
review (with clinical-change counts for moderators), overdue for review, recently published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import F

from . import clinical, permissions
from .models import Monograph, Revision

S = Revision.Status
LIMIT = 20


@dataclass
class Dashboard:
    drafts: list[Revision] = field(default_factory=list)
    sent_back: list[Revision] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[Monograph] = field(default_factory=list)
    published: list[Revision] = field(default_factory=list)
    scheduled: list[Revision] = field(default_factory=list)
    label_changes: list[Monograph] = field(default_factory=list)
    can_review: bool = False
    can_edit: bool = False


def _latest_pending(status: str) -> Any:
    """Revisions in ``status`` that are still their monograph's latest."""
    return (
        Revision.objects.filter(status=status, monograph__latest_revision=F("pk"))
        .select_related("monograph__live_revision", "created_by")
        .order_by("-created_at")
    )


def for_user(user: Any) -> Dashboard:
    board = Dashboard(
        can_review=bool(permissions.may_review(user)), can_edit=bool(permissions.may_edit(user))
    )
    if not (board.can_edit or board.can_review):
        return board
    board.drafts = list(_latest_pending(S.DRAFT).filter(created_by=user)[:LIMIT])
    board.sent_back = list(
        _latest_pending(S.CHANGES_REQUESTED)
        .filter(created_by=user)
        .prefetch_related("decisions__reviewer")[:LIMIT]
    )
    for revision in board.sent_back:
        decisions = list(revision.decisions.all())
        revision.last_decision = decisions[0] if decisions else None  # type: ignore[attr-defined]
    waiting = Revision.objects.in_review().select_related("monograph__live_revision", "created_by")
    if not board.can_review:
        waiting = waiting.filter(created_by=user)
    for revision in waiting.order_by("submitted_at", "pk")[:LIMIT]:
        live = revision.monograph.live_revision
        changes = clinical.clinical_changes(live.data, revision.data) if live else []
        board.waiting.append(
            {"revision": revision, "clinical": len(changes), "first": live is None}
        )
    board.overdue = list(
        Monograph.objects.with_state()
        .filter(is_overdue=True)
        .order_by("next_review_due", "pk")[:LIMIT]
    )
    board.scheduled = list(
        Revision.objects.scheduled()
        .select_related("monograph")
        .order_by("publish_at", "pk")[:LIMIT]
    )
    board.label_changes = list(
        Monograph.objects.exclude(label_change={}).order_by("sort_title", "pk")[:LIMIT]
    )
    board.published = list(
        Revision.objects.published()
        .select_related("monograph", "created_by", "published_by")
        .order_by("-published_at")[:10]
    )
    return board

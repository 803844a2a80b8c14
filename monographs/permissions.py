"""Who may do what: the one home of every permission rule, including four eyes.

The workflow enforces these rules (it raises ``WorkflowPermissionDenied`` with the
decision's reason); the admin asks them to decide what to show and to say why a button is
missing. Nothing else decides.

Each ``may_*`` function returns a ``Decision``: truthy when allowed, with a reason fit to
show the user when not.

Four eyes: nobody approves a revision whose text they wrote. The authors of a revision are
the authors of its ``contributions``: every revision of the monograph saved since the last
publication before it, up to and including it, whatever ``based_on`` a form posted (a
conflict save, a revert or an import replaces the pending revision, but the replaced text
may have been carried over), plus the unpublished revisions a revert brought back.
``MEDSITE_ALLOW_SELF_APPROVAL=1`` relaxes four eyes (a one-person site), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max

from .models import Revision


@dataclass(frozen=True)
class Decision:
    """Whether an action is allowed; ``reason`` says why not, in words fit to show."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)

SET_YOUR_NAME_FIRST = (
    "Set your name first: public pages name the moderator who reviewed a monograph by "
    "name and role, and your account has no name yet (ask an administrator to add your "
    "first and last name)."
)
OWN_WORK = "You cannot approve a revision you wrote or edited; another moderator has to review it."


def _has(user: Any, perm: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user.is_staff and user.has_perm(perm))


def _decide(user: Any, perm: str, doing: str) -> Decision:
    if _has(user, perm):
        return ALLOWED
    return Decision(False, f"You do not have permission to {doing}.")


# --- roles --------------------------------------------------------------------------------


def may_edit(user: Any, doing: str = "edit monographs") -> Decision:
    """Create, edit and revert monographs (the Editors group, Moderators, superusers)."""
    return _decide(user, "monographs.change_monograph", doing)


def may_create(user: Any, doing: str = "create monographs") -> Decision:
    """Start new monographs (and drafts from an official label)."""
    return _decide(user, "monographs.add_monograph", doing)


def may_submit(user: Any) -> Decision:
    """Send a revision to the moderators: whoever may edit."""
    return may_edit(user, "submit revisions for review")


def may_review(user: Any, doing: str = "review revisions") -> Decision:
    """Open the review screens and send revisions back (Moderators, superusers)."""
    return _decide(user, "monographs.review_monograph", doing)


def may_change_review_dates(user: Any) -> Decision:
    return may_review(user, "change review dates")


def may_withdraw(user: Any, doing: str = "withdraw monographs") -> Decision:
    """Withdraw a monograph from the public site, and restore it."""
    return _decide(user, "monographs.withdraw_monograph", doing)


def may_restore(user: Any) -> Decision:
    return may_withdraw(user, "restore monographs")


def may_change_disclaimer(user: Any) -> Decision:
    """Change the site-wide default disclaimer."""
    return _decide(user, "monographs.add_disclaimerversion", "change the site disclaimer")


def may_use_staff_pages(user: Any) -> Decision:
    """Staff previews and editing helpers: whoever may edit or review."""
    if may_edit(user) or may_review(user):
        return ALLOWED
    return Decision(False, "You do not have permission to see unpublished revisions.")


def has_display_name(user: Any) -> bool:
    return bool((user.get_full_name() or "").strip())


def may_approve(user: Any, revision: Revision) -> Decision:
    """Approve and publish ``revision``: a moderator with a name who wrote none of it.

    Says nothing about the revision's state (in review, latest, hash): the workflow checks
    those under the row lock.
    """
    allowed = may_review(user, "approve revisions")
    if not allowed:
        return allowed
    if not has_display_name(user):
        return Decision(False, SET_YOUR_NAME_FIRST)
    if user.pk in author_ids(revision) and not settings.MEDSITE_ALLOW_SELF_APPROVAL:
        return Decision(False, OWN_WORK)
    return ALLOWED


def may_reschedule(user: Any, revision: Revision) -> Decision:
    """Move a scheduled publication: a moderator who wrote none of it (four eyes)."""
    allowed = may_review(user, "reschedule publications")
    if not allowed:
        return allowed
    if user.pk in author_ids(revision) and not settings.MEDSITE_ALLOW_SELF_APPROVAL:
        return Decision(
            False, "You cannot reschedule a revision you wrote or edited; another moderator has to."
        )
    return ALLOWED


# --- authorship ---------------------------------------------------------------------------


def _since_last_publication(revision: Revision) -> list[Revision]:
    """``revision`` and every revision of its monograph numbered after the last one
    published before it: what was written, kept or replaced while nobody reviewed."""
    floor = (
        Revision.objects.filter(
            monograph_id=revision.monograph_id,
            number__lt=revision.number,
            published_at__isnull=False,
        ).aggregate(n=Max("number"))["n"]
        or 0
    )
    return list(
        Revision.objects.filter(
            monograph_id=revision.monograph_id, number__gt=floor, number__lte=revision.number
        )
        .select_related("created_by")
        .order_by("number")
    )


def contributions(revision: Revision) -> list[Revision]:
    """Every revision whose text an approval of ``revision`` would make public, oldest first.

    The revisions saved since the last publication before ``revision`` (drafts, conflict
    saves and the pending revisions they replaced, imports), and for each revert among
    them the same for the unpublished revision it went back to. Published text was reviewed
    already and brings no author with it.
    """
    found: dict[int, Revision] = {}
    todo: list[Revision] = [revision]
    done: set[int] = set()
    while todo:
        top = todo.pop()
        if top.pk in done:
            continue
        done.add(top.pk)
        for current in _since_last_publication(top):
            found.setdefault(current.pk, current)
            source = current.reverted_from if current.reverted_from_id else None
            if source is not None and source.published_at is None and source.pk not in done:
                todo.append(source)
    return sorted(found.values(), key=lambda r: r.number)


def authors(revision: Revision) -> list[Any]:
    """The people who wrote ``revision``'s contributions, in the order they first did."""
    people: list[Any] = []
    for contribution in contributions(revision):
        if contribution.created_by is not None and contribution.created_by not in people:
            people.append(contribution.created_by)
    return people


def author_ids(revision: Revision) -> set[int]:
    return {c.created_by_id for c in contributions(revision) if c.created_by_id is not None}

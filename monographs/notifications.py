"""Workflow e-mail: moderators hear about submissions, authors about decisions.

Called by ``workflow.py`` from ``transaction.on_commit`` only, so nobody is told about a
change that was rolled back. A mail server that is down must not turn a committed action
into an error page, so sending failures are logged, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)

MODERATORS_GROUP = "Moderators"


def _preview_link(revision: Any) -> str:
    try:
        return settings.SITE_URL + revision.get_preview_url()
    except NoReverseMatch:  # URLconf without the preview route (e.g. a trimmed test setup)
        return ""


def _admin_link(name: str, pk: int) -> str:
    try:
        return settings.SITE_URL + reverse(name, args=[pk])
    except NoReverseMatch:  # admin screens not mounted (the workflow does not depend on them)
        return ""


def _review_link(revision: Any) -> str:
    return _admin_link("admin:monographs_revision_review", revision.pk)


def _edit_link(revision: Any) -> str:
    return _admin_link("admin:monographs_monograph_change", revision.monograph_id)


def _name(user: Any) -> str:
    if user is None:
        return "the import"
    return user.get_full_name() or user.get_username()


def _send(subject: str, body: str, recipients: Iterable[str]) -> int:
    # A line break in a title would make Django refuse the whole message (BadHeaderError):
    # the subject is one line whatever the names in it hold.
    subject = " ".join(subject.split())
    # One message per recipient: nobody sees who else was told.
    messages = [(subject, body, None, [address]) for address in sorted(set(recipients))]
    if not messages:
        return 0
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:  # noqa: BLE001 - see module docstring
        logger.exception("Could not send workflow mail %r", subject)
        return 0


def moderator_addresses(*, exclude_user_id: int | None = None) -> list[str]:
    users = (
        get_user_model()
        .objects.filter(groups__name=MODERATORS_GROUP, is_active=True)
        .exclude(email="")
        .distinct()
    )
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return list(users.values_list("email", flat=True))


def user_addresses(user_ids: Iterable[int], *, exclude_user_id: int | None = None) -> list[str]:
    ids = {pk for pk in user_ids if pk is not None and pk != exclude_user_id}
    if not ids:
        return []
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).exclude(email="")
    return list(users.values_list("email", flat=True))


def notify_submitted(*, revision: Any, by: Any) -> int:
    """Tell the moderators that a revision waits for review."""
    monograph = revision.monograph
    subject = (
        f"[{settings.MEDSITE_SITE_NAME}] Review requested: {monograph.title} #{revision.number}"
    )
    lines = [
        f"{_name(by)} submitted revision #{revision.number} of {monograph.title} for review.",
        "",
        f"Change summary: {revision.change_summary}",
    ]
    for label, link in (
        ("Review it", _review_link(revision)),
        ("Preview", _preview_link(revision)),
    ):
        if link:
            lines.append(f"{label}: {link}")
    return _send(subject, "\n".join(lines), moderator_addresses(exclude_user_id=by and by.pk))


def notify_approved(*, revision: Any, by: Any, author_ids: Iterable[int]) -> int:
    """Tell the author(s) that their revision is live."""
    monograph = revision.monograph
    subject = f"[{settings.MEDSITE_SITE_NAME}] Published: {monograph.title} #{revision.number}"
    body = "\n".join(
        [
            f"{_name(by)} approved revision #{revision.number} of {monograph.title}; "
            "it is now on the public site.",
            "",
            f"Change summary: {revision.change_summary}",
            f"Public page: {settings.SITE_URL}{monograph.get_absolute_url()}",
        ]
    )
    return _send(subject, body, user_addresses(author_ids, exclude_user_id=by and by.pk))


def notify_changes_requested(
    *, revision: Any, by: Any, comment: str, author_ids: Iterable[int]
) -> int:
    """Tell the author(s) what the moderator wants changed."""
    monograph = revision.monograph
    subject = (
        f"[{settings.MEDSITE_SITE_NAME}] Changes requested: {monograph.title} #{revision.number}"
    )
    lines = [
        f"{_name(by)} asked for changes to revision #{revision.number} of {monograph.title}:",
        "",
        comment,
        "",
        "Edit the monograph and submit it again.",
    ]
    link = _edit_link(revision)
    if link:
        lines.append(f"Edit it: {link}")
    return _send(
        subject, "\n".join(lines), user_addresses(author_ids, exclude_user_id=by and by.pk)
    )


def notify_replaced(*, revision: Any, replacement: Any, by: Any, was: str) -> int:
    """Tell an author that a newer save (a conflicting edit, a revert or an import) took the
    place of their pending revision. It is kept in the history; nothing is lost."""
    monograph = revision.monograph
    subject = (
        f"[{settings.MEDSITE_SITE_NAME}] Your revision was replaced: "
        f"{monograph.title} #{revision.number}"
    )
    lines = [
        f"{_name(by)} saved revision #{replacement.number} of {monograph.title}, which "
        f"replaces your revision #{revision.number} ({was.lower()}).",
        "",
        f"Their change summary: {replacement.change_summary}",
        "",
        "Your revision is kept in the monograph's history: compare the two there and "
        "carry over anything of yours that is missing.",
    ]
    link = _edit_link(revision)
    if link:
        lines.append(f"The monograph: {link}")
    return _send(
        subject,
        "\n".join(lines),
        user_addresses([revision.created_by_id], exclude_user_id=by and by.pk),
    )


def send_review_reminders(*, days: int = 30, today: Any = None) -> tuple[int, int]:
    """Mail each moderator, once a day at most, the published monographs whose review is
    overdue or due within ``days``; (reminders sent, reviews due).

    A ``ReviewReminder`` row per moderator and day makes a second run that day send
    nothing; it is written only when the mail went out, so a failed send is retried.
    """
    from datetime import timedelta

    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from .models import Monograph, ReviewReminder

    today = today or timezone.localdate()
    due = list(
        Monograph.objects.published()
        .filter(next_review_due__lte=today + timedelta(days=days))
        .order_by("next_review_due", "sort_title")
        .values_list("title", "next_review_due", "pk")
    )
    if not due:
        return 0, 0
    overdue = [row for row in due if row[1] < today]
    soon = [row for row in due if row[1] >= today]
    lines = ["Monographs whose clinical review is due:", ""]
    for heading, rows in (("Overdue", overdue), (f"Due within {days} days", soon)):
        if rows:
            lines.append(f"{heading}:")
            lines += [
                f"  - {title}: due {when:%d %B %Y}  {_edit_link_for(pk)}"
                for title, when, pk in rows
            ]
            lines.append("")
    lines.append("Review each one, then set its next review date on the monograph's screen.")
    body = "\n".join(lines)
    subject = f"[{settings.MEDSITE_SITE_NAME}] {len(overdue)} reviews overdue, {len(soon)} due soon"
    moderators = (
        get_user_model()
        .objects.filter(groups__name=MODERATORS_GROUP, is_active=True)
        .exclude(email="")
        .distinct()
    )
    sent = 0
    for user in moderators:
        try:
            with transaction.atomic():
                ReviewReminder.objects.create(user=user, sent_on=today, monographs=len(due))
                if not _send(subject, body, [user.email]):
                    raise _NotSent
        except (IntegrityError, _NotSent):
            continue  # already reminded today, or the mail failed (retried next run)
        sent += 1
    return sent, len(due)


class _NotSent(Exception):
    pass


def _edit_link_for(monograph_id: int) -> str:
    return _admin_link("admin:monographs_monograph_change", monograph_id)

"""The workflow: the only code that changes editorial state.

Every action follows one pattern (HackSoft services, Zulip's ``do_*`` functions):
check permission (the rules of ``permissions.py``) and input (content: ``validation.py``),
then inside ``transaction.atomic`` lock the monograph row, re-read what the caller passed
(it may be stale), validate the transition, write, add the audit entry and the public
pages' new version (cache invalidation, ``caching.py``) in the same transaction, and
schedule mail with ``transaction.on_commit`` so nothing is announced that was rolled back.

Functions take model instances but only trust their primary keys: the rows are read again
under the lock. They return the fresh rows; the instances passed in are left as they were.

Refusals raise ``WorkflowError`` (or a subclass) whose ``str()`` is fit to show the user:
``WorkflowPermissionDenied``, ``InvalidTransition``, ``StaleRevision``, ``InvalidInput``,
``DatabaseBusy`` (SQLite's write lock not free in time: nothing written, try again).

Revision states (``Revision.Status``)::

    create / save_draft / revert_to / import --draft   -> DRAFT
    submit                DRAFT or CHANGES_REQUESTED   -> IN_REVIEW
    save_draft on a revision IN_REVIEW                 -> new revision IN_REVIEW (needs its
                                                          own approval; the old one superseded)
    request_changes       IN_REVIEW                    -> CHANGES_REQUESTED
    approve / import      IN_REVIEW (latest, hash ok)  -> PUBLISHED; previous live SUPERSEDED
    any newer save        pending (draft/review/sent back) -> SUPERSEDED

Only the monograph's latest revision is ever pending; the live one stays PUBLISHED until a
newer revision is published. Withdraw/restore act on the monograph, not on revisions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import (
    atoz,
    caching,
    clinical,
    diff,
    labels,
    notifications,
    page,
    permissions,
    search,
    stored_pages,
    structured_data,
    validation,
)
from .content import MonographContent
from .models import (
    AuditEntry,
    DisclaimerVersion,
    LabelVersion,
    Monograph,
    PublicName,
    ReviewDecision,
    Revision,
)

logger = logging.getLogger(__name__)

Status = Revision.Status
Action = AuditEntry.Action

# Used for the first site-wide disclaimer when a monograph without its own is published
# before anyone has written one in the admin: no public page goes out without a disclaimer.
# The one built-in text (``page`` holds it, below the workflow).
DEFAULT_SITE_DISCLAIMER = page.DEFAULT_DISCLAIMER
# Live revisions rebuilt per transaction by ``rebuild_published``.
REBUILD_BATCH = 500

# Revisions an approval or a new save can replace: not yet decided for the public.
PENDING = (Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.SCHEDULED)

MAX_SUMMARY = Revision._meta.get_field("change_summary").max_length
MAX_TITLE = Monograph._meta.get_field("title").max_length


class WorkflowError(Exception):
    """A refused workflow action; str(error) is a message fit to show the user."""


class WorkflowPermissionDenied(WorkflowError):
    pass


class InvalidTransition(WorkflowError):
    pass


class StaleRevision(WorkflowError):
    """The revision is not the one the moderator looked at (content hash differs)."""


class InvalidInput(WorkflowError):
    """Missing or malformed input (summary, title, slug, reason, date...)."""


class ClinicalChangesNotChecked(WorkflowError):
    """An approval of a revision with clinical changes the moderator did not acknowledge."""


class DatabaseBusy(WorkflowError):
    """SQLite's write lock stayed taken past the busy timeout: nothing was written."""


BUSY_MESSAGE = (
    "The database was busy with other changes and could not take this one in time. "
    "Nothing was saved or changed; your text is still here. Please try again."
)


def _busy_is_refused(action: Callable[..., Any]) -> Callable[..., Any]:
    """Turn SQLite's "database is locked" into a ``DatabaseBusy`` every screen shows as a
    message (with the form and its text), never a server error. The transaction rolled
    back, so trying again is safe."""

    @wraps(action)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            logger.warning("%s refused: %s", action.__name__, error)
            raise DatabaseBusy(BUSY_MESSAGE) from error

    return run


@dataclass
class SaveResult:
    revision: Revision | None  # None when nothing changed
    conflict: bool = False
    changed_since: list[str] = field(default_factory=list)  # section keys changed meanwhile


@dataclass
class ImportResult:
    action: str  # "created" | "updated" | "unchanged"
    monograph: Monograph
    revision: Revision | None


# --- permissions (the rules live in permissions.py; the workflow enforces them) ----------


def _require(decision: permissions.Decision) -> None:
    if not decision:
        raise WorkflowPermissionDenied(decision.reason)


# --- validation helpers -----------------------------------------------------------------


def _required_text(value: Any, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(f"{what} is required.")
    return text


def _summary(value: Any) -> str:
    text = _required_text(value, "A change summary")
    if len(text) > MAX_SUMMARY:
        raise InvalidInput(
            f"The change summary is {len(text)} characters long; keep it under {MAX_SUMMARY}."
        )
    return text


def _check_content(content: Any) -> MonographContent:
    """The content rules (``validation.problems``); the first problem is refused."""
    if not isinstance(content, MonographContent):
        raise InvalidInput("The monograph content is missing or not in the expected form.")
    if not isinstance(content.title, str):
        raise InvalidInput("A monograph needs a title.")
    if not all(isinstance(name, str) for name in content.other_names):
        raise InvalidInput("Other names must be a list of names.")
    problems = validation.problems(content)
    if problems:
        raise InvalidInput(problems[0].sentence)
    return content


def _clean(obj: models.Model) -> None:
    """full_clean() with the model's messages turned into one WorkflowError."""
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        parts = []
        for name, messages in error.message_dict.items():
            label = obj._meta.get_field(name).verbose_name.capitalize() if name != "__all__" else ""
            parts.append(f"{label}: {' '.join(messages)}" if label else " ".join(messages))
        raise InvalidInput(" ".join(parts)) from error


# --- shared internals -------------------------------------------------------------------


def _lock_monograph(pk: int) -> Monograph:
    # Every writer takes this row lock first, so revision numbers, the latest/live pointers
    # and state checks are decided one transaction at a time per monograph.
    try:
        return Monograph.objects.select_for_update().get(pk=pk)
    except Monograph.DoesNotExist as error:
        raise WorkflowError("That monograph does not exist (any more).") from error


def _reread(revision: Revision, monograph: Monograph) -> Revision:
    try:
        fresh = Revision.objects.get(pk=revision.pk, monograph=monograph)
    except Revision.DoesNotExist as error:
        raise WorkflowError("That revision does not exist.") from error
    fresh.monograph = monograph
    return fresh


def _latest(monograph: Monograph) -> Revision | None:
    if monograph.latest_revision_id is None:
        return None
    return Revision.objects.get(pk=monograph.latest_revision_id)


def _next_number(monograph: Monograph) -> int:
    current = monograph.revisions.aggregate(n=models.Max("number"))["n"]
    return (current or 0) + 1


def _superseded_message(revision: Revision, monograph: Monograph) -> str:
    latest = _latest(monograph)
    if latest is not None and latest.pk != revision.pk:
        return f"Revision #{revision.number} was superseded by #{latest.number}"
    return f"Revision #{revision.number} was superseded"


def _audit(
    *,
    action: str,
    actor: Any,
    monograph: Monograph | None = None,
    revision: Revision | None = None,
    from_state: str = "",
    to_state: str = "",
    message: str = "",
    details: dict[str, Any] | None = None,
    disclaimer_version: DisclaimerVersion | None = None,
) -> AuditEntry:
    entry = AuditEntry.objects.create(
        action=action,
        actor=actor,
        monograph=monograph,
        revision=revision,
        from_state=from_state,
        to_state=to_state,
        message=message,
        details=details or {},
        disclaimer_version=disclaimer_version,
    )
    # One line per action an operator can match to the audit log; once it has happened.
    # The staff username only: no reasons, comments or text (they stay in the audit entry).
    line = (
        "workflow %s audit=%s monograph=%s revision=%s %s->%s by=%s",
        action,
        entry.pk,
        monograph.slug if monograph is not None else "-",
        revision.number if revision is not None else "-",
        from_state or "-",
        to_state or "-",
        actor.get_username() if actor is not None else "(import)",
    )
    transaction.on_commit(lambda: logger.info(*line))
    return entry


def _safely(what: str, func: Callable[[], Any]) -> Callable[[], None]:
    # After commit the action has happened; a failing mail server or cache must not turn it
    # into an error page that makes the user think it did not.
    def run() -> None:
        try:
            func()
        except Exception:  # noqa: BLE001
            logger.exception("After-commit step failed: %s", what)

    return run


def _invalidate_pages(monograph: Monograph) -> None:
    """Record in this transaction that the monograph's public pages changed, and store its
    page as it now is (``stored_pages.py``; dropped when it is no longer public).

    The new page version is written with the change itself (``caching.py``): no cache
    failure and no exit right after the commit can hide a publication. Call it once the
    monograph's public fields and live revision are final.
    """
    caching.invalidate_monograph(monograph)
    stored_pages.store(monograph)


def _sort_title(title: str) -> str:
    return title.strip().casefold()[:MAX_TITLE]


def _copy_working_fields(monograph: Monograph, content: MonographContent) -> None:
    monograph.title = content.title.strip()
    monograph.generic_name = content.generic_name or ""
    monograph.other_names = list(content.other_names)


def _new_revision(
    *,
    monograph: Monograph,
    content: MonographContent,
    by: Any,
    summary: str,
    status: str = Status.DRAFT,
    source: str = Revision.Source.EDIT,
    based_on: Revision | None = None,
    **extra: Any,
) -> Revision:
    revision = Revision(
        monograph=monograph,
        number=_next_number(monograph),
        status=status,
        source=source,
        content=content.as_dict(),
        content_hash=content.hash(),
        change_summary=summary,
        created_by=by,
        based_on=based_on,
        **extra,
    )
    _clean(revision)
    revision.save()
    return revision


def _replace_latest(
    monograph: Monograph, latest: Revision | None, new: Revision, *, by: Any = None
) -> None:
    """Point the monograph at ``new``; a pending revision it replaces is superseded.

    The live (published) revision stays published: it is what the public sees until
    the new one is approved. For the same reason the monograph's title and names (shown
    on public pages) follow a draft only while nothing has been published.

    A pending revision someone else wrote is kept (superseded, in the history), and its
    author is told by mail that it was replaced, and by which revision.
    """
    if latest is not None and latest.status in PENDING:
        replaced_status = latest.status
        latest.status = Status.SUPERSEDED
        latest.save(update_fields=["status"])
        if latest.created_by_id is not None and latest.created_by_id != getattr(by, "pk", None):
            replaced, replacement = latest, new
            transaction.on_commit(
                _safely(
                    "replaced-revision mail",
                    lambda: notifications.notify_replaced(
                        revision=replaced,
                        replacement=replacement,
                        by=by,
                        was=Status(replaced_status).label,
                    ),
                )
            )
    monograph.latest_revision = new
    if monograph.live_revision_id is None:
        _copy_working_fields(monograph, new.data)
        monograph.sort_title = _sort_title(monograph.title)
    monograph.save(
        update_fields=["latest_revision", "title", "generic_name", "other_names", "sort_title"]
    )


def _add_revision(
    *,
    monograph: Monograph,
    latest: Revision | None,
    content: MonographContent,
    by: Any,
    summary: str,
    action: str,
    details: dict[str, Any],
    **fields: Any,
) -> Revision:
    """A new revision made the monograph's latest (a pending one it replaces superseded),
    with its audit entry: what a save, a revert and a label draft have in common."""
    revision = _new_revision(monograph=monograph, content=content, by=by, summary=summary, **fields)
    from_state = latest.status if latest is not None else ""
    _replace_latest(monograph, latest, revision, by=by)
    _audit(
        action=action,
        actor=by,
        monograph=monograph,
        revision=revision,
        from_state=from_state,
        to_state=revision.status,
        message=summary,
        details=details,
    )
    return revision


def _start_monograph(content: MonographContent, slug: str) -> Monograph:
    """A new monograph row named from ``content`` (its revisions come next)."""
    monograph = Monograph(slug=slug, sort_title=_sort_title(content.title))
    _copy_working_fields(monograph, content)
    _clean(monograph)
    monograph.save()
    return monograph


def _decide(
    *,
    monograph: Monograph,
    revision: Revision,
    by: Any,
    decision: str,
    comment: str,
    action: str,
    details: dict[str, Any] | None = None,
    disclaimer_version: DisclaimerVersion | None = None,
    **fields: Any,
) -> ReviewDecision:
    """A moderator's decision on a revision in review, bound to its content hash, with its
    audit entry (the revision's status is already the one the decision gives it)."""
    made = ReviewDecision(
        revision=revision,
        reviewer=by,
        decision=decision,
        comment=comment,
        content_hash=revision.content_hash,
        **fields,
    )
    _clean(made)
    made.save()
    _audit(
        action=action,
        actor=by,
        monograph=monograph,
        revision=revision,
        from_state=Status.IN_REVIEW,
        to_state=revision.status,
        message=comment,
        details=details,
        disclaimer_version=disclaimer_version,
    )
    return made


# --- disclaimers ------------------------------------------------------------------------


def current_site_disclaimer() -> DisclaimerVersion | None:
    """The site-wide default disclaimer in force (its newest version), if any."""
    return DisclaimerVersion.objects.filter(monograph__isnull=True).order_by("-number").first()


def chosen_disclaimer(content: MonographContent) -> tuple[str, DisclaimerVersion | None]:
    """The one rule for the disclaimer a revision goes out with, for a publication and for
    the staff preview alike: the monograph's own disclaimer when its content has one
    (``(text, None)``), else the site-wide version in force (``(its text, version)``), else
    the built-in default (``(DEFAULT_SITE_DISCLAIMER, None)``; a publication records it as
    the first site-wide version).
    """
    own = (content.disclaimer or "").strip()
    if page.disclaimer_body(own):
        return own, None
    current = current_site_disclaimer()
    if current is not None:
        return current.text, current
    return DEFAULT_SITE_DISCLAIMER, None


def _site_disclaimer_for_publishing() -> DisclaimerVersion:
    current = current_site_disclaimer()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return DisclaimerVersion.objects.create(
                monograph=None,
                number=1,
                text=DEFAULT_SITE_DISCLAIMER,
                change_summary="Built-in default disclaimer",
                created_by=None,
            )
    except IntegrityError:
        # Another publication created version 1 at the same moment: use theirs.
        current = current_site_disclaimer()
        if current is None:
            raise
        return current


def _disclaimer_for(monograph: Monograph, content: MonographContent, by: Any) -> DisclaimerVersion:
    """The ``DisclaimerVersion`` that ``chosen_disclaimer`` picks, recorded: the monograph's
    own text as a version of that monograph (reused while unchanged), else the site's.

    The monograph row is locked by the caller, so its version numbers cannot race.
    """
    text, site_version = chosen_disclaimer(content)
    if site_version is not None:
        return site_version
    if not page.disclaimer_body(content.disclaimer or ""):  # the built-in default
        return _site_disclaimer_for_publishing()
    latest = monograph.disclaimer_versions.order_by("-number").first()
    if latest is not None and latest.text == text:
        return latest
    version = DisclaimerVersion(
        monograph=monograph,
        number=(latest.number + 1) if latest else 1,
        text=text,
        change_summary="From the monograph's content",
        created_by=by,
    )
    _clean(version)
    version.save()
    return version


@_busy_is_refused
def change_site_disclaimer(*, text: str, by: Any, summary: str) -> DisclaimerVersion:
    """Add a new version of the site-wide default disclaimer.

    Publications already made keep the version they went out with; the new text is used
    from the next publication of a monograph without its own disclaimer.
    """
    _require(permissions.may_change_disclaimer(by))
    text = _required_text(text, "The disclaimer text")
    summary = (summary or "").strip() if isinstance(summary, str) else ""
    with transaction.atomic():
        current = (
            DisclaimerVersion.objects.select_for_update()
            .filter(monograph__isnull=True)
            .order_by("-number")
            .first()
        )
        if current is not None and current.text.strip() == text:
            return current
        version = DisclaimerVersion(
            monograph=None,
            number=(current.number + 1) if current else 1,
            text=text,
            change_summary=summary,
            created_by=by,
        )
        _clean(version)
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError as error:
            raise WorkflowError(
                "Someone else changed the site disclaimer at the same moment; "
                "reload the page and check the text again."
            ) from error
        _audit(
            action=Action.DISCLAIMER_CHANGE,
            actor=by,
            disclaimer_version=version,
            from_state=f"v{current.number}" if current else "",
            to_state=f"v{version.number}",
            message=summary,
            details={"scope": "site", "number": version.number},
        )
    return version


# --- publishing (shared by approve and import) -----------------------------------------


def _publish(
    *,
    monograph: Monograph,
    revision: Revision,
    by: Any,
    editorial: bool,
    reviewed: bool,
    now: datetime,
) -> DisclaimerVersion:
    content = revision.data
    disclaimer = _disclaimer_for(monograph, content, by)

    live = monograph.live_revision
    if live is not None and live.pk != revision.pk:
        live.status = Status.SUPERSEDED
        live.save(update_fields=["status"])

    revision.status = Status.PUBLISHED
    revision.published_at = now
    revision.published_by = by
    revision.is_editorial = editorial
    revision.disclaimer_version = disclaimer

    today = timezone.localdate(now)
    interval = timedelta(days=settings.MEDSITE_REVIEW_INTERVAL_DAYS)
    monograph.live_revision = revision
    _copy_working_fields(monograph, content)
    monograph.sort_title = _sort_title(monograph.title)
    monograph.search_names, monograph.search_text = search.index_fields(content)
    monograph.first_published_at = monograph.first_published_at or now
    monograph.last_published_at = now
    if reviewed and not editorial:
        monograph.last_reviewed_at = today
        monograph.last_reviewed_by = by
        monograph.last_reviewed_by_name, monograph.last_reviewed_by_role = public_reviewer(by)
        monograph.next_review_due = today + interval
    elif monograph.next_review_due is None:
        monograph.next_review_due = today + interval
    # The parts last: the JSON-LD carries the dates and reviewer just set.
    _build_parts(monograph, revision, content, disclaimer.text)
    revision.save(
        update_fields=[
            "status",
            "published_at",
            "published_by",
            "is_editorial",
            "disclaimer_version",
            *Revision.PART_FIELDS,
        ]
    )
    monograph.save()
    write_public_names([monograph])
    return disclaimer


# --- the publication's stored parts ------------------------------------------------------


def public_reviewer(user: Any) -> tuple[str, str]:
    """(name, role) shown in a public page's review block for the moderator who reviewed.

    The display name only, never a login name (none on record: no name is shown).
    """
    if user is None:
        return "", ""
    name = user.get_full_name().strip()
    group_names = {group.name for group in user.groups.all()}
    if "Moderators" in group_names:
        role = "Moderator"
    elif getattr(user, "is_superuser", False):
        role = "Site administrator"
    elif "Editors" in group_names:
        role = "Editor"
    else:
        role = "Reviewer"
    return name, role


def _build_parts(
    monograph: Monograph, revision: Revision, content: MonographContent, disclaimer_text: str
) -> None:
    """Set the revision's stored parts (``Revision.PART_FIELDS``); the caller saves."""
    parts = page.build_parts(content, disclaimer_text)
    revision.rendered_html = parts.body_html
    revision.disclaimer_html = parts.disclaimer_html
    revision.contents = parts.contents
    revision.meta_description = parts.meta_description
    revision.jsonld = str(structured_data.monograph_jsonld(monograph))


def write_public_names(monographs: list[Monograph]) -> None:
    """The A to Z rows of these monographs: their public names while they are public."""
    PublicName.objects.filter(monograph__in=[m.pk for m in monographs]).delete()
    PublicName.objects.bulk_create(
        PublicName(
            monograph_id=monograph.pk,
            slug=monograph.slug,
            name=name,
            sort_name=sort_name,
            letter=letter,
            see=see,
        )
        for monograph in monographs
        if monograph.is_published
        for name, sort_name, letter, see in atoz.names(
            monograph.title or monograph.slug, list(monograph.other_names or [])
        )
    )


@dataclass
class RebuildResult:
    rebuilt: int
    audit_entry: AuditEntry | None
    # Pages stored again without rebuilding their parts (``missing_only``: a page stored by
    # other code, or never stored).
    pages: int = 0


def rebuild_published(
    *, missing_only: bool = False, batch_size: int = REBUILD_BATCH, progress: Any = None
) -> RebuildResult:
    """Rebuild the stored parts of every live revision (after a rendering or template
    change), the A to Z rows and the stored pages, from the content and the disclaimer
    version each went out with. No new revision, no change to what was approved; one audit
    entry. Runs in batches of ``batch_size`` monographs (one transaction each, rows
    locked), then makes every public page render afresh. ``missing_only``: only revisions
    without stored parts (rows published before parts were stored), and only the stored
    pages that are missing or not current (``stored_pages.missing``: a deploy changed the
    templates or the site URL), cheap when there are none. ``progress(done)`` is called
    after each batch.
    """
    published = Monograph.objects.filter(live_revision__isnull=False)
    if missing_only:
        published = published.filter(
            models.Q(live_revision__disclaimer_html="") | models.Q(live_revision__jsonld="")
        )
    ids = list(published.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            batch = list(
                Monograph.objects.select_for_update(of=("self",))
                .filter(pk__in=ids[start : start + batch_size], live_revision__isnull=False)
                .select_related("live_revision__disclaimer_version", "last_reviewed_by")
                .prefetch_related("last_reviewed_by__groups")
                .order_by("pk")
            )
            revisions = []
            for monograph in batch:
                revision = monograph.live_revision
                version = revision.disclaimer_version
                # The disclaimer it went out with; one recorded by no publication (rows
                # from before versions) gets what a publication would choose now.
                text = version.text if version else chosen_disclaimer(revision.data)[0]
                name, role = public_reviewer(monograph.last_reviewed_by)
                monograph.last_reviewed_by_name, monograph.last_reviewed_by_role = name, role
                _build_parts(monograph, revision, revision.data, text)
                revisions.append(revision)
            Revision.objects.bulk_update(revisions, Revision.PART_FIELDS)
            Monograph.objects.bulk_update(batch, ["last_reviewed_by_name", "last_reviewed_by_role"])
            write_public_names(batch)
            stored_pages.store_many(batch)
        done += len(batch)
        if progress is not None:
            progress(done)
    pages = _store_missing_pages(set(ids), batch_size) if missing_only else 0
    entry = None
    if done or not missing_only:
        entry = _audit(
            action=Action.REBUILD,
            actor=None,
            message=f"Rebuilt the stored pages of {done} published monograph(s).",
            details={"rebuilt": done, "missing_only": missing_only, "batch_size": batch_size},
        )
        transaction.on_commit(_safely("cache invalidation", caching.invalidate_all))
    return RebuildResult(done, entry, pages)


def _store_missing_pages(rebuilt: set[int], batch_size: int) -> int:
    """Store the pages that are missing or not current, from the parts as they are: the
    same page a cache miss renders, so no cache needs invalidating."""
    ids = sorted(set(stored_pages.missing()) - rebuilt)
    stored = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            batch = (
                Monograph.objects.select_for_update(of=("self",))
                .filter(pk__in=ids[start : start + batch_size])
                .select_related("live_revision")
                .order_by("pk")
            )
            stored += stored_pages.store_many(batch)
    return stored


# --- editing ----------------------------------------------------------------------------


@_busy_is_refused
def create_monograph(
    *, content: MonographContent, by: Any, summary: str, slug: str | None = None
) -> Revision:
    """A new monograph with its first revision, a draft. Nothing is public yet."""
    _require(permissions.may_edit(by, "create monographs"))
    content = _check_content(content)
    summary = _summary(summary)
    slug = _slug_for(content, slug)
    try:
        with transaction.atomic():
            if Monograph.objects.filter(slug=slug).exists():
                raise InvalidInput(_slug_taken(slug))
            monograph = _start_monograph(content, slug)
            revision = _new_revision(monograph=monograph, content=content, by=by, summary=summary)
            monograph.latest_revision = revision
            monograph.save(update_fields=["latest_revision"])
            _audit(
                action=Action.CREATE,
                actor=by,
                monograph=monograph,
                revision=revision,
                to_state=revision.status,
                message=summary,
            )
    except IntegrityError as error:  # the same slug created at the same moment
        raise InvalidInput(_slug_taken(slug)) from error
    return revision


def _slug_from_names(content: MonographContent) -> str:
    """A web address from the title, else the generic or another name, else (a title with
    no Latin letters or digits, e.g. in Japanese) a stable one derived from the title, so a
    re-import of the same file finds the same monograph."""
    for name in (content.title, content.generic_name, *content.other_names):
        slug = slugify(name)[:200].strip("-")
        if len(slug) == 1 or slug in atoz.CODES:
            return f"{slug}-medicine"  # "/medicines/x/" is the A to Z's page for X
        if slug:
            return slug
    digest = hashlib.sha256(content.title.strip().encode("utf-8")).hexdigest()[:10]
    return f"medicine-{digest}"


def _slug_for(content: MonographContent, slug: str | None) -> str:
    slug = (slug or "").strip() or _slug_from_names(content)
    if slug != slugify(slug):
        raise InvalidInput(
            f'"{slug}" is not a valid web address: use lower-case letters, numbers and hyphens.'
        )
    # /medicines/<letter>/ and /medicines/0-9/ are the A to Z's letter pages.
    if len(slug) < 2 or slug in atoz.CODES:
        raise InvalidInput(
            f'"{slug}" is not a valid web address: it is the address of an A to Z letter page; '
            "use at least two characters."
        )
    return slug


def _slug_taken(slug: str) -> str:
    return f'A monograph with the web address "{slug}" already exists.'


@_busy_is_refused
def save_draft(
    *,
    monograph: Monograph,
    content: MonographContent,
    by: Any,
    summary: str,
    based_on: Revision | None,
) -> SaveResult:
    """Save an edit as a new revision; the public page does not change.

    - Same content as the latest revision: nothing is written (``SaveResult(None)``).
    - ``based_on`` (the revision the editor opened) is no longer the latest: the edit is
      kept as a draft flagged ``is_conflict``, and ``changed_since`` says what others
      changed meanwhile. ``based_on=None`` means "the latest".
    - Otherwise a save on a revision in review stays in review (the approval must cover
      the edited text), anything else becomes a draft. The pending revision it replaces is
      superseded; the live one stays live.
    """
    _require(permissions.may_edit(by))
    content = _check_content(content)
    summary = _summary(summary)
    new_hash = content.hash()
    with transaction.atomic():
        monograph = _lock_monograph(monograph.pk)
        latest = _latest(monograph)
        if latest is not None and latest.content_hash == new_hash:
            return SaveResult(None)
        start = latest
        if based_on is not None:
            start = _reread(based_on, monograph)
            if latest is not None and start.pk != latest.pk and start.content_hash == new_hash:
                # The editor changed nothing in the old revision they opened; saving it would
                # silently undo the newer work, so this is a no-op too.
                return SaveResult(None)
        conflict = latest is not None and start is not None and start.pk != latest.pk
        changed_since = diff.changed_keys(start.data, latest.data) if conflict else []

        extra: dict[str, Any] = {}
        status = Status.DRAFT
        if not conflict and latest is not None and latest.status == Status.IN_REVIEW:
            status = Status.IN_REVIEW
            extra = {"submitted_at": latest.submitted_at, "submitted_by": latest.submitted_by}
        revision = _add_revision(
            monograph=monograph,
            latest=latest,
            content=content,
            by=by,
            summary=summary,
            action=Action.SAVE,
            details={
                "conflict": conflict,
                "changed_since": changed_since,
                "based_on": start.number if start is not None else None,
                "replaced": latest.number if latest is not None else None,
            },
            status=status,
            based_on=start,
            is_conflict=conflict,
            **extra,
        )
    return SaveResult(revision, conflict=conflict, changed_since=changed_since)


@_busy_is_refused
def submit(*, revision: Revision, by: Any, publish_at: datetime | None = None) -> Revision:
    """Send the latest revision (a draft, or one sent back) to the moderators.

    ``publish_at`` asks for a publication date and time; the moderator decides.
    """
    _require(permissions.may_submit(by))
    if publish_at is not None:
        publish_at = _schedule_time(publish_at)
    with transaction.atomic():
        monograph = _lock_monograph(revision.monograph_id)
        revision = _reread(revision, monograph)
        n = revision.number
        if revision.status in (Status.IN_REVIEW, Status.SCHEDULED):
            raise InvalidTransition(f"Revision #{n} is already in review.")
        if revision.status == Status.PUBLISHED:
            raise InvalidTransition(f"Revision #{n} is already published.")
        if revision.status == Status.SUPERSEDED or monograph.latest_revision_id != revision.pk:
            raise InvalidTransition(_superseded_message(revision, monograph) + ".")
        from_state = revision.status
        revision.status = Status.IN_REVIEW
        revision.submitted_at = timezone.now()
        revision.submitted_by = by
        revision.requested_publish_at = publish_at
        revision.save(
            update_fields=["status", "submitted_at", "submitted_by", "requested_publish_at"]
        )
        _audit(
            action=Action.SUBMIT,
            actor=by,
            monograph=monograph,
            revision=revision,
            from_state=from_state,
            to_state=revision.status,
            details={"requested_publish_at": publish_at.isoformat()} if publish_at else None,
        )
        transaction.on_commit(
            _safely(
                "submission mail",
                lambda: notifications.notify_submitted(revision=revision, by=by),
            )
        )
    return revision


@_busy_is_refused
def revert_to(*, revision: Revision, by: Any, summary: str) -> Revision:
    """A new draft with an earlier revision's content; it needs review like any edit."""
    _require(permissions.may_edit(by, "revert monographs"))
    summary = _summary(summary)
    with transaction.atomic():
        monograph = _lock_monograph(revision.monograph_id)
        source = _reread(revision, monograph)
        latest = _latest(monograph)
        if latest is not None and latest.content_hash == source.content_hash:
            raise InvalidTransition(
                f"Revision #{source.number} has the same content as the latest revision "
                f"#{latest.number}; there is nothing to revert."
            )
        content = _check_content(source.data)
        new = _add_revision(
            monograph=monograph,
            latest=latest,
            content=content,
            by=by,
            summary=summary,
            action=Action.REVERT,
            details={
                "reverted_from": source.number,
                "replaced": latest.number if latest is not None else None,
            },
            source=Revision.Source.REVERT,
            based_on=latest,
            reverted_from=source,
        )
        _invalidate_pages(monograph)
    return new


# --- review -----------------------------------------------------------------------------


def _check_reviewable(revision: Revision, monograph: Monograph, doing: str) -> None:
    n = revision.number
    if revision.status == Status.DRAFT:
        raise InvalidTransition(f"Revision #{n} is a draft that was never submitted for review.")
    if revision.status == Status.CHANGES_REQUESTED:
        raise InvalidTransition(
            f"Revision #{n} was sent back for changes; it must be edited or submitted again "
            f"before it can be {doing}."
        )
    if revision.status == Status.PUBLISHED:
        raise InvalidTransition(f"Revision #{n} is already published.")
    if revision.status == Status.SCHEDULED:
        raise InvalidTransition(
            f"Revision #{n} is already approved and scheduled for "
            f"{_when(revision.publish_at)}; cancel the schedule first."
        )
    if revision.status == Status.SUPERSEDED or monograph.latest_revision_id != revision.pk:
        raise InvalidTransition(_superseded_message(revision, monograph) + ".")


def clinical_changes_of(revision: Revision) -> list[clinical.ClinicalChange]:
    """The clinically significant changes a revision makes to the live one (none for a
    first publication, or for the live revision itself)."""
    live = revision.monograph.live_revision
    if live is None or live.pk == revision.pk:
        return []
    return clinical.clinical_changes(live.data, revision.data)


@_busy_is_refused
def approve(
    *,
    revision: Revision,
    by: Any,
    content_hash: str,
    comment: str = "",
    editorial: bool = False,
    publish_at: datetime | None = None,
    clinical_checked: bool = False,
) -> Revision:
    """Approve the revision the moderator reviewed and publish it.

    ``content_hash`` is the hash of what the moderator saw: the approval covers exactly that
    text. ``editorial`` marks a typo fix that does not count as a clinical review.
    ``publish_at`` (a future time) approves it for later: the revision waits SCHEDULED and
    ``publish_due`` publishes it then; until then the public sees the previous version.
    ``clinical_checked`` says the moderator checked the clinical changes listed for them
    (``clinical.clinical_changes`` against the live revision): a revision that has any is
    refused without it. The changes are recorded with the decision.
    """
    _require(permissions.may_review(by, "approve revisions"))
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if publish_at is not None:
        publish_at = _schedule_time(publish_at)
    with transaction.atomic():
        monograph = _lock_monograph(revision.monograph_id)
        revision = _reread(revision, monograph)
        n = revision.number
        _check_reviewable(revision, monograph, "approved")
        live = monograph.live_revision
        if live is not None and live.number >= n:
            raise InvalidTransition(
                f"Revision #{n} is older than the live revision #{live.number}; "
                "an older revision is never published over a newer one."
            )
        if content_hash != revision.content_hash or revision.data.hash() != revision.content_hash:
            raise StaleRevision(f"Revision #{n} changed since you opened it; review it again.")
        # Four eyes and "set your name first", decided from the monograph's history.
        _require(permissions.may_approve(by, revision))
        author_ids = permissions.author_ids(revision)
        changes = clinical.clinical_changes(live.data, revision.data) if live is not None else []
        if changes and clinical_checked is not True:
            count = len(changes)
            raise ClinicalChangesNotChecked(
                f"Revision #{n} makes {count} clinical change{'s' if count != 1 else ''} "
                f"(first: {changes[0]}). Check {'them' if count != 1 else 'it'} and tick "
                "“I have checked the clinical changes” to approve it."
            )
        if publish_at is not None:
            return _schedule(
                monograph=monograph,
                revision=revision,
                by=by,
                publish_at=publish_at,
                comment=comment,
                editorial=editorial,
                clinical_changes=[change.as_dict() for change in changes],
                clinical_checked=bool(changes),
            )
        now = timezone.now()
        disclaimer = _publish(
            monograph=monograph,
            revision=revision,
            by=by,
            editorial=editorial,
            reviewed=True,
            now=now,
        )
        _decide(
            monograph=monograph,
            revision=revision,
            by=by,
            decision=ReviewDecision.Decision.APPROVED,
            comment=comment,
            action=Action.APPROVE,
            disclaimer_version=disclaimer,
            details={
                "disclaimer_version": disclaimer.number,
                "disclaimer_scope": "monograph" if disclaimer.monograph_id else "site",
                "editorial": editorial,
                "replaced_live": live.number if live is not None else None,
                "clinical_changes": len(changes),
            },
            is_editorial=editorial,
            clinical_changes=[change.as_dict() for change in changes],
            clinical_checked=bool(changes) and clinical_checked is True,
        )
        _invalidate_pages(monograph)
        transaction.on_commit(
            _safely(
                "approval mail",
                lambda: notifications.notify_approved(
                    revision=revision, by=by, author_ids=author_ids
                ),
            )
        )
    return revision


@_busy_is_refused
def request_changes(*, revision: Revision, by: Any, comment: str) -> ReviewDecision:
    """Send a revision in review back to its author(s) with a required comment."""
    _require(permissions.may_review(by))
    comment = _required_text(comment, "A comment saying what to change")
    with transaction.atomic():
        monograph = _lock_monograph(revision.monograph_id)
        revision = _reread(revision, monograph)
        _check_reviewable(revision, monograph, "reviewed")
        revision.status = Status.CHANGES_REQUESTED
        revision.save(update_fields=["status"])
        decision = _decide(
            monograph=monograph,
            revision=revision,
            by=by,
            decision=ReviewDecision.Decision.CHANGES_REQUESTED,
            comment=comment,
            action=Action.REQUEST_CHANGES,
        )
        author_ids = permissions.author_ids(revision)
        transaction.on_commit(
            _safely(
                "changes-requested mail",
                lambda: notifications.notify_changes_requested(
                    revision=revision, by=by, comment=comment, author_ids=author_ids
                ),
            )
        )
    return decision


# --- monograph-level actions ------------------------------------------------------------


@_busy_is_refused
def withdraw(*, monograph: Monograph, by: Any, reason: str) -> Monograph:
    """Take a published monograph off the public site (its page answers 410 Gone)."""
    _require(permissions.may_withdraw(by))
    reason = _required_text(reason, "A reason for withdrawing")
    with transaction.atomic():
        monograph = _lock_monograph(monograph.pk)
        if monograph.withdrawn_at is not None:
            raise InvalidTransition(f"{monograph.title} is already withdrawn.")
        if monograph.live_revision_id is None:
            raise InvalidTransition(
                f"{monograph.title} has never been published, so it cannot be withdrawn."
            )
        _set_withdrawal(monograph, by=by, reason=reason, withdrawn=True, details={"reason": reason})
    return monograph


@_busy_is_refused
def restore(*, monograph: Monograph, by: Any, reason: str) -> Monograph:
    """Put a withdrawn monograph back on the public site."""
    _require(permissions.may_restore(by))
    reason = _required_text(reason, "A reason for restoring")
    with transaction.atomic():
        monograph = _lock_monograph(monograph.pk)
        if monograph.withdrawn_at is None:
            raise InvalidTransition(f"{monograph.title} is not withdrawn.")
        details = {"reason": reason, "withdrawn_reason": monograph.withdrawn_reason}
        _set_withdrawal(monograph, by=by, reason=reason, withdrawn=False, details=details)
    return monograph


def _set_withdrawal(
    monograph: Monograph, *, by: Any, reason: str, withdrawn: bool, details: dict[str, Any]
) -> None:
    """Take the (locked) monograph off the public site or put it back: its row, its names
    in the A to Z, the audit entry and its pages' new version."""
    monograph.withdrawn_at = timezone.now() if withdrawn else None
    monograph.withdrawn_reason = reason if withdrawn else ""
    monograph.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    write_public_names([monograph])
    _audit(
        action=Action.WITHDRAW if withdrawn else Action.RESTORE,
        actor=by,
        monograph=monograph,
        revision=monograph.live_revision,
        from_state="published" if withdrawn else "withdrawn",
        to_state="withdrawn" if withdrawn else "published",
        message=reason,
        details=details,
    )
    _invalidate_pages(monograph)


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@_busy_is_refused
def set_next_review_due(*, monograph: Monograph, by: Any, due: date) -> Monograph:
    """Change when the monograph is next due for clinical review."""
    _require(permissions.may_change_review_dates(by))
    if isinstance(due, datetime) or not isinstance(due, date):
        raise InvalidInput("The next review date must be a date.")
    today = timezone.localdate()
    # A typo (0202 for 2026, 2206 for 2026) would hide a monograph from the overdue list
    # for centuries: review dates stay within a plausible window.
    earliest, latest = _years_from(today, -10), _years_from(today, 5)
    if not earliest <= due <= latest:
        raise InvalidInput(
            f"The next review date must be between {earliest:%d %B %Y} and "
            f"{latest:%d %B %Y}; {due:%d %B %Y} looks like a typo."
        )
    with transaction.atomic():
        monograph = _lock_monograph(monograph.pk)
        previous = monograph.next_review_due
        if previous == due:
            return monograph
        monograph.next_review_due = due
        monograph.save(update_fields=["next_review_due"])
        _audit(
            action=Action.REVIEW_DUE_CHANGE,
            actor=by,
            monograph=monograph,
            details={
                "from": previous.isoformat() if previous else None,
                "to": due.isoformat(),
            },
        )
        _invalidate_pages(monograph)
    return monograph


# --- import -----------------------------------------------------------------------------


@_busy_is_refused
def import_source(
    *, content: MonographContent, filename: str, publish: bool = True, slug: str | None = None
) -> ImportResult:
    """Import one parsed source file: the operator's act, recorded with no actor.

    Unchanged content writes nothing: content equal to the latest revision, or to the last
    revision imported for this monograph (the file has not changed since, though the site
    may have). New or changed content becomes a revision that is published at once
    (``publish``), or a draft for review. All in one transaction.
    """
    content = _check_content(content)
    filename = _required_text(filename, "The file name")
    slug = _slug_for(content, slug)
    new_hash = content.hash()
    summary = f"Imported from {filename}"
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    try:
        with transaction.atomic():
            monograph = Monograph.objects.select_for_update().filter(slug=slug).first()
            action = "updated"
            if monograph is None:
                action = "created"
                monograph = _start_monograph(content, slug)
            latest = _latest(monograph)
            if latest is not None and latest.content_hash == new_hash:
                return ImportResult("unchanged", monograph, None)
            last_import = (
                monograph.revisions.filter(source=Revision.Source.IMPORT)
                .order_by("-number")
                .first()
            )
            if last_import is not None and last_import.content_hash == new_hash:
                # The file is as it was when last imported; the monograph has been edited on
                # the site since. Importing it again (every `make run` does) would silently
                # undo reviewed work, so an unchanged file stays unchanged.
                return ImportResult("unchanged", monograph, None)
            revision = _new_revision(
                monograph=monograph,
                content=content,
                by=None,
                summary=summary,
                source=Revision.Source.IMPORT,
                based_on=latest,
                import_filename=filename,
            )
            from_state = latest.status if latest is not None else ""
            _replace_latest(monograph, latest, revision)
            disclaimer = None
            if publish:
                disclaimer = _publish(
                    monograph=monograph,
                    revision=revision,
                    by=None,
                    editorial=False,
                    reviewed=False,
                    now=timezone.now(),
                )
                _invalidate_pages(monograph)
            _audit(
                action=Action.IMPORT,
                actor=None,
                monograph=monograph,
                revision=revision,
                from_state=from_state,
                to_state=revision.status,
                message=summary,
                disclaimer_version=disclaimer,
                details={
                    "filename": filename,
                    "published": publish,
                    "disclaimer_version": disclaimer.number if disclaimer else None,
                },
            )
    except IntegrityError as error:  # the same slug imported twice at the same moment
        raise InvalidInput(f"{filename}: could not import, {_slug_taken(slug)}") from error
    return ImportResult(action, monograph, revision)


# --- sources: drafts from official labels, label changes --------------------------------


@dataclass
class LabelDraftResult:
    action: str  # "created" | "updated" | "unchanged"
    monograph: Monograph
    revision: Revision | None


def _keep_label_version(label: labels.Label, filename: str) -> LabelVersion:
    version, _created = LabelVersion.objects.get_or_create(
        set_id=label.set_id,
        version=label.version,
        defaults={
            "effective_date": label.effective_date,
            "generic_name": label.generic_name,
            "sections": labels.label_sections(label, tables=False),
            "filename": filename[:500],
        },
    )
    return version


def _monograph_for_label(label: labels.Label) -> Monograph | None:
    """The monograph that follows this label: by its set id, else by the label's names."""
    found = Monograph.objects.filter(label_set_id=label.set_id).order_by("pk").first()
    if found is not None:
        return found
    slug = _slug_from_names(MonographContent(title=label.generic_name))
    found = Monograph.objects.filter(slug=slug).first()
    if found is not None:
        return found
    name = label.generic_name
    return (
        Monograph.objects.filter(models.Q(generic_name__iexact=name) | models.Q(title__iexact=name))
        .order_by("pk")
        .first()
    )


@_busy_is_refused
def draft_from_label(*, label: labels.Label, filename: str, by: Any = None) -> LabelDraftResult:
    """A DRAFT revision made from an official drug label; never a publication.

    The monograph that follows the label (same set id, else the same generic name) gets a
    new draft revision with the label's sections in place of its own (its FAQs, other
    sections, names and disclaimer kept); otherwise a new monograph is started. The label
    is added to its references, and the monograph remembers the label version. ``by`` is
    the staff user of the admin screen, or None for the operator's command.
    """
    if by is not None:
        _require(permissions.may_create(by, "start monographs from a drug label"))
    filename = _required_text(filename, "The file name")
    summary = f"Drafted from the drug label {filename} ({label.describe()})"
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    limit = validation.max_section_chars()
    with transaction.atomic():
        existing = _monograph_for_label(label)
        latest = None
        if existing is not None:
            monograph = _lock_monograph(existing.pk)
            latest = _latest(monograph)
        base = latest.data if latest is not None else None
        content = _check_content(labels.label_content(label, base=base, max_section_chars=limit))
        if existing is None:
            action = "created"
            slug = _slug_for(content, None)
            if Monograph.objects.filter(slug=slug).exists():
                raise InvalidInput(_slug_taken(slug))
            monograph = _start_monograph(content, slug)
        elif latest is not None and latest.content_hash == content.hash():
            return LabelDraftResult("unchanged", monograph, None)
        else:
            action = "updated"
        revision = _add_revision(
            monograph=monograph,
            latest=latest,
            content=content,
            by=by,
            summary=summary,
            action=Action.LABEL_DRAFT,
            details={
                "filename": filename,
                "set_id": label.set_id,
                "version": label.version,
                "effective_date": label.effective_date.isoformat()
                if label.effective_date
                else None,
            },
            source=Revision.Source.LABEL,
            based_on=latest,
            import_filename=filename[:500],
        )
        _keep_label_version(label, filename)
        monograph.label_set_id = label.set_id
        monograph.label_version = label.version
        monograph.label_change = {}
        monograph.save(update_fields=["label_set_id", "label_version", "label_change"])
    return LabelDraftResult(action, monograph, revision)


@_busy_is_refused
def record_label_change(*, monograph: Monograph, label: labels.Label, filename: str) -> bool:
    """Put the monograph on the "source label changed" list when ``label`` is newer than the
    version it was last checked against; True when it was listed now (the operator's
    ``check_labels``; no actor). The change names the label sections that differ and the
    clinically relevant differences (``labels.compare``)."""
    with transaction.atomic():
        monograph = _lock_monograph(monograph.pk)
        if monograph.label_set_id != label.set_id:
            return False
        checked = labels.version_key(monograph.label_version)
        if label.version_key <= checked:
            return False
        if monograph.label_change.get("version") == label.version:
            return False  # already listed for this version
        newer = _keep_label_version(label, filename)
        older = LabelVersion.objects.filter(
            set_id=label.set_id, version=monograph.label_version
        ).first()
        change = labels.compare(older.sections if older else {}, newer.sections)
        monograph.label_change = {
            "version": label.version,
            "effective_date": newer.effective_date.isoformat() if newer.effective_date else "",
            "from_version": monograph.label_version,
            "filename": filename,
            "found_at": timezone.now().isoformat(),
            "sections": change,
        }
        monograph.save(update_fields=["label_change"])
        _audit(
            action=Action.LABEL_CHANGED,
            actor=None,
            monograph=monograph,
            from_state=f"label v{monograph.label_version}",
            to_state=f"label v{label.version}",
            message=f"{filename}: label version {label.version} replaces "
            f"version {monograph.label_version}",
            details={"set_id": label.set_id, "sections": [s["field"] for s in change]},
        )
    return True


@_busy_is_refused
def mark_label_checked(*, monograph: Monograph, by: Any, note: str = "") -> Monograph:
    """Someone has read the newer label's changes: the monograph now follows that version."""
    _require(permissions.may_edit(by, "mark label changes as checked"))
    note = (note or "").strip() if isinstance(note, str) else ""
    with transaction.atomic():
        monograph = _lock_monograph(monograph.pk)
        change = monograph.label_change or {}
        if not change:
            raise InvalidTransition(f"{monograph.title} has no label change waiting to be checked.")
        previous = monograph.label_version
        monograph.label_version = str(change.get("version", previous))
        monograph.label_change = {}
        monograph.save(update_fields=["label_version", "label_change"])
        _audit(
            action=Action.LABEL_CHECKED,
            actor=by,
            monograph=monograph,
            from_state=f"label v{previous}",
            to_state=f"label v{monograph.label_version}",
            message=note,
            details={"set_id": monograph.label_set_id, "change": change},
        )
    return monograph


# --- scheduled publishing -------------------------------------------------------------------

# How far ahead a publication may be scheduled (a typo in the year must not park it).
MAX_SCHEDULE_DAYS = 2 * 366


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "a date not set"
    return timezone.localtime(moment).strftime("%d %B %Y at %H:%M %Z")


def _schedule_time(value: Any) -> datetime:
    """A publication time in the future, within ``MAX_SCHEDULE_DAYS``; a naive time is read
    in the site's time zone."""
    if not isinstance(value, datetime):
        raise InvalidInput("The publication time must be a date and a time.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    now = timezone.now()
    if value <= now:
        raise InvalidInput(
            f"The publication time {_when(value)} has passed: choose a later time, or "
            "approve without one to publish now."
        )
    if value > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise InvalidInput(f"{_when(value)} is more than two years ahead; that looks like a typo.")
    return value


def _schedule(
    *,
    monograph: Monograph,
    revision: Revision,
    by: Any,
    publish_at: datetime,
    comment: str,
    editorial: bool,
    clinical_changes: list[dict[str, str]] | None = None,
    clinical_checked: bool = False,
) -> Revision:
    """The scheduling half of ``approve`` (the caller holds the row lock and has checked
    everything an approval checks): the revision waits SCHEDULED, bound to its hash."""
    revision.status = Status.SCHEDULED
    revision.publish_at = publish_at
    revision.save(update_fields=["status", "publish_at"])
    _decide(
        monograph=monograph,
        revision=revision,
        by=by,
        decision=ReviewDecision.Decision.APPROVED,
        comment=comment,
        action=Action.SCHEDULE,
        details={"publish_at": publish_at.isoformat(), "editorial": editorial},
        is_editorial=editorial,
        publish_at=publish_at,
        clinical_changes=clinical_changes or [],
        clinical_checked=clinical_checked,
    )
    return revision


def _scheduled_revision(revision: Revision, monograph: Monograph) -> Revision:
    revision = _reread(revision, monograph)
    if revision.status != Status.SCHEDULED or monograph.latest_revision_id != revision.pk:
        raise InvalidTransition(
            f"Revision #{revision.number} is not scheduled for publication "
            f"(it is {revision.get_status_display().lower()})."
        )
    return revision


@_busy_is_refused
def cancel_schedule(*, revision: Revision, by: Any, reason: str = "") -> Revision:
    """Call off a scheduled publication: the revision goes back to the review queue."""
    _require(permissions.may_review(by, "cancel scheduled publications"))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    with transaction.atomic():
        monograph = _lock_monograph(revision.monograph_id)
        revision = _scheduled_revision(revision, monograph)
        was = revision.publish_at
        revision.status = Status.IN_REVIEW
        revision.publish_at = None
        revision.save(update_fields=["status", "publish_at"])
        _audit(
            action=Action.CANCEL_SCHEDULE,
            actor=by,
            monograph=monograph,
            revision=revision,
            from_state=Status.SCHEDULED,
            to_state=revision.status,
            message=reason,
            details={"publish_at": was.isoformat() if was else None},
        )
    return revision


@_busy_is_refused
def reschedule(*, revision: Revision, by: Any, publish_at: datetime) -> Revision:
    """Move a scheduled publication to another time (the approval stays)."""
    _require(permissions.may_review(by, "reschedule publications"))
    publish_at = _schedule_time(publish_at)
    with transaction.atomic():
        monograph = _lock_monograph(revision.monograph_id)
        revision = _scheduled_revision(revision, monograph)
        _require(permissions.may_reschedule(by, revision))
        was = revision.publish_at
        revision.publish_at = publish_at
        revision.save(update_fields=["publish_at"])
        _audit(
            action=Action.RESCHEDULE,
            actor=by,
            monograph=monograph,
            revision=revision,
            from_state=Status.SCHEDULED,
            to_state=Status.SCHEDULED,
            details={
                "from": was.isoformat() if was else None,
                "to": publish_at.isoformat(),
            },
        )
    return revision


@_busy_is_refused
def publish_due(*, now: datetime | None = None, limit: int = 200) -> list[Revision]:
    """Publish every scheduled revision whose time has come; what was published.

    Safe when several servers run it at once: each monograph is taken with
    ``SELECT … FOR UPDATE SKIP LOCKED`` (a monograph another process is publishing, or an
    editor is saving, is left for the next run), and the revision's state is checked again
    under the lock, so nothing is published twice. The approval still covers exactly the
    text approved: the hash is checked again, and a later edit has already replaced the
    revision (cancelling the schedule).
    """
    now = now or timezone.now()
    due = list(
        Revision.objects.scheduled()
        .filter(publish_at__lte=now)
        .order_by("publish_at", "pk")
        .values_list("pk", "monograph_id")[:limit]
    )
    published: list[Revision] = []
    for revision_id, monograph_id in due:
        with transaction.atomic():
            monograph = (
                Monograph.objects.select_for_update(skip_locked=True)
                .filter(pk=monograph_id)
                .first()
            )
            if monograph is None:
                continue  # another process holds it: the next run takes it
            revision = Revision.objects.filter(
                pk=revision_id, status=Status.SCHEDULED, publish_at__lte=now
            ).first()
            if revision is None or monograph.latest_revision_id != revision.pk:
                continue
            revision.monograph = monograph
            decision = (
                revision.decisions.filter(decision=ReviewDecision.Decision.APPROVED)
                .order_by("-created_at", "-id")
                .first()
            )
            live = monograph.live_revision
            if (
                decision is None
                or decision.content_hash != revision.content_hash
                or revision.data.hash() != revision.content_hash
                or (live is not None and live.number >= revision.number)
            ):
                logger.error("Scheduled revision %s cannot be published as approved", revision)
                continue
            disclaimer = _publish(
                monograph=monograph,
                revision=revision,
                by=decision.reviewer,
                editorial=decision.is_editorial,
                reviewed=True,
                now=timezone.now(),
            )
            _audit(
                action=Action.PUBLISH_SCHEDULED,
                actor=None,
                monograph=monograph,
                revision=revision,
                from_state=Status.SCHEDULED,
                to_state=revision.status,
                disclaimer_version=disclaimer,
                details={
                    "publish_at": revision.publish_at.isoformat() if revision.publish_at else None,
                    "approved_by": decision.reviewer.get_username(),
                    "disclaimer_version": disclaimer.number,
                    "replaced_live": live.number if live is not None else None,
                },
            )
            _invalidate_pages(monograph)
            author_ids = permissions.author_ids(revision)
            reviewer, done = decision.reviewer, revision
            transaction.on_commit(
                _safely(
                    "approval mail",
                    lambda done=done, reviewer=reviewer, author_ids=author_ids: (
                        notifications.notify_approved(
                            revision=done, by=reviewer, author_ids=author_ids
                        )
                    ),
                )
            )
            published.append(revision)
    return published

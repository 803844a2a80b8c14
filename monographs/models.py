"""medsite's content model.

- ``Monograph``: identity (slug) plus pointers to its live and latest revisions, and the
  denormalised public fields of the live revision (title, names, dates) for listing and
  search. Only ``workflow.py`` changes any of it.
- ``Revision``: append-only JSON snapshot of the whole monograph (see ``content.py``).
  A published revision also stores its sanitized HTML and the disclaimer it went out with.
- ``ReviewDecision``: a moderator's approve / request-changes, bound to a content hash.
- ``DisclaimerVersion``: versioned disclaimer texts (site-wide default, or one monograph's).
- ``AuditEntry``: append-only log of every workflow action.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Case, CharField, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from .content import MonographContent


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only row."""


class EditorialState(models.TextChoices):
    """A monograph's editorial state, as the admin list, its filter and the dashboard show it."""

    LIVE = "live", "Live"
    LIVE_DRAFT = "live_draft", "Live + draft pending"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    DRAFT_ONLY = "draft_only", "Draft only"
    WITHDRAWN = "withdrawn", "Withdrawn"


_PUBLISHED = Q(live_revision__isnull=False, withdrawn_at__isnull=True)


def _overdue(today: Any = None) -> Q:
    from django.utils import timezone

    return _PUBLISHED & Q(next_review_due__lt=today or timezone.localdate())


class MonographQuerySet(models.QuerySet):
    def published(self) -> MonographQuerySet:
        """The one public filter: monographs with a live revision that are not withdrawn."""
        return self.filter(_PUBLISHED)

    def overdue_for_review(self, today: Any = None) -> MonographQuerySet:
        return self.filter(_overdue(today))

    def with_state(self, today: Any = None) -> MonographQuerySet:
        """The one definition of a monograph's editorial state: annotates ``editorial_state``
        (an ``EditorialState`` value; the latest revision decides, a withdrawal first) and
        ``is_overdue`` (published and past its next review date)."""
        state = EditorialState
        return self.annotate(
            editorial_state=Case(
                When(withdrawn_at__isnull=False, then=Value(state.WITHDRAWN.value)),
                When(latest_revision__status="in_review", then=Value(state.IN_REVIEW.value)),
                When(
                    latest_revision__status="changes_requested",
                    then=Value(state.CHANGES_REQUESTED.value),
                ),
                When(live_revision__isnull=True, then=Value(state.DRAFT_ONLY.value)),
                When(
                    ~Q(latest_revision_id=F("live_revision_id")),
                    then=Value(state.LIVE_DRAFT.value),
                ),
                default=Value(state.LIVE.value),
                output_field=CharField(),
            ),
            is_overdue=Case(
                When(_overdue(today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )


class Monograph(models.Model):
    slug = models.SlugField(max_length=200, unique=True)
    # Working title/names: from the latest revision (staff lists). The public ones below
    # come from the live revision and change only on publish.
    title = models.CharField(max_length=200)
    generic_name = models.CharField(max_length=200, blank=True)
    other_names = models.JSONField(default=list, blank=True)
    sort_title = models.CharField(max_length=200, db_index=True, editable=False, default="")
    # Plain text of the live revision for search (names weighted above text on PostgreSQL).
    search_names = models.TextField(blank=True, editable=False, default="")
    search_text = models.TextField(blank=True, editable=False, default="")

    live_revision = models.OneToOneField(
        "Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    latest_revision = models.OneToOneField(
        "Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)

    # Clinical review dates; editorial (typo) publications leave them alone.
    last_reviewed_at = models.DateField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    next_review_due = models.DateField(null=True, blank=True)
    # The review block of the public page, denormalised by the workflow when a clinical
    # review is published (and by rebuild_published), so a page view reads no user or group.
    last_reviewed_by_name = models.CharField(max_length=300, blank=True, editable=False)
    last_reviewed_by_role = models.CharField(max_length=100, blank=True, editable=False)

    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    # The official label this monograph follows (openFDA set id) and the label version it
    # was last drafted from or checked against; ``label_change`` describes a newer version
    # found by ``check_labels`` until someone marks it checked ({} when there is none).
    label_set_id = models.CharField(max_length=64, blank=True, db_index=True)
    label_version = models.CharField(max_length=20, blank=True)
    label_change = models.JSONField(default=dict, blank=True)

    # The site generation (SiteVersion) of the last change to this monograph's public pages,
    # written in the same transaction (caching.invalidate_monograph): part of their cache key.
    page_generation = models.BigIntegerField(default=0, db_index=True, editable=False)

    objects = MonographQuerySet.as_manager()

    class Meta:
        ordering = ["sort_title", "slug"]
        permissions = [
            ("review_monograph", "Can review, approve and publish revisions"),
            ("withdraw_monograph", "Can withdraw and restore monographs"),
        ]

    def __str__(self) -> str:
        return self.title or self.slug

    def get_absolute_url(self) -> str:
        return reverse("monographs:detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.live_revision_id is not None and self.withdrawn_at is None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class RevisionQuerySet(models.QuerySet):
    def published(self) -> RevisionQuerySet:
        """Revisions that went out to the public at some point (live or since replaced)."""
        return self.filter(published_at__isnull=False)

    def in_review(self) -> RevisionQuerySet:
        return self.filter(status=Revision.Status.IN_REVIEW)

    def scheduled(self) -> RevisionQuerySet:
        return self.filter(status=Revision.Status.SCHEDULED)


class Revision(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        SCHEDULED = "scheduled", "Approved, scheduled"  # published at ``publish_at``
        PUBLISHED = "published", "Published"  # the live revision
        SUPERSEDED = "superseded", "Superseded"  # replaced by a later revision

    class Source(models.TextChoices):
        EDIT = "edit", "Edited in the admin"
        IMPORT = "import", "Imported from a file"
        REVERT = "revert", "Reverted to an earlier revision"
        LABEL = "label", "Drafted from an official drug label"

    monograph = models.ForeignKey(Monograph, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EDIT)

    content = models.JSONField()
    content_hash = models.CharField(max_length=64, db_index=True)
    change_summary = models.CharField(max_length=500)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authored_revisions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # True when the editor started from a revision that was no longer the latest.
    is_conflict = models.BooleanField(default=False)
    import_filename = models.CharField(max_length=500, blank=True)

    # The date and time the author asked for, and the one a moderator approved it for:
    # a SCHEDULED revision is published by ``publish_scheduled`` once ``publish_at`` passes.
    requested_publish_at = models.DateTimeField(null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)

    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # An editorial publication (typo fix) does not reset the clinical review date.
    is_editorial = models.BooleanField(default=False)
    # The publication's parts, filled when it is published (``page.build_parts``) and
    # refreshed only by ``workflow.rebuild_published`` after a rendering or template change.
    # A public page assembles them: no Markdown, HTML parsing or JSON-LD work per view.
    # Sanitized HTML of the sections, in source order (the article body).
    rendered_html = models.TextField(blank=True, editable=False)
    # The disclaimer block (its own <section>), from the disclaimer version it went out with.
    disclaimer_html = models.TextField(blank=True, editable=False)
    # "On this page": [{"id": ..., "heading": ...}, ...], the disclaimer last.
    contents = models.JSONField(default=list, blank=True, editable=False)
    meta_description = models.CharField(max_length=300, blank=True, editable=False)
    # The whole JSON-LD, ready for <script type="application/ld+json">.
    jsonld = models.TextField(blank=True, editable=False)
    disclaimer_version = models.ForeignKey(
        "DisclaimerVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publications",
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["monograph", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["monograph", "number"], name="revision_unique_number_per_monograph"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="revision_published_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["status", "publish_at"], name="revision_status_publish_at"),
            # A monograph's public history, newest first, one page at a time.
            models.Index(fields=["monograph", "published_at"], name="revision_history"),
        ]

    def __str__(self) -> str:
        return f"{self.monograph} #{self.number} ({self.get_status_display()})"

    @property
    def data(self) -> MonographContent:
        return MonographContent.from_dict(self.content)

    @property
    def article_html(self) -> str:
        """The stored article: the body, then the disclaimer block."""
        return f"{self.rendered_html}\n{self.disclaimer_html}" if self.disclaimer_html else ""

    # The parts of the public page that publication stores (``workflow._build_parts``).
    PART_FIELDS = ("rendered_html", "disclaimer_html", "contents", "meta_description", "jsonld")

    @property
    def has_parts(self) -> bool:
        """Whether the publication's parts are stored (see ``rebuild_published``)."""
        return bool(self.disclaimer_html and self.jsonld and self.contents)

    def get_preview_url(self) -> str:
        return reverse(
            "monographs:preview", kwargs={"slug": self.monograph.slug, "number": self.number}
        )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Revisions are never deleted.")


class ReviewDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved and published"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_decisions"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    is_editorial = models.BooleanField(default=False)
    # An approval for later: when the revision is to be published (null: at once).
    publish_at = models.DateTimeField(null=True, blank=True)
    # The clinically significant changes against the live revision when the decision was
    # taken (clinical.ClinicalChange.as_dict() each), and whether the moderator ticked
    # "I have checked the clinical changes" (an approval of a revision with any must).
    clinical_changes = models.JSONField(default=list, blank=True)
    clinical_checked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="changes_requested") | ~Q(comment=""),
                name="review_changes_requested_needs_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.revision}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Review decisions are never deleted.")


class DisclaimerVersion(models.Model):
    """One version of a disclaimer text. ``monograph`` is null for the site-wide default."""

    monograph = models.ForeignKey(
        Monograph,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disclaimer_versions",
    )
    number = models.PositiveIntegerField()
    text = models.TextField()
    change_summary = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["monograph_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(monograph__isnull=True),
                name="disclaimer_unique_site_number",
            ),
            models.UniqueConstraint(
                fields=["monograph", "number"],
                condition=Q(monograph__isnull=False),
                name="disclaimer_unique_monograph_number",
            ),
        ]

    def __str__(self) -> str:
        scope = self.monograph.title if self.monograph_id else "Site-wide"
        return f"{scope} disclaimer v{self.number}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Disclaimer versions are never deleted.")


class PublicName(models.Model):
    """One name under which the public A to Z lists a published monograph: its title and
    each of its other names ("Revia – see Naltrexone").

    Rows exist only while the monograph is public: written only by ``workflow.py`` (on
    publish, withdraw and restore, and by ``rebuild_published``), so a letter page is one
    indexed query and the letter counts one aggregate, with no join, whatever the size of
    the catalogue.
    """

    monograph = models.ForeignKey(Monograph, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=200, db_index=False)  # the monograph's (never changes)
    name = models.CharField(max_length=200)
    # Accents and case dropped: the sort order and the letter ("Éfavirenz" under E).
    sort_name = models.CharField(max_length=200)
    # "a".."z", or "0-9" for anything else.
    letter = models.CharField(max_length=3)
    # The monograph's title when ``name`` is one of its other names, else "".
    see = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["letter", "sort_name", "name"]
        indexes = [models.Index(fields=["letter", "sort_name"], name="public_name_letter")]

    def __str__(self) -> str:
        return self.name


class StoredPage(models.Model):
    """The complete public page of a published monograph, rendered by the workflow in the
    transaction that changed the page (``stored_pages.py``), so a cache miss of the page is
    one indexed query and no template work.

    Rows exist only for public monographs (a withdrawal deletes the row in its transaction).
    A row is used only while ``generation`` equals the monograph's ``page_generation`` as the
    app server knows it (no change to the page since it was stored) and ``schema`` the
    running code's (templates, page code, static files, site URL); otherwise the page is
    rendered from the revision's parts, as before, and ``rebuild_published --missing``
    stores it again.
    """

    monograph = models.OneToOneField(
        Monograph, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The monograph's (never changes): the page is found by its address alone.
    slug = models.SlugField(max_length=200, unique=True)
    generation = models.BigIntegerField()
    # The monograph's last publication, in whole seconds since 1970: the page's
    # Last-Modified (an integer: no time zone conversion on the hot path).
    last_modified = models.BigIntegerField(default=0)
    schema = models.CharField(max_length=16)
    html = models.TextField()

    def __str__(self) -> str:
        return f"stored page of monograph {self.monograph_id}"


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        IMPORT = "import", "Imported"
        CREATE = "create", "Created"
        SAVE = "save", "Saved draft"
        SUBMIT = "submit", "Submitted for review"
        APPROVE = "approve", "Approved and published"
        REQUEST_CHANGES = "request_changes", "Requested changes"
        REVERT = "revert", "Reverted"
        WITHDRAW = "withdraw", "Withdrawn"
        RESTORE = "restore", "Restored"
        DISCLAIMER_CHANGE = "disclaimer_change", "Changed disclaimer"
        REVIEW_DUE_CHANGE = "review_due_change", "Changed next review date"
        LABEL_DRAFT = "label_draft", "Drafted from a drug label"
        LABEL_CHANGED = "label_changed", "Source label changed"
        LABEL_CHECKED = "label_checked", "Checked the changed source label"
        SCHEDULE = "schedule", "Approved for a scheduled publication"
        RESCHEDULE = "reschedule", "Rescheduled a publication"
        CANCEL_SCHEDULE = "cancel_schedule", "Cancelled a scheduled publication"
        PUBLISH_SCHEDULED = "publish_scheduled", "Published as scheduled"
        SIGNIN_LOCKOUT = "signin_lockout", "Sign-in locked out"
        REBUILD = "rebuild_published", "Rebuilt published pages"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        help_text="Empty for operator commands such as import_monographs.",
    )
    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    monograph = models.ForeignKey(
        Monograph, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    disclaimer_version = models.ForeignKey(
        DisclaimerVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit entries are never deleted.")


class LabelVersion(models.Model):
    """One version of an official drug label, as cleaned Markdown per label section.

    Kept when a monograph is drafted from a label or a newer version is found, so
    ``check_labels`` can say what changed between the version a monograph was checked
    against and the new one. Never changed once written.
    """

    set_id = models.CharField(max_length=64)
    version = models.CharField(max_length=20)
    effective_date = models.DateField(null=True, blank=True)
    generic_name = models.CharField(max_length=200, blank=True)
    sections = models.JSONField(default=dict)
    filename = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["set_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["set_id", "version"], name="label_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.generic_name or self.set_id} label v{self.version}"


class ReviewReminder(models.Model):
    """One day's review-reminder mail to one moderator (at most one a day)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reminders"
    )
    sent_on = models.DateField()
    monographs = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="review_reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Review reminder to {self.user} on {self.sent_on}"


class ImageUpload(models.Model):
    """One image an editor uploaded through the markdownx widget (monographs/uploads.py).

    Counts towards the uploader's quota and rate; `clean_uploads` removes the file when no
    revision refers to it after the grace period, and sets `removed_at`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="image_uploads",
    )
    name = models.CharField(max_length=255, unique=True, help_text="Storage name.")
    size = models.PositiveIntegerField(help_text="Bytes stored.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="image_upload_user_time")]

    def __str__(self) -> str:
        return self.name


class SiteVersion(models.Model):
    """One row (pk=1): which version of the public site is current (see ``caching.py``).

    Every transaction that changes what the public sees raises ``generation`` (and sets
    the monograph's ``page_generation`` to it); app servers poll this row to learn it.
    ``all_generation`` is the last time every page had to change (``invalidate_all``),
    ``removal_generation`` the last time something left the public site (a withdrawal):
    older copies of a listing are never served as stale copies after it.
    """

    generation = models.BigIntegerField(default=0)
    all_generation = models.BigIntegerField(default=0)
    removal_generation = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"site generation {self.generation}"

"""The editors' and moderators' screens.

Thin on purpose: views gather input with the forms in ``forms.py`` and call ``workflow.py``,
which enforces every rule (and refuses, with a message fit to show, whatever breaks one).
Who may do what is asked of ``permissions.py`` (the same rules the workflow enforces), only
to decide what to show, to say why, and to refuse early; the workflow checks again.
Nothing in the admin deletes or bulk-edits anything: no actions, no ``list_editable``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from . import admin_sources, clinical, permissions, review, workflow
from .diff import ContentDiff, compare
from .forms import (
    ApproveForm,
    CompareForm,
    DisclaimerForm,
    MonographEditForm,
    ReasonForm,
    RequestChangesForm,
    RevertForm,
    ReviewDueForm,
    initial_for,
    new_monograph_sections,
)
from .models import (
    AuditEntry,
    DisclaimerVersion,
    EditorialState,
    Monograph,
    ReviewDecision,
    Revision,
)

admin.site.site_header = "medsite editorial"
admin.site.site_title = "medsite editorial"
admin.site.index_title = "Monographs, reviews and history"

S = Revision.Status


# --- who may do what: permissions.py decides (the workflow refuses again) --------------------
def _require(allowed: permissions.Decision) -> None:
    if not allowed:
        raise PermissionDenied


# --- the state shown in the list -----------------------------------------------------------
class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(EditorialState.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in EditorialState.values:
            return queryset.with_state().filter(editorial_state=self.value())
        return queryset


class ReviewDueFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Overdue for review"), ("pending", "Waiting for a moderator")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "overdue":
            return queryset.with_state().filter(is_overdue=True)
        if self.value() == "pending":
            return queryset.filter(revisions__status=S.IN_REVIEW).distinct()
        return queryset


def _state_label(monograph: Monograph) -> str:
    state = Monograph.objects.with_state().values_list("editorial_state", flat=True)
    return EditorialState(state.get(pk=monograph.pk)).label


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return date_format(value, "j M Y")


def _section_diff_for(revision: Revision) -> tuple[Revision | None, ContentDiff]:
    """What a reviewer compares: the revision against the live one (or the one it replaced)."""
    monograph = revision.monograph
    base: Revision | None = monograph.live_revision
    if base is not None and base.pk == revision.pk:
        base = (
            monograph.revisions.published()
            .filter(number__lt=revision.number)
            .order_by("-number")
            .first()
        )
    return base, compare(base.data if base else None, revision.data)


# --- Monograph ---------------------------------------------------------------------------------
@admin.register(Monograph)
class MonographAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "state_badge",
        "last_published",
        "last_reviewed",
        "review_due",
    ]
    list_filter = [StateFilter, ReviewDueFilter]
    list_select_related = ["latest_revision", "live_revision"]
    search_fields = ["title", "generic_name", "slug", "search_names"]
    actions = None
    list_per_page = 50

    # The edit screen is ours (forms.MonographEditForm), not a ModelForm of these fields.
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and bool(permissions.may_edit(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and bool(
            permissions.may_edit(request.user)
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_state()

    @admin.display(description="State")
    def state_badge(self, obj: Monograph) -> str:
        state = EditorialState(obj.editorial_state)
        return format_html('<span class="ms-state ms-state-{}">{}</span>', state.value, state.label)

    @admin.display(description="Last published", ordering="last_published_at")
    def last_published(self, obj: Monograph) -> str:
        return _day(obj.last_published_at)

    @admin.display(description="Last reviewed", ordering="last_reviewed_at")
    def last_reviewed(self, obj: Monograph) -> str:
        return _day(obj.last_reviewed_at)

    @admin.display(description="Next review due", ordering="next_review_due")
    def review_due(self, obj: Monograph) -> str:
        due = obj.next_review_due
        if obj.is_overdue:
            return format_html('<span class="ms-overdue">{} (overdue)</span>', _day(due))
        return _day(due)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        extra = [
            path("review-queue/", wrap(self.review_queue_view), name="monographs_review_queue"),
            path(
                "review/<int:revision_id>/",
                wrap(self.review_view),
                name="monographs_revision_review",
            ),
            path("<path:object_id>/compare/", wrap(self.compare_view), name="monographs_compare"),
            path(
                "<path:object_id>/revert/<int:number>/",
                wrap(self.revert_view),
                name="monographs_revert",
            ),
            path(
                "<path:object_id>/withdraw/",
                wrap(self.withdraw_view),
                name="monographs_withdraw",
            ),
            path("<path:object_id>/restore/", wrap(self.restore_view), name="monographs_restore"),
            path(
                "<path:object_id>/review-due/",
                wrap(self.review_due_view),
                name="monographs_review_due",
            ),
        ]
        return extra + admin_sources.urls(self) + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "can_review": bool(permissions.may_review(request.user)),
            "in_review_count": Revision.objects.in_review().count(),
        }
        return super().changelist_view(request, extra_context)

    # --- helpers
    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "can_edit": bool(permissions.may_edit(request.user)),
            "can_review": bool(permissions.may_review(request.user)),
            "can_withdraw": bool(permissions.may_withdraw(request.user)),
            **extra,
        }

    def _monograph(self, request: HttpRequest, object_id: str) -> Monograph:
        _require(self.has_view_or_change_permission(request))
        monograph = self.get_object(request, object_id)
        if monograph is None:
            raise Http404("No such monograph.")
        return monograph

    def _change_url(self, monograph: Monograph) -> str:
        return reverse("admin:monographs_monograph_change", args=[monograph.pk])

    def _history_url(self, monograph: Monograph) -> str:
        return reverse("admin:monographs_monograph_history", args=[monograph.pk])

    # --- edit (add and change)
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        _require(self.has_add_permission(request))
        return self._edit_view(request, None)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        monograph = self._monograph(request, object_id)
        if request.method == "POST":
            _require(self.has_change_permission(request, monograph))
        return self._edit_view(request, monograph)

    def _edit_view(self, request: HttpRequest, monograph: Monograph | None) -> HttpResponse:
        latest = monograph.latest_revision if monograph else None
        base = latest.data if latest else None
        sections = base.sections if base else new_monograph_sections()
        if request.method == "POST":
            form = MonographEditForm(request.POST, base=base, creating=monograph is None)
            if form.is_valid():
                response = self._save(request, monograph, form)
                if response is not None:
                    return response
        else:
            form = MonographEditForm(
                initial=initial_for(base, latest.pk) if base else {},
                sections=sections,
                base=base,
                creating=monograph is None,
            )
        return self._render_edit(request, monograph, form)

    def _save(
        self, request: HttpRequest, monograph: Monograph | None, form: MonographEditForm
    ) -> HttpResponse | None:
        """Call the workflow; None means: show the form again (errors are in messages)."""
        content = form.to_content()
        summary = form.cleaned_data["summary"]
        wants_submit = "_submit" in request.POST
        user = request.user
        try:
            if monograph is None:
                revision = workflow.create_monograph(
                    content=content,
                    by=user,
                    summary=summary,
                    slug=form.cleaned_data.get("slug") or None,
                )
                monograph = revision.monograph
                conflict = False
            else:
                based_on = self._based_on(monograph, form.cleaned_data.get("based_on"))
                result = workflow.save_draft(
                    monograph=monograph,
                    content=content,
                    by=user,
                    summary=summary,
                    based_on=based_on,
                )
                if result.revision is None:
                    return self._no_changes(
                        request,
                        monograph,
                        wants_submit,
                        form.cleaned_data.get("requested_publish_at"),
                    )
                revision, conflict = result.revision, result.conflict
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
            return None

        # Saved. From here on nothing the editor typed can be lost: always redirect.
        number = revision.number
        if conflict:
            replaced = monograph.revisions.filter(number__lt=number).order_by("-number").first()
            # Two tabs (or the back button) of the same editor: "someone else" would puzzle.
            who = (
                f"You saved a newer revision (#{replaced.number}) of this monograph, in another "
                f"tab or window, after you opened this form."
                if replaced is not None and replaced.created_by_id == user.pk
                else "Someone else saved this monograph while you were editing."
            )
            messages.warning(
                request,
                f"{who} Your changes were kept as revision #{number}, marked as based on an "
                f"out-of-date revision, and were not submitted. Check what changed since you "
                f"started (below) before you submit.",
            )
            return HttpResponseRedirect(f"{self._change_url(monograph)}?conflict={number}")
        if revision.status == S.IN_REVIEW:
            # A save on a revision in review stays in review: the approval must cover it.
            messages.success(
                request,
                f"Saved revision #{number}. It replaces the one in review, so the moderator "
                f"reviews your new text. The public page is unchanged.",
            )
        elif wants_submit:
            try:
                workflow.submit(
                    revision=revision,
                    by=user,
                    publish_at=form.cleaned_data.get("requested_publish_at"),
                )
            except workflow.WorkflowError as error:
                messages.warning(request, f"Saved revision #{number}, but not submitted: {error}")
            else:
                messages.success(
                    request,
                    f"Saved revision #{number} and submitted it for review. The public page "
                    f"is unchanged until a moderator approves it.",
                )
        else:
            messages.success(
                request,
                f"Saved draft revision #{number}. The public page is unchanged. Submit it for "
                f"review when it is ready.",
            )
        return HttpResponseRedirect(self._change_url(monograph))

    def _based_on(self, monograph: Monograph, revision_id: int | None) -> Revision | None:
        """The revision the form was opened on. Refused when it is not one of this
        monograph's: taken as "the latest", a save would skip the conflict check."""
        if not revision_id:
            return None
        revision = monograph.revisions.filter(pk=revision_id).first()
        if revision is None:
            raise workflow.InvalidInput(
                "This form does not belong to this monograph's revisions (it may have been "
                "changed). Nothing was saved: copy your text, reload the page and try again."
            )
        return revision

    def _no_changes(
        self,
        request: HttpRequest,
        monograph: Monograph,
        wants_submit: bool,
        publish_at: datetime | None = None,
    ) -> HttpResponse:
        latest = Monograph.objects.get(pk=monograph.pk).latest_revision
        if wants_submit and latest and latest.status in (S.DRAFT, S.CHANGES_REQUESTED):
            try:
                workflow.submit(revision=latest, by=request.user, publish_at=publish_at)
            except workflow.WorkflowError as error:
                messages.error(request, f"No changes to save, and not submitted: {error}")
            else:
                messages.success(
                    request,
                    f"No changes to save. Revision #{latest.number} was submitted for review.",
                )
        else:
            messages.info(request, "No changes to save.")
        return HttpResponseRedirect(self._change_url(monograph))

    def _render_edit(
        self, request: HttpRequest, monograph: Monograph | None, form: MonographEditForm
    ) -> HttpResponse:
        conflict_diff = conflict_revision = None
        if monograph is not None and request.GET.get("conflict", "").isdigit():
            conflict_revision = monograph.revisions.filter(
                number=int(request.GET["conflict"]), is_conflict=True
            ).first()
            if conflict_revision and conflict_revision.based_on_id:
                then_latest = (
                    monograph.revisions.filter(number__lt=conflict_revision.number)
                    .order_by("-number")
                    .first()
                )
                if then_latest is not None:
                    conflict_diff = compare(conflict_revision.based_on.data, then_latest.data)
        title = f"Edit “{monograph}”" if monograph else "New monograph"
        context = self._context(
            request,
            title,
            monograph=monograph,
            original=monograph,
            form=form,
            latest=monograph.latest_revision if monograph else None,
            state=_state_label(monograph) if monograph else None,
            conflict_revision=conflict_revision,
            conflict_diff=conflict_diff,
            review_due_form=ReviewDueForm(
                initial={"next_review_due": monograph.next_review_due} if monograph else None
            ),
            media=self.media + form.media,
            has_change_permission=self.has_change_permission(request, monograph),
        )
        return TemplateResponse(request, "admin/monographs/edit.html", context)

    # --- review
    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        _require(permissions.may_review(request.user))
        revisions = (
            Revision.objects.in_review()
            .select_related("monograph__live_revision", "created_by", "submitted_by")
            .order_by("submitted_at", "pk")
        )
        now = timezone.now()
        rows = [_queue_row(r, now) for r in revisions]
        context = self._context(
            request,
            "Review queue",
            rows=rows,
            scheduled_count=Revision.objects.scheduled().count(),
            label_change_count=Monograph.objects.exclude(label_change={}).count(),
        )
        return TemplateResponse(request, "admin/monographs/review_queue.html", context)

    def review_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        _require(permissions.may_review(request.user))
        revision = get_object_or_404(
            Revision.objects.select_related("monograph", "created_by", "submitted_by"),
            pk=revision_id,
        )
        approve_form = ApproveForm(
            initial={
                "content_hash": revision.content_hash,
                # The time the author asked for, if it is still ahead.
                "publish_at": revision.requested_publish_at
                if revision.requested_publish_at and revision.requested_publish_at > timezone.now()
                else None,
            }
        )
        changes_form = RequestChangesForm()
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "approve":
                approve_form = ApproveForm(request.POST)
                if approve_form.is_valid():
                    try:
                        workflow.approve(
                            revision=revision,
                            by=request.user,
                            content_hash=approve_form.cleaned_data["content_hash"],
                            comment=approve_form.cleaned_data["comment"],
                            editorial=approve_form.cleaned_data["editorial"],
                            clinical_checked=approve_form.cleaned_data["clinical_checked"],
                            publish_at=approve_form.cleaned_data["publish_at"],
                        )
                    except workflow.WorkflowError as error:
                        messages.error(request, f"Not published: {error}")
                    else:
                        text = (
                            f"Approved and published “{revision.monograph}” "
                            f"revision #{revision.number}."
                        )
                        when = approve_form.cleaned_data["publish_at"]
                        if when is not None:
                            text = (
                                f"Approved “{revision.monograph}” revision #{revision.number} "
                                f"for publication on {timezone.localtime(when):%d %B %Y at %H:%M}"
                                ". Until then the public sees the current version."
                            )
                        if Monograph.objects.get(pk=revision.monograph_id).is_withdrawn:
                            # Approval does not undo a withdrawal; "published" alone misleads.
                            text += (
                                " The monograph is withdrawn, so the public will see this "
                                "revision only once a moderator restores it."
                            )
                        messages.success(request, text)
                        return HttpResponseRedirect(reverse("admin:monographs_review_queue"))
            elif action == "request_changes":
                changes_form = RequestChangesForm(request.POST)
                if changes_form.is_valid():
                    try:
                        workflow.request_changes(
                            revision=revision,
                            by=request.user,
                            comment=changes_form.cleaned_data["comment"],
                        )
                    except workflow.WorkflowError as error:
                        messages.error(request, f"Not sent back: {error}")
                    else:
                        messages.success(
                            request,
                            f"Sent “{revision.monograph}” revision #{revision.number} back "
                            f"to its author with your comment.",
                        )
                        return HttpResponseRedirect(reverse("admin:monographs_review_queue"))
            else:
                messages.error(request, "Choose “Approve and publish” or “Request changes”.")
            revision.refresh_from_db()
        base, diff = _section_diff_for(revision)
        live = revision.monograph.live_revision
        authors = permissions.authors(revision)
        # Shown up front, with the reason; the workflow refuses the approval anyway.
        approval = permissions.may_approve(request.user, revision)
        own_work = approval.reason == permissions.OWN_WORK
        changes = clinical.clinical_changes(base.data, revision.data) if base is not None else []
        context = self._context(
            request,
            f"Review “{revision.monograph}” revision #{revision.number}",
            monograph=revision.monograph,
            revision=revision,
            base=base,
            live=live,
            diff=diff,
            summary=review.summarise(diff, changes),
            contributions=permissions.contributions(revision),
            authors=authors,
            approve_form=approve_form,
            changes_form=changes_form,
            reviewable=revision.status == S.IN_REVIEW,
            own_work=own_work,
            approval=approval,
            current_review=_current_review(revision),
            decisions=revision.decisions.select_related("reviewer"),
        )
        return TemplateResponse(request, "admin/monographs/review.html", context)

    # --- history, compare, revert
    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        monograph = self._monograph(request, object_id)
        revisions = list(
            monograph.revisions.select_related(
                "created_by",
                "submitted_by",
                "published_by",
                "reverted_from",
                "disclaimer_version__monograph",
            )
            .prefetch_related("decisions__reviewer")
            .order_by("-number")
        )
        for revision in revisions:
            decisions = list(revision.decisions.all())
            revision.last_decision = decisions[0] if decisions else None
        context = self._context(
            request,
            f"History of “{monograph}”",
            monograph=monograph,
            original=monograph,
            revisions=revisions,
        )
        return TemplateResponse(request, "admin/monographs/history.html", context)

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        monograph = self._monograph(request, object_id)
        form = CompareForm(request.GET)
        old = new = None
        if form.is_valid():
            numbers = {form.cleaned_data["a"], form.cleaned_data["b"]}
            found = {r.number: r for r in monograph.revisions.filter(number__in=numbers)}
            old = found.get(min(numbers))
            new = found.get(max(numbers))
        if old is None or new is None:
            messages.error(request, "Pick two revisions of this monograph to compare.")
            return HttpResponseRedirect(self._history_url(monograph))
        diff = compare(old.data, new.data)
        context = self._context(
            request,
            f"“{monograph}”: revision #{old.number} → #{new.number}",
            monograph=monograph,
            original=monograph,
            old=old,
            new=new,
            diff=diff,
        )
        return TemplateResponse(request, "admin/monographs/compare.html", context)

    def revert_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        monograph = self._monograph(request, object_id)
        _require(permissions.may_edit(request.user))
        revision = get_object_or_404(monograph.revisions, number=number)
        if request.method == "POST":
            form = RevertForm(request.POST)
            if form.is_valid():
                try:
                    new = workflow.revert_to(
                        revision=revision, by=request.user, summary=form.cleaned_data["summary"]
                    )
                except workflow.WorkflowError as error:
                    messages.error(request, f"Not reverted: {error}")
                else:
                    messages.success(
                        request,
                        f"Created draft revision #{new.number} from revision #{number}. "
                        f"Submit it for review to publish it.",
                    )
                    return HttpResponseRedirect(self._change_url(monograph))
        else:
            form = RevertForm(initial={"summary": f"Revert to revision #{number}"})
        latest = monograph.latest_revision
        diff = compare(latest.data if latest else None, revision.data)
        context = self._context(
            request,
            f"Revert “{monograph}” to revision #{number}",
            monograph=monograph,
            original=monograph,
            revision=revision,
            latest=latest,
            diff=diff,
            form=form,
        )
        return TemplateResponse(request, "admin/monographs/revert.html", context)

    # --- moderators' monograph actions
    def _reason_view(self, request: HttpRequest, object_id: str, *, restore: bool) -> HttpResponse:
        monograph = self._monograph(request, object_id)
        _require(permissions.may_withdraw(request.user))
        verb = "Restore" if restore else "Withdraw"
        if request.method == "POST":
            form = ReasonForm(request.POST)
            if form.is_valid():
                action = workflow.restore if restore else workflow.withdraw
                try:
                    action(monograph=monograph, by=request.user, reason=form.cleaned_data["reason"])
                except workflow.WorkflowError as error:
                    messages.error(request, f"Not done: {error}")
                else:
                    messages.success(
                        request,
                        f"“{monograph}” is back on the public site."
                        if restore
                        else f"“{monograph}” was withdrawn from the public site.",
                    )
                    return HttpResponseRedirect(self._change_url(monograph))
        else:
            form = ReasonForm()
        context = self._context(
            request,
            f"{verb} “{monograph}”",
            monograph=monograph,
            original=monograph,
            form=form,
            restore=restore,
        )
        return TemplateResponse(request, "admin/monographs/withdraw.html", context)

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(request, object_id, restore=False)

    def restore_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(request, object_id, restore=True)

    def review_due_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        monograph = self._monograph(request, object_id)
        _require(permissions.may_review(request.user))
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(monograph))
        form = ReviewDueForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Enter the next review date as YYYY-MM-DD.")
        else:
            due: date = form.cleaned_data["next_review_due"]
            try:
                workflow.set_next_review_due(monograph=monograph, by=request.user, due=due)
            except workflow.WorkflowError as error:
                messages.error(request, f"Not changed: {error}")
            else:
                messages.success(request, f"Next review due set to {due:%d %B %Y}.")
        return HttpResponseRedirect(self._change_url(monograph))


def _current_review(revision: Revision) -> Revision | None:
    """The monograph's revision in review when it is not this one (this one was replaced)."""
    latest = Monograph.objects.get(pk=revision.monograph_id).latest_revision
    if latest is not None and latest.pk != revision.pk and latest.status == S.IN_REVIEW:
        return latest
    return None


def _queue_row(revision: Revision, now: datetime) -> dict[str, Any]:
    """One line of the review queue: which sections change, how many clinical changes,
    and every description the revision carries."""
    live = revision.monograph.live_revision
    base = live.data if live is not None else None
    diff = compare(base, revision.data)
    return {
        "revision": revision,
        "age": now - (revision.submitted_at or revision.created_at),
        "sections": [s.heading for s in diff.changed_sections],
        "fields": [f.label for f in diff.changed_fields],
        "clinical": clinical.clinical_changes(base, revision.data) if base else [],
        "first_publication": base is None,
        "contributions": permissions.contributions(revision),
    }


# --- read-only records -------------------------------------------------------------------------
class ReadOnlyAdmin(admin.ModelAdmin):
    """History is append-only: nobody, superusers included, adds, edits or deletes it here."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = [
        "monograph",
        "number",
        "status",
        "created_by",
        "created_at",
        "change_summary",
        "is_conflict",
    ]
    list_filter = ["status", "source", "is_conflict"]
    list_select_related = ["monograph", "created_by"]
    search_fields = ["monograph__title", "change_summary"]
    exclude = ["content", "rendered_html"]
    readonly_fields = ["review_link"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The review screen is for moderators: editors would follow the link to a 403.
        fields = super().get_readonly_fields(request, obj)
        return (
            fields
            if permissions.may_review(request.user)
            else [f for f in fields if f != "review_link"]
        )

    @admin.display(description="Review")
    def review_link(self, obj: Revision) -> str:
        url = reverse("admin:monographs_revision_review", args=[obj.pk])
        return format_html('<a href="{}">See this revision against the live one</a>', url)


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ["revision", "decision", "reviewer", "created_at", "is_editorial", "comment"]
    list_filter = ["decision", "is_editorial"]
    list_select_related = ["revision__monograph", "reviewer"]
    search_fields = ["revision__monograph__title", "comment"]


@admin.register(DisclaimerVersion)
class DisclaimerVersionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "number", "created_by", "created_at", "change_summary", "used_by"]
    list_filter = [("monograph", admin.EmptyFieldListFilter)]
    list_select_related = ["monograph", "created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(publication_count=Count("publications"))

    @admin.display(description="Publications", ordering="publication_count")
    def used_by(self, obj: DisclaimerVersion) -> int:
        return obj.publication_count  # type: ignore[attr-defined]

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("site/", wrap(self.site_disclaimer_view), name="monographs_site_disclaimer"),
            *super().get_urls(),
        ]

    def site_disclaimer_view(self, request: HttpRequest) -> HttpResponse:
        _require(self.has_view_permission(request))
        may_change = permissions.may_change_disclaimer(request.user)
        current = workflow.current_site_disclaimer()
        if request.method == "POST":
            _require(may_change)
            form = DisclaimerForm(request.POST)
            if form.is_valid():
                try:
                    version = workflow.change_site_disclaimer(
                        text=form.cleaned_data["text"],
                        by=request.user,
                        summary=form.cleaned_data["summary"],
                    )
                except workflow.WorkflowError as error:
                    messages.error(request, f"Not changed: {error}")
                else:
                    if current is not None and version.pk == current.pk:
                        # The workflow writes no version for the same text; say so.
                        messages.info(
                            request,
                            f"No change: the text is the same as version {version.number}, "
                            f"so no new version was saved.",
                        )
                    else:
                        messages.success(
                            request,
                            f"Saved site-wide disclaimer version {version.number}. Monographs "
                            f"carry it from their next publication.",
                        )
                    return HttpResponseRedirect(reverse("admin:monographs_site_disclaimer"))
        else:
            form = DisclaimerForm(initial={"text": current.text if current else ""})
        versions = (
            DisclaimerVersion.objects.filter(monograph__isnull=True)
            .select_related("created_by")
            .annotate(publication_count=Count("publications"))
            .order_by("-number")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Site-wide disclaimer",
            "current": current,
            "versions": versions,
            "form": form if may_change else None,
        }
        return TemplateResponse(request, "admin/monographs/site_disclaimer.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "actor",
        "action",
        "monograph",
        "revision_number",
        "transition",
        "message",
    ]
    list_filter = ["action", "actor", "monograph"]
    list_select_related = ["actor", "monograph", "revision__monograph"]
    date_hierarchy = "created_at"
    search_fields = ["message", "monograph__title", "actor__username"]

    @admin.display(description="Revision", ordering="revision__number")
    def revision_number(self, obj: AuditEntry) -> str:
        return f"#{obj.revision.number}" if obj.revision_id else "—"

    @admin.display(description="State")
    def transition(self, obj: AuditEntry) -> str:
        if not (obj.from_state or obj.to_state):
            return "—"
        return f"{obj.from_state or '∅'} → {obj.to_state or '∅'}"

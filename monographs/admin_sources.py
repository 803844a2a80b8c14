"""Admin screens for sources and schedules (thin: every change goes through ``workflow``).

- "Start from an FDA label": upload an openFDA label file, get a draft for review;
- "Source label changed": monographs whose official label has a newer version than the one
  they were checked against, with what changed; mark a change as checked;
- "Scheduled publications": what is approved for later, with cancel and reschedule.

``urls(model_admin)`` gives the routes; ``MonographAdmin.get_urls`` mounts them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from . import labels, permissions, workflow
from .models import Monograph, Revision


class LabelUploadForm(forms.Form):
    label = forms.FileField(
        label="Label file (openFDA JSON)",
        help_text=(
            "A drug label as the openFDA drug label API serves it (one label per file, "
            f"at most {labels.MAX_LABEL_BYTES // 1024 // 1024} MB)."
        ),
        error_messages={"required": "Choose a label file to upload."},
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="What you checked or changed because of the new label.",
    )


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label="Publish at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Give the new date and time.",
            "invalid": "Enter a date and time.",
        },
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def urls(model_admin: Any) -> list:
    wrap = model_admin.admin_site.admin_view
    views = SourceViews(model_admin)
    return [
        path("from-label/", wrap(views.label_upload), name="monographs_from_label"),
        path("label-changes/", wrap(views.label_changes), name="monographs_label_changes"),
        path("scheduled/", wrap(views.scheduled), name="monographs_scheduled"),
    ]


class SourceViews:
    def __init__(self, model_admin: Any) -> None:
        self.model_admin = model_admin

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.opts,
            "title": title,
            **extra,
        }

    # --- drafts from labels
    def label_upload(self, request: HttpRequest) -> HttpResponse:
        _require(permissions.may_create(request.user))
        form = LabelUploadForm()
        if request.method == "POST":
            form = LabelUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["label"]
                try:
                    if upload.size > labels.MAX_LABEL_BYTES:
                        raise labels.LabelError(
                            f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB; a drug label "
                            f"is at most {labels.MAX_LABEL_BYTES // 1024 // 1024} MB."
                        )
                    label = labels.read_label(upload.read(), name=upload.name)
                    result = workflow.draft_from_label(
                        label=label, filename=upload.name, by=request.user
                    )
                except (labels.LabelError, workflow.WorkflowError) as error:
                    form.add_error("label", str(error))
                else:
                    change = reverse(
                        "admin:monographs_monograph_change", args=[result.monograph.pk]
                    )
                    if result.revision is None:
                        messages.info(
                            request,
                            f"“{result.monograph}” already has this label's text as its latest "
                            "revision; nothing was added.",
                        )
                    else:
                        messages.success(
                            request,
                            f"Draft #{result.revision.number} of “{result.monograph}” made from "
                            f"the label ({label.describe()}). It is not public: turn the label "
                            "text into plain language, then submit it for review.",
                        )
                    return HttpResponseRedirect(change)
        context = self._context(request, "Start from an FDA label", form=form)
        return TemplateResponse(request, "admin/monographs/from_label.html", context)

    # --- label changes
    def label_changes(self, request: HttpRequest) -> HttpResponse:
        _require(permissions.may_edit(request.user))
        if request.method == "POST":
            monograph = get_object_or_404(Monograph, pk=request.POST.get("monograph"))
            form = NoteForm(request.POST)
            if form.is_valid():
                try:
                    workflow.mark_label_checked(
                        monograph=monograph, by=request.user, note=form.cleaned_data["note"]
                    )
                except workflow.WorkflowError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, f"Marked the label change of “{monograph}” checked.")
                return HttpResponseRedirect(reverse("admin:monographs_label_changes"))
            messages.error(request, " ".join(form.errors.get("note", [])))
        changed = Monograph.objects.exclude(label_change={}).order_by("sort_title")
        context = self._context(
            request, "Source label changed", monographs=changed, note_form=NoteForm()
        )
        return TemplateResponse(request, "admin/monographs/label_changes.html", context)

    # --- scheduled publications
    def scheduled(self, request: HttpRequest) -> HttpResponse:
        _require(permissions.may_review(request.user))
        form = ScheduleForm()
        if request.method == "POST":
            revision = get_object_or_404(Revision, pk=request.POST.get("revision"))
            try:
                if request.POST.get("action") == "cancel":
                    workflow.cancel_schedule(
                        revision=revision, by=request.user, reason=request.POST.get("reason", "")
                    )
                    messages.success(
                        request,
                        f"Cancelled the scheduled publication of “{revision.monograph}” "
                        f"#{revision.number}; it is back in the review queue.",
                    )
                    return HttpResponseRedirect(reverse("admin:monographs_scheduled"))
                form = ScheduleForm(request.POST)
                if form.is_valid():
                    workflow.reschedule(
                        revision=revision,
                        by=request.user,
                        publish_at=form.cleaned_data["publish_at"],
                    )
                    messages.success(
                        request, f"Rescheduled “{revision.monograph}” #{revision.number}."
                    )
                    return HttpResponseRedirect(reverse("admin:monographs_scheduled"))
            except workflow.WorkflowError as error:
                messages.error(request, str(error))
        revisions = (
            Revision.objects.scheduled()
            .select_related("monograph", "created_by")
            .prefetch_related("decisions__reviewer")
            .order_by("publish_at", "pk")
        )
        context = self._context(
            request,
            "Scheduled publications",
            revisions=revisions,
            form=form,
            now=timezone.now(),
        )
        return TemplateResponse(request, "admin/monographs/scheduled.html", context)

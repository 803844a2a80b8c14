"""Admin forms. They gather and validate input; the workflow module decides what happens."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from markdownx.fields import MarkdownxFormField
from markdownx.settings import MARKDOWNX_URLS_PATH
from markdownx.widgets import MarkdownxWidget

from .content import (
    STANDARD_SECTIONS,
    MonographContent,
    Section,
    section_key,
)
from .validation import problems

# A form that claims more sections than this is not one we rendered.
MAX_SECTIONS = 60
_KEY = re.compile(r"^[a-z0-9_]{1,100}$")


class SectionMarkdownxWidget(MarkdownxWidget):
    """markdownx's editor whose live preview is the section as the public page shows it.

    The preview URL (markdownx's widget script reads it from ``data-markdownx-urls-path``)
    names the section (``?section=<key>&heading=<heading>``), so ``markdownx_views`` renders
    it with ``page.section_body_html``: the serious side-effects callout, FAQ pairs, heading
    levels and tables of the published page. No script of ours is involved.
    """

    def __init__(self, *args: Any, section_key: str = "", heading: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.section_key = section_key
        self.heading = heading

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        query = {
            key: value for key, value in (("section", self.section_key), ("heading", self.heading))
        }
        if any(query.values()):
            context["widget"]["attrs"]["data-markdownx-urls-path"] = (
                f"{MARKDOWNX_URLS_PATH}?{urlencode(query)}"
            )
        return context


def _markdown_field(
    label: str, *, required: bool = False, rows: int = 10, section_key: str = "", heading: str = ""
) -> MarkdownxFormField:
    return MarkdownxFormField(
        label=label,
        required=required,
        # Keep the text exactly as typed: a re-save of untouched text must be a no-op.
        strip=False,
        widget=SectionMarkdownxWidget(
            attrs={"rows": rows, "class": "vLargeTextField"},
            section_key=section_key,
            heading=heading,
        ),
    )


class MonographEditForm(forms.Form):
    """The whole monograph as one form: names, every section of the latest revision, one
    empty section to add, the monograph's own disclaimer and the change summary.

    Section fields are named ``section-<i>-key|heading|body|remove``; their number comes
    from the revision on GET and from the section fields posted on POST (``section_count``
    must agree), so a form with errors comes back with exactly what the editor typed.
    """

    title = forms.CharField(max_length=200)
    generic_name = forms.CharField(max_length=200, required=False)
    other_names = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text="Brand names, former names, common misspellings: one per line.",
    )
    disclaimer = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField ms-wide"}),
        help_text="Markdown. Leave blank to use the site-wide disclaimer.",
    )
    summary = forms.CharField(
        label="Change summary",
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Required: what you changed and why. Reviewers and the public history see it.",
        error_messages={"required": "Please describe your change in the change summary."},
    )
    based_on = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Checked against the section fields posted (see clean()); the template renders it from
    # them too, so a form shown again with this error can be saved.
    section_count = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    new_heading = forms.CharField(label="New section heading", max_length=200, required=False)
    requested_publish_at = forms.DateTimeField(
        required=False,
        label="Ask for publication at (optional)",
        help_text="With “Save and submit”: the time you would like it published. The moderator "
        "decides; empty means as soon as it is approved.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "Enter the publication time as a date and a time."},
    )

    def __init__(
        self,
        *args: Any,
        sections: list[Section] | None = None,
        base: MonographContent | None = None,
        creating: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base = base
        if creating:
            # The web address is fixed at creation; later title changes keep it stable.
            self.fields["slug"] = forms.SlugField(
                label="Web address",
                max_length=200,
                required=False,
                help_text="Optional: made from the title when left blank (/medicines/<address>/).",
            )
        # An imported file may hold more sections than the editor could add here: still editable.
        self.max_sections = max(MAX_SECTIONS, len(base.sections) if base else 0)
        if self.is_bound:
            count = self._posted_count()
        else:
            sections = sections or []
            count = len(sections)
            self.initial["section_count"] = count
            for i, section in enumerate(sections):
                self.initial[f"section-{i}-key"] = section.key
                self.initial[f"section-{i}-heading"] = section.heading
                self.initial[f"section-{i}-body"] = section.body
        self.count = count
        for i in range(count):
            self.fields[f"section-{i}-key"] = forms.CharField(
                max_length=100, required=False, widget=forms.HiddenInput
            )
            self.fields[f"section-{i}-heading"] = forms.CharField(
                label="Heading", max_length=200, required=False
            )
            key, heading = self._section_names(i)
            self.fields[f"section-{i}-body"] = _markdown_field(
                "Text", section_key=key, heading=heading
            )
            self.fields[f"section-{i}-remove"] = forms.BooleanField(
                label="Remove this section", required=False
            )
        self.fields["new_body"] = _markdown_field("New section text", rows=6)
        # The hidden fields are bound to the form's own layout; keep them out of the way.
        self.order_fields(["title", "slug", "generic_name", "other_names"])
        # A browser's maxlength cuts a pasted name short without a word; the server's
        # "at most 200 characters" message says what is wrong and keeps what was typed.
        for bound in self.fields.values():
            bound.widget.attrs.pop("maxlength", None)

    def _section_names(self, i: int) -> tuple[str, str]:
        """The key and heading of section ``i`` as the form holds them (for its preview)."""
        source = self.data if self.is_bound else self.initial
        key = str(source.get(f"section-{i}-key") or "")
        heading = str(source.get(f"section-{i}-heading") or "")
        return (key if _KEY.match(key) else ""), heading[:200]

    def _posted_count(self) -> int:
        """How many sections the POST holds, from the section fields themselves.

        Not from the hidden ``section_count``: a tampered or mangled count must neither drop
        sections the editor typed nor show the form again without them.
        """
        count = 0
        while count < self.max_sections and any(
            self.add_prefix(f"section-{count}-{part}") in self.data
            for part in ("key", "heading", "body")
        ):
            count += 1
        return count

    # --- views of the fields for the template
    def field_label(self, name: str) -> str:
        """A field's name as the error summary says it: a section's text is "Dosage, Markdown"."""
        match = re.match(r"^section-(\d+)-(heading|body|remove)$", name)
        if match:
            index = int(match[1])
            heading = " ".join(str(self[f"section-{index}-heading"].value() or "").split())
            heading = heading or f"Section {index + 1}"
            return f"{heading}, heading" if match[2] == "heading" else f"{heading}, Markdown"
        if name == "new_body":
            return "New section, Markdown"
        field = self.fields.get(name)
        return str(field.label or name.replace("_", " ").capitalize()) if field else name

    def error_summary(self) -> list[dict[str, str]]:
        """Every problem, in the order of the form, each with the id of its field (the GOV.UK
        error summary links to it). Problems of the whole form have no id."""
        if not self.is_bound or not self.errors:
            return []
        problems = [
            {"id": "", "label": "", "message": str(message)} for message in self.non_field_errors()
        ]
        for name in self.fields:
            if name not in self.errors:
                continue
            for message in self.errors[name]:
                problems.append(
                    {
                        "id": "" if self[name].is_hidden else (self[name].auto_id or ""),
                        "label": self.field_label(name),
                        "message": str(message),
                    }
                )
        return problems

    def section_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "index": i,
                "key": self[f"section-{i}-key"],
                "heading": self[f"section-{i}-heading"],
                "body": self[f"section-{i}-body"],
                "remove": self[f"section-{i}-remove"],
            }
            for i in range(self.count)
        ]

    # --- validation
    def clean_title(self) -> str:
        # One line, single-spaced, like headings: a line break pasted or posted into the
        # title would otherwise reach mail subjects (where Django refuses it, so the
        # moderators were never told) and the page's <title>.
        return _filled(" ".join(self.cleaned_data["title"].split()), "The title cannot be blank.")

    def clean_generic_name(self) -> str:
        return " ".join(self.cleaned_data.get("generic_name", "").split())

    def clean_summary(self) -> str:
        return _filled(
            " ".join(self.cleaned_data["summary"].split()),
            "Please describe your change in the change summary.",
        )

    def clean_other_names(self) -> list[str]:
        names: list[str] = []
        for line in self.cleaned_data.get("other_names", "").splitlines():
            name = " ".join(line.split())
            if not name:
                continue
            if name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
        return names

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.is_bound and cleaned.get("section_count") != self.count:
            self.add_error(
                None,
                "The form arrived changed or incomplete: its section count does not match "
                "the sections it holds. Nothing was saved. Check the sections below and save "
                "again.",
            )
        sections: list[Section] = []
        fields: list[str] = []  # the form prefix of each section kept, for its messages
        taken: set[str] = set()
        for i in range(self.count):
            if cleaned.get(f"section-{i}-remove"):
                continue
            heading = " ".join((cleaned.get(f"section-{i}-heading") or "").split())
            body = cleaned.get(f"section-{i}-body") or ""
            if not heading:
                self.add_error(
                    f"section-{i}-heading",
                    "A section needs a heading (tick “Remove this section” to drop it).",
                )
                continue
            key = (cleaned.get(f"section-{i}-key") or "").strip()
            if not _KEY.match(key) or key in taken:
                key = section_key(heading, taken)
            taken.add(key)
            sections.append(Section(key=key, heading=heading, body=_normalise_body(body)))
            fields.append(f"section-{i}-")
        new_heading = " ".join((cleaned.get("new_heading") or "").split())
        new_body = cleaned.get("new_body") or ""
        if new_body.strip() and not new_heading:
            self.add_error("new_heading", "Give the new section a heading.")
        elif new_heading:
            key = section_key(new_heading, taken)
            sections.append(Section(key=key, heading=new_heading, body=_normalise_body(new_body)))
            fields.append("new_")
        cleaned["sections"] = sections
        self._place_problems(fields)
        return cleaned

    def _place_problems(self, fields: list[str]) -> None:
        """The workflow's content rules (validation.py), each message next to its field."""
        if "title" not in self.cleaned_data:
            return  # the title's own error is shown; the rest is checked on the next save
        for problem in problems(self.to_content()):
            field: str | None = problem.field
            if field.startswith("section-"):
                _, index, part = field.split("-")
                field = fields[int(index)] + part
            elif field not in self.fields:
                field = None
            if field is None or field not in self.errors:
                self.add_error(field, problem.sentence)

    def to_content(self) -> MonographContent:
        """The content snapshot this form describes (call after ``is_valid()``)."""
        data = self.cleaned_data
        return MonographContent(
            title=data["title"],
            generic_name=" ".join(data.get("generic_name", "").split()),
            other_names=data.get("other_names", []),
            sections=data["sections"],
            # Whitespace only means "no disclaimer of its own": the site-wide one applies.
            disclaimer=_blank_to_empty(_normalise_body(data.get("disclaimer", ""))),
            layout=self.base.layout if self.base else "",
        )


def _filled(text: str, message: str) -> str:
    """``text`` (already cleaned up), refused with ``message`` when nothing is left."""
    if not text:
        raise ValidationError(message)
    return text


def _normalise_body(text: str) -> str:
    # Browsers send CRLF; a re-save of untouched text must hash the same as the stored one.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _blank_to_empty(text: str) -> str:
    return text if text.strip() else ""


def new_monograph_sections() -> list[Section]:
    return [Section(key=key, heading=heading, body="") for key, heading in STANDARD_SECTIONS]


def initial_for(content: MonographContent, based_on: int | None) -> dict[str, Any]:
    return {
        "title": content.title,
        "generic_name": content.generic_name,
        "other_names": "\n".join(content.other_names),
        "disclaimer": content.disclaimer,
        "based_on": based_on,
    }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        error_messages={"required": "Please give a reason."},
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Recorded in the audit log.",
    )

    def clean_reason(self) -> str:
        return _filled(self.cleaned_data["reason"].strip(), "Please give a reason.")


class RevertForm(forms.Form):
    summary = forms.CharField(
        label="Change summary",
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        error_messages={"required": "Please describe why you revert."},
    )

    def clean_summary(self) -> str:
        return _filled(
            " ".join(self.cleaned_data["summary"].split()), "Please describe why you revert."
        )


class ReviewDueForm(forms.Form):
    next_review_due = forms.DateField(
        label="Next review due",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Format YYYY-MM-DD.",
    )


class ApproveForm(forms.Form):
    _STALE_PAGE = (
        "This approval did not say which text you reviewed (the page may be out of date). "
        "Nothing was published: review the revision below again."
    )
    content_hash = forms.CharField(
        max_length=64,
        widget=forms.HiddenInput,
        error_messages={"required": _STALE_PAGE, "max_length": _STALE_PAGE},
    )
    editorial = forms.BooleanField(
        required=False,
        label="Editorial change (typo fix) — keep the clinical review date",
    )
    # Shown only when the revision has clinical changes; the workflow refuses an approval
    # of such a revision without it.
    clinical_checked = forms.BooleanField(
        required=False, label="I have checked the clinical changes"
    )
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        label="Comment (optional)",
    )
    publish_at = forms.DateTimeField(
        required=False,
        label="Publish at (optional)",
        help_text="Leave empty to publish now. A later time schedules the publication; until "
        "then the public sees the current version.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "Enter the publication time as a date and a time."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown beside RequestChangesForm, which has a "comment" too: ids must differ, or
        # its label would point at this form's box.
        kwargs.setdefault("auto_id", "id_approve_%s")
        super().__init__(*args, **kwargs)


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        label="What needs to change",
        error_messages={"required": "A comment is required when you request changes."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_changes_%s")
        super().__init__(*args, **kwargs)

    def clean_comment(self) -> str:
        return _filled(
            self.cleaned_data["comment"].strip(), "A comment is required when you request changes."
        )


class DisclaimerForm(forms.Form):
    text = forms.CharField(
        label="Site-wide disclaimer",
        widget=forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}),
        help_text="Markdown. Shown on every monograph that has no disclaimer of its own.",
    )
    summary = forms.CharField(
        label="Change summary", max_length=500, widget=forms.TextInput(attrs={"size": 80})
    )

    def clean_text(self) -> str:
        return _filled(
            _normalise_body(self.cleaned_data["text"]).strip(), "The disclaimer cannot be blank."
        )

    def clean_summary(self) -> str:
        return _filled(
            " ".join(self.cleaned_data["summary"].split()), "Please describe the change."
        )


# Revision numbers are PositiveIntegerFields: a bigger number matches nothing, and SQLite
# cannot even take it as a query parameter (OverflowError, a 500).
MAX_REVISION_NUMBER = 2**31 - 1


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1, max_value=MAX_REVISION_NUMBER)
    b = forms.IntegerField(min_value=1, max_value=MAX_REVISION_NUMBER)

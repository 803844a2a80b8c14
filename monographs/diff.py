"""Section-by-section comparison of two monograph contents, for reviewers and editors.

Word-level marks on the Markdown source (``difflib`` over word tokens), every piece of text
escaped before it is wrapped in ``<del>``/``<ins>``, so what an editor typed can never become
markup in the admin. The rendered side goes through the one sanitizer (``rendering``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .content import MonographContent, Section
from .rendering import render_markdown

# Words, runs of whitespace, and single punctuation marks: a changed comma does not mark
# the whole word next to it, and whitespace changes stay visible but small.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Split text into word, whitespace and punctuation tokens; joining them gives it back."""
    return _TOKEN.findall(text or "")


def word_diff(old: str, new: str) -> SafeString:
    """HTML of ``new`` with words removed since ``old`` in ``<del>`` and added ones in ``<ins>``.

    All text is escaped; the only markup in the result is the ``del``/``ins`` tags. A change
    made only of characters that show nothing (spaces, line breaks, zero-width characters)
    is spelled out with visible marks, so a reviewer does not approve a change they cannot
    see (two trailing spaces, for one, make a line break in Markdown).
    """
    out: list[str] = []
    for removed, added, same in _chunks(tokenize(old), tokenize(new)):
        if removed:
            out.append(_mark("del", removed))
        if added:
            out.append(_mark("ins", added))
        out.append(escape(same))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


_SHOWN_AS = {" ": "·", "\t": "→", "\n": "↵\n", "\u00a0": "⍽"}


def _invisible(text: str) -> bool:
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs") for ch in text)


def _mark(tag: str, text: str) -> str:
    if not _invisible(text):
        return f"<{tag}>{escape(text)}</{tag}>"
    shown = "".join(_SHOWN_AS.get(ch, f"⟨U+{ord(ch):04X}⟩") for ch in text)
    what = "spaces or line breaks only" if text.isspace() else "invisible characters"
    return f'<{tag} class="ms-invisible" title="{what}">{escape(shown)}</{tag}>'


def _chunks(a: list[str], b: list[str]) -> list[tuple[str, str, str]]:
    """(removed, added, unchanged-after) runs. A bare space between two changes is folded
    into them, so a rewritten sentence reads as one deletion and one insertion instead of
    alternating single words."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops = matcher.get_opcodes()
    chunks: list[list[str]] = [["", "", ""]]
    for index, (op, i1, i2, j1, j2) in enumerate(ops):
        current = chunks[-1]
        if op != "equal":
            current[0] += "".join(a[i1:i2])
            current[1] += "".join(b[j1:j2])
            continue
        text = "".join(a[i1:i2])
        between_changes = 0 < index < len(ops) - 1 and (current[0] or current[1])
        if between_changes and not text.strip():
            current[0] += text
            current[1] += text
        else:
            current[2] = text
            chunks.append(["", "", ""])
    return [(r, i, s) for r, i, s in chunks if r or i or s]


def render(text: str) -> SafeString:
    """Sanitized HTML of a section body, with headings nested below the section heading."""
    return mark_safe(render_markdown(text, heading_offset=2))  # noqa: S308 - nh3-sanitized


@dataclass
class FieldChange:
    """One monograph-level field (title, names, disclaimer)."""

    name: str
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def diff_html(self) -> SafeString:
        return word_diff(self.old, self.new)


@dataclass
class SectionChange:
    key: str
    status: str  # "added" | "removed" | "changed" | "unchanged"
    old: Section | None
    new: Section | None

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"

    @property
    def heading(self) -> str:
        return (self.new or self.old).heading  # type: ignore[union-attr]

    @property
    def heading_changed(self) -> bool:
        return bool(self.old and self.new and self.old.heading != self.new.heading)

    @property
    def old_heading(self) -> str:
        return self.old.heading if self.old else ""

    @property
    def heading_diff_html(self) -> SafeString:
        return word_diff(self.old_heading, self.new.heading if self.new else "")

    @property
    def diff_html(self) -> SafeString:
        return word_diff(self.old.body if self.old else "", self.new.body if self.new else "")

    @property
    def rendered_html(self) -> SafeString:
        """The section as the public would see it (the old text for a removed section)."""
        section = self.new or self.old
        return render(section.body if section else "")


@dataclass
class ContentDiff:
    fields: list[FieldChange] = field(default_factory=list)
    sections: list[SectionChange] = field(default_factory=list)
    first_publication: bool = False
    order_changed: bool = False

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def changed_sections(self) -> list[SectionChange]:
        return [s for s in self.sections if s.changed]

    @property
    def unchanged_sections(self) -> list[SectionChange]:
        return [s for s in self.sections if not s.changed]

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_fields or self.changed_sections or self.order_changed)


def compare(old: MonographContent | None, new: MonographContent) -> ContentDiff:
    """Compare ``old`` (None: nothing published yet) with ``new``, section by section.

    Sections are matched by key. Changed sections come first (in the new order, removed
    ones after them), then the unchanged ones.
    """
    base = old or MonographContent(title="")
    fields = [
        FieldChange("title", "Title", base.title, new.title),
        FieldChange("generic_name", "Generic name", base.generic_name, new.generic_name),
        FieldChange(
            "other_names", "Other names", "\n".join(base.other_names), "\n".join(new.other_names)
        ),
        FieldChange("disclaimer", "Disclaimer", base.disclaimer, new.disclaimer),
    ]
    old_by_key = {s.key: s for s in base.sections}
    new_keys = {s.key for s in new.sections}
    changes: list[SectionChange] = []
    for section in new.sections:
        before = old_by_key.get(section.key)
        if before is None:
            status = "added"
        elif before.heading != section.heading or before.body != section.body:
            status = "changed"
        else:
            status = "unchanged"
        changes.append(SectionChange(section.key, status, before, section))
    removed = [
        SectionChange(s.key, "removed", s, None) for s in base.sections if s.key not in new_keys
    ]
    ordered = [c for c in changes if c.changed] + removed + [c for c in changes if not c.changed]
    common_old = [s.key for s in base.sections if s.key in new_keys]
    common_new = [s.key for s in new.sections if s.key in old_by_key]
    return ContentDiff(
        fields=fields,
        sections=ordered,
        first_publication=old is None,
        order_changed=common_old != common_new,
    )

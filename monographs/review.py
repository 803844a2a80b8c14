"""What a reviewer reads before the diff: the summary of a comparison, and the rendered
column with the changed words marked.

- ``summarise(diff, changes)``: sections changed (with their status), words added and
  removed, the clinical changes grouped by section.
- ``rendered_with_marks(old, new)``: the new text rendered as the public will see it, with
  the words added in ``<ins>`` and the words removed in ``<del>``. The marks are placed in
  the Markdown as private-use characters around word tokens only (never around Markdown
  syntax), the result goes through the one sanitizer (``rendering``), and the sanitized
  HTML is then re-serialised with every text node and attribute escaped here, the marks
  turned into tags only inside text: nothing an editor typed can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from django.utils.safestring import SafeString, mark_safe

from . import diff as diff_module
from .clinical import ClinicalChange
from .diff import ContentDiff, SectionChange
from .rendering import render_markdown

INS_OPEN, INS_CLOSE, DEL_OPEN, DEL_CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = {INS_OPEN: '<ins class="ms-mark">', INS_CLOSE: "</ins>"}
_MARKS.update({DEL_OPEN: '<del class="ms-mark">', DEL_CLOSE: "</del>"})
_ANY_MARK = re.compile(f"[{INS_OPEN}{INS_CLOSE}{DEL_OPEN}{DEL_CLOSE}]")
_WORDS = re.compile(r"\w+(?:[ \t]+\w+)*", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_VOID = {"br", "hr", "img", "wbr", "col", "input", "source"}


def _chunks(old: str, new: str) -> list[tuple[str, str, str]]:
    """(removed, added, unchanged-after) runs of the bounded word diff: exactly what the
    source column marks (``diff.diff_chunks``), so both columns show the same change."""
    return diff_module.diff_chunks(old, new)


def _wrap_words(text: str, opening: str, closing: str, before: str, after: str) -> str:
    """Marks around each run of words in ``text``, which stands between ``before`` and
    ``after`` in the Markdown."""

    def wrap(match: re.Match[str]) -> str:
        words = match[0]
        line_start = (before + text[: match.start()]).rsplit("\n", 1)[-1]
        following = (text[match.end() :] + after)[:1]
        list_number = words.isdigit() and not line_start.strip() and following in (".", ")")
        faq_label = words in ("Q", "A") and following == ":"
        entity = line_start.endswith("&") and following == ";"
        if list_number or faq_label or entity:
            return words
        return f"{opening}{words}{closing}"

    return _WORDS.sub(wrap, text)


def marked_markdown(old: str, new: str) -> str:
    """``new`` with marks around the words added since ``old``; the words removed are put
    back, marked, where they stood (only words: never the Markdown around them)."""
    out: list[str] = []
    for removed, added, same in _chunks(old, new):
        if removed:
            words = " ".join(_WORD.findall(removed))
            if words:
                out.append(f"{DEL_OPEN}{words}{DEL_CLOSE}" + (" " if added else ""))
        if added:
            out.append(_wrap_words(added, INS_OPEN, INS_CLOSE, "".join(out), same))
        out.append(same)
    return "".join(out)


class _Reserialiser(HTMLParser):
    """Sanitized HTML back to HTML, with every piece escaped again and the marks made tags
    in text only (a mark in an attribute is dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open_mark: str | None = None

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], close: bool) -> str:
        parts = [tag]
        for name, value in attrs:
            clean = _ANY_MARK.sub("", value or "")
            parts.append(f'{name}="{escape(clean, quote=True)}"')
        return f"<{' '.join(parts)}{' /' if close else ''}>"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, False))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, True))

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        # Each text node gets its own marks, so they never straddle an element.
        pieces: list[str] = []
        if self.open_mark:
            pieces.append(_MARKS[self.open_mark])
        position = 0
        for match in _ANY_MARK.finditer(data):
            pieces.append(escape(data[position : match.start()], quote=False))
            mark = match[0]
            if mark in (INS_OPEN, DEL_OPEN):
                if self.open_mark:
                    pieces.append("</ins>" if self.open_mark == INS_OPEN else "</del>")
                self.open_mark = mark
                pieces.append(_MARKS[mark])
            elif self.open_mark:
                pieces.append("</ins>" if self.open_mark == INS_OPEN else "</del>")
                self.open_mark = None
            position = match.end()
        pieces.append(escape(data[position:], quote=False))
        if self.open_mark:
            pieces.append("</ins>" if self.open_mark == INS_OPEN else "</del>")
        self.out.append("".join(pieces))


def rendered_with_marks(old: str, new: str, *, heading_offset: int = 2) -> SafeString:
    """``new`` rendered (sanitized) with the words added and removed since ``old`` marked."""
    html = render_markdown(marked_markdown(old, new), heading_offset=heading_offset)
    parser = _Reserialiser()
    parser.feed(html)
    parser.close()
    return mark_safe("".join(parser.out))  # noqa: S308 - every piece is escaped above


def section_rendered_with_marks(section: SectionChange) -> SafeString:
    if section.status != "changed" or section.old is None or section.new is None:
        return section.rendered_html
    return rendered_with_marks(section.old.body, section.new.body)


# --- the summary ----------------------------------------------------------------------------


@dataclass
class ReviewSummary:
    sections: list[SectionChange] = field(default_factory=list)  # the changed ones
    fields: list[str] = field(default_factory=list)  # labels of changed names/disclaimer
    words_added: int = 0
    words_removed: int = 0
    clinical: list[ClinicalChange] = field(default_factory=list)
    first_publication: bool = False

    @property
    def clinical_by_section(self) -> list[tuple[str, list[ClinicalChange]]]:
        grouped: dict[str, list[ClinicalChange]] = {}
        for change in self.clinical:
            grouped.setdefault(change.section, []).append(change)
        return list(grouped.items())


def _count_words(text: str) -> int:
    return len(_WORD.findall(text))


def summarise(diff: ContentDiff, clinical: list[ClinicalChange]) -> ReviewSummary:
    summary = ReviewSummary(
        sections=diff.changed_sections,
        fields=[f.label for f in diff.changed_fields],
        clinical=list(clinical),
        first_publication=diff.first_publication,
    )
    for section in diff.changed_sections:
        old = section.old.body if section.old else ""
        new = section.new.body if section.new else ""
        if section.status == "added":
            summary.words_added += _count_words(new)
        elif section.status == "removed":
            summary.words_removed += _count_words(old)
        else:
            for removed, added, _same in _chunks(old, new):
                summary.words_removed += _count_words(removed)
                summary.words_added += _count_words(added)
    return summary

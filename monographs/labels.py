"""Official drug labels (openFDA drug label JSON) turned into monograph content.

A label file is what the openFDA drug label endpoint serves: ``{"meta": …, "results":
[label]}`` (a bare label object is accepted too). ``read_label`` checks it and keeps what a
monograph can use; ``label_content`` maps it onto the monograph's sections:

==========================  =============================================================
Monograph section           Label fields
==========================  =============================================================
names                       ``openfda.generic_name`` (title), ``openfda.brand_name`` (other names)
Usage                       ``indications_and_usage``
Dosage                      ``dosage_and_administration`` (its ``*_table`` as Markdown tables)
Side Effects                ``boxed_warning`` (first, as the serious side-effects block),
                            ``adverse_reactions``
How it Works                ``mechanism_of_action``
Precautions                 ``warnings_and_cautions`` / ``warnings`` / ``precautions``,
                            ``contraindications``
References                  the label itself (set id, version, effective date)
==========================  =============================================================

The text is cleaned, never rewritten: the label's own section numbers and headings
("1 INDICATIONS AND USAGE", "12.1 Mechanism of Action"), its cross-references ("( 1.1 )",
"[see Warnings and Precautions (5.2)]") and invisible characters go; bullets become list
items, subsections become paragraphs, tables become Markdown tables. Editors then turn it
into plain language: the result is only ever a draft for review (``workflow.draft_from_label``).

``label_sections(label, tables=False)`` gives the cleaned text per label section for
``check_labels``, which compares two versions of a label (``compare``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

from .content import STANDARD_HEADINGS, MonographContent, Section

# Real labels are up to about 0.5 MB; anything far larger is not a label.
MAX_LABEL_BYTES = 5 * 1024 * 1024
LABEL_PUBLISHER = "U.S. Food and Drug Administration (openFDA drug label)"

# Label fields that feed each monograph section, in the order they are written.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "usage": ("indications_and_usage",),
    "dosage": ("dosage_and_administration",),
    "side_effects": ("boxed_warning", "adverse_reactions"),
    "how_it_works": ("mechanism_of_action",),
    "precautions": ("warnings_and_cautions", "warnings", "precautions", "contraindications"),
}
# Label fields whose tables are kept (as Markdown) in the draft.
TABLE_FIELDS = {"dosage_and_administration", "warnings_and_cautions", "adverse_reactions"}
# The label's own heading of each field (stripped from the text).
FIELD_TITLES: dict[str, str] = {
    "indications_and_usage": r"indications\s*(?:and|&)\s*usage",
    "dosage_and_administration": r"dosage\s*(?:and|&)\s*administration",
    "adverse_reactions": r"adverse\s+reactions",
    "mechanism_of_action": r"mechanism\s+of\s+action",
    "warnings_and_cautions": r"warnings\s*(?:and|&)\s*precautions",
    "warnings": r"warnings",
    "precautions": r"precautions",
    "contraindications": r"contraindications",
    "boxed_warning": r"(?:boxed\s+)?warnings?",
}
# Sub-headings inside Precautions when several fields are combined.
FIELD_LABELS: dict[str, str] = {
    "warnings_and_cautions": "Warnings and precautions",
    "warnings": "Warnings",
    "precautions": "Precautions",
    "contraindications": "Do not use it if (contraindications)",
    "boxed_warning": "Serious side effects (boxed warning)",
    "adverse_reactions": "Side effects reported",
}
USABLE_FIELDS = tuple(name for names in SECTION_FIELDS.values() for name in names)


class LabelError(Exception):
    """A file that is not a usable drug label; ``str()`` is one line fit to show."""


@dataclass
class Label:
    set_id: str
    version: str
    effective_date: date | None
    generic_name: str
    brand_names: list[str]
    fields: dict[str, list[str]]  # label section -> its strings
    tables: dict[str, list[str]] = field(default_factory=dict)  # label section -> HTML tables

    @property
    def version_key(self) -> tuple[int, str]:
        """Sortable version: openFDA versions are whole numbers."""
        return (int(self.version) if self.version.isdigit() else -1, self.version)

    @property
    def url(self) -> str:
        return f"https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid={self.set_id}"

    def describe(self) -> str:
        when = f", effective {self.effective_date:%d %B %Y}" if self.effective_date else ""
        return f"label version {self.version}{when}"


# --- reading -----------------------------------------------------------------------------


def read_label(data: bytes, *, name: str = "the file") -> Label:
    """Check and read one openFDA label file's bytes; ``LabelError`` when it is not one."""
    if len(data) > MAX_LABEL_BYTES:
        raise LabelError(
            f"{name} is {len(data) / 1024 / 1024:.1f} MB; a drug label is at most "
            f"{MAX_LABEL_BYTES // 1024 // 1024} MB."
        )
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise LabelError(f"{name} is not UTF-8 text (byte {error.start}).") from None
    except json.JSONDecodeError as error:
        raise LabelError(
            f"{name} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None
    label = document
    if isinstance(document, dict) and "results" in document:
        results = document["results"]
        if not isinstance(results, list) or len(results) != 1:
            count = len(results) if isinstance(results, list) else "no"
            raise LabelError(f"{name} holds {count} labels; give one label per file.")
        label = results[0]
    if not isinstance(label, dict) or not isinstance(label.get("openfda", {}), dict):
        raise LabelError(f"{name} is JSON but not an openFDA drug label.")
    set_id = _text(label.get("set_id"))
    if not set_id or not re.fullmatch(r"[0-9A-Za-z-]{8,64}", set_id):
        raise LabelError(f"{name} is JSON but not an openFDA drug label (no set_id).")
    openfda = label.get("openfda") or {}
    generic = _first(openfda.get("generic_name")) or _first(openfda.get("substance_name"))
    if not generic:
        raise LabelError(f"{name}: the label has no generic name (openfda.generic_name).")
    fields: dict[str, list[str]] = {}
    tables: dict[str, list[str]] = {}
    for key in USABLE_FIELDS:
        texts = [t for t in _strings(label.get(key)) if t.strip()]
        if texts:
            fields[key] = texts
        found = [t for t in _strings(label.get(f"{key}_table")) if t.strip()]
        if found:
            tables[key] = found
    if not fields:
        raise LabelError(
            f"{name}: the label has none of the sections a monograph uses "
            "(indications, dosage, adverse reactions, mechanism, warnings, contraindications)."
        )
    brands: list[str] = []
    for brand in _strings(openfda.get("brand_name")):
        brand = _name(brand)
        folded = {b.casefold() for b in brands} | {_name(generic).casefold()}
        if brand and brand.casefold() not in folded:
            brands.append(brand)
    return Label(
        set_id=set_id,
        version=_text(label.get("version")) or "0",
        effective_date=_date(_text(label.get("effective_time"))),
        generic_name=_name(generic),
        brand_names=brands,
        fields=fields,
        tables=tables,
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _first(value: Any) -> str:
    found = _strings(value)
    return found[0].strip() if found else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: str) -> date | None:
    if re.fullmatch(r"\d{8}", value):
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


def _name(value: str) -> str:
    """A name as a reader writes it: "ESOMEPRAZOLE MAGNESIUM" -> "Esomeprazole magnesium",
    "NATPARA (parathyroid hormone)" -> "Natpara (parathyroid hormone)"; mixed case is kept."""
    text = " ".join(_clean_characters(value).split())[:200]
    words = text.split(" ")
    if text.isupper():
        return text[:1] + text[1:].lower()
    return " ".join(w[:1] + w[1:].lower() if w.isupper() and len(w) > 3 else w for w in words)


# --- cleaning ------------------------------------------------------------------------------

_CROSS_REF = re.compile(r"\(\s*\d{1,2}(?:\.\d{1,2})*(?:\s*,\s*\d{1,2}(?:\.\d{1,2})*)*\s*\)")
_SEE_REF = re.compile(r"\[\s*see\b[^\[\]]{0,300}\]\s*\.?", re.IGNORECASE)
_BULLET = re.compile(r"\s*[•●▪◦]\s*")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _clean_characters(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs", "Cn"}
    )


def _strip_heading(text: str, label_field: str) -> tuple[str, str]:
    """The text without the label's own "N TITLE" heading, and N ("" when unnumbered)."""
    title = FIELD_TITLES.get(label_field, "")
    match = re.match(
        rf"\s*(?P<number>\d{{1,2}}(?:\.\d{{1,2}})?)?\s*(?:{title})\b\s*:?\s*",
        text,
        re.IGNORECASE,
    )
    if match and title:
        return text[match.end() :], (match["number"] or "").split(".")[0]
    match = re.match(r"\s*(?P<number>\d{1,2})\s+(?=[A-Z])", text)
    return (text[match.end() :], match["number"]) if match else (text, "")


def _boxed_title(text: str) -> tuple[str, str]:
    """A boxed warning's capitalised title ("WARNING: RISK OF …") and the rest."""
    words = text.split(" ")
    end = 0
    while end < len(words) and words[end] and not any(c.islower() for c in words[end]):
        end += 1
    if 0 < end < len(words) and words[end][:1].islower():
        end -= 1  # "NEXIUM is …": the last capitalised word starts the sentence
    title = " ".join(words[:end]).strip(" :")
    if len(title) < 8 or not any(c.isalpha() for c in title):
        return "", text
    return _name(title), " ".join(words[end:])


def clean_text(text: str, label_field: str) -> str:
    """One label field's text as Markdown paragraphs and lists (words unchanged)."""
    text = " ".join(_clean_characters(text).split())
    text, number = _strip_heading(text, label_field)
    title = ""
    if label_field == "boxed_warning":
        title, text = _boxed_title(text)
    text = _SEE_REF.sub("", text)
    text = _CROSS_REF.sub("", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # Subsections ("2.1 Recommended Dosage …") start a paragraph of their own.
    if number:
        text = re.sub(rf"\s+{number}\.\d{{1,2}}\s+(?=[A-Z])", "\n\n", " " + text)
    paragraphs: list[str] = []
    for paragraph in text.split("\n\n"):
        pieces = _BULLET.split(paragraph)
        lead, items = pieces[0].strip(), [p.strip() for p in pieces[1:] if p.strip()]
        block = []
        if lead:
            block.append(_tidy(lead))
        if items:
            block.append("\n".join(f"* {_tidy(item)}" for item in items))
        if block:
            paragraphs.append("\n\n".join(block))
    body = "\n\n".join(paragraphs)
    # A paragraph starting "1. Take …" or "- 5 mg" would become a list of its own.
    body = re.sub(r"(?m)^(\d+)\. ", r"\1\\. ", body)
    body = re.sub(r"(?m)^([+-]) ", r"\\\1 ", body)
    if title:
        body = f"**{title}.** {body}".strip()
    return body


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    text = re.sub(r"([.,;:])\1+", r"\1", text)
    return " ".join(text.split())


# --- tables ------------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Rows of cell texts from one SPL table (``<footnote>`` texts listed below it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, int, int]]] = []
        self.caption: list[str] = []
        self.footnotes: list[str] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._in_caption = False
        self._footnote: list[str] | None = None
        self._footnote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self._span = (_int(attributes.get("colspan")), _int(attributes.get("rowspan")))
        elif tag == "caption":
            self._in_caption = True
        elif tag == "footnote":
            self._footnote_depth += 1
            if self._footnote is None:
                self._footnote = []
        elif tag in ("br", "paragraph", "p", "item", "list") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            if not self.rows:
                self.rows.append([])
            text = " ".join("".join(self._cell).split())
            self.rows[-1].append((text, *self._span))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False
        elif tag == "footnote" and self._footnote_depth:
            self._footnote_depth -= 1
            if not self._footnote_depth and self._footnote is not None:
                note = " ".join("".join(self._footnote).split())
                if note:
                    self.footnotes.append(note)
                    if self._cell is not None:
                        self._cell.append(f" [{len(self.footnotes)}]")
                self._footnote = None

    def handle_data(self, data: str) -> None:
        if self._footnote is not None:
            self._footnote.append(data)
        elif self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.caption.append(data)


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


def table_markdown(html: str) -> str:
    """One SPL HTML table as a Markdown table (caption in bold above, footnotes below)."""
    parser = _TableParser()
    parser.feed(_clean_characters(html))
    parser.close()
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) filled by a rowspan above
    for r, row in enumerate(parser.rows):
        cells: list[str] = []
        column = 0
        for text, colspan, rowspan in row:
            while (r, column) in pending:
                cells.append(pending.pop((r, column)))
                column += 1
            for offset in range(colspan):
                cells.append(text if offset == 0 else "")
                for below in range(1, rowspan):
                    pending[(r + below, column)] = ""
                column += 1
        while (r, column) in pending:
            cells.append(pending.pop((r, column)))
            column += 1
        if any(cell.strip() for cell in cells):
            grid.append(cells)
    if not grid:
        return ""
    width = max(len(row) for row in grid)
    lines = []
    for index, row in enumerate(grid):
        cells = [_cell(text) for text in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if index == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    parts = []
    caption = " ".join("".join(parser.caption).split())
    if caption:
        parts.append(f"**{_cell(caption)}**")
    parts.append("\n".join(lines))
    if parser.footnotes:
        parts.append("\n".join(f"{n}. {_cell(note)}" for n, note in enumerate(parser.footnotes, 1)))
    return "\n\n".join(parts)


def _cell(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split())) or " "


# --- mapping -------------------------------------------------------------------------------


def label_sections(label: Label, *, tables: bool = True) -> dict[str, str]:
    """Each usable label field as cleaned Markdown, its tables as Markdown tables.

    openFDA flattens each table into the section's text as well; where that flattened run
    is found, the table takes its place, otherwise the table follows the text. Without
    ``tables`` the flattened text stays as it is: what ``compare`` reads, because it holds
    every word of the tables too and stays aligned between two versions of a label even
    when one version's tables do not match its text.
    """
    sections: dict[str, str] = {}
    for label_field in USABLE_FIELDS:
        texts = label.fields.get(label_field, [])
        body = "\n\n".join(
            part for part in (clean_text(text, label_field) for text in texts) if part.strip()
        )
        if tables and label_field in TABLE_FIELDS:
            for table in label.tables.get(label_field, []):
                body = _place_table(body, table)
        if body.strip():
            sections[label_field] = body.strip()
    return sections


def _place_table(body: str, table_html: str) -> str:
    markdown = table_markdown(table_html)
    if not markdown:
        return body
    flat = clean_text(_TextOnly.text(table_html), "").replace("\n", " ").strip(" *")
    if len(flat) >= 20:
        start = body.replace("\n", " ").find(flat)
        if start >= 0:
            before, after = body[:start].rstrip(" *"), body[start + len(flat) :].lstrip(" .")
            return f"{before.rstrip()}\n\n{markdown}\n\n{after}".strip()
    return f"{body}\n\n{markdown}".strip()


class _TextOnly(HTMLParser):
    """Every text node of a fragment, as openFDA joins them when it flattens a table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @classmethod
    def text(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return " ".join(" ".join(parser.parts).split())


def label_content(
    label: Label, *, base: MonographContent | None = None, max_section_chars: int = 100_000
) -> MonographContent:
    """The label as monograph content; with ``base`` (the monograph's latest content), its
    other sections, FAQs, names and disclaimer are kept and the label's sections replace
    theirs."""
    from .references import Reference, add_reference

    cleaned = label_sections(label)
    label_sections_out: dict[str, Section] = {}
    for key, label_fields in SECTION_FIELDS.items():
        present = [name for name in label_fields if name in cleaned]
        if not present:
            continue
        if len(present) == 1 and key != "side_effects":
            body = cleaned[present[0]]
        else:
            body = "\n\n".join(
                f"**{FIELD_LABELS[name]}:** " + cleaned[name]
                if name == "boxed_warning"
                else f"#### {FIELD_LABELS[name]}\n\n{cleaned[name]}"
                for name in present
            )
        label_sections_out[key] = Section(
            key=key, heading=STANDARD_HEADINGS[key], body=_fit(body, max_section_chars)
        )
    reference = Reference(
        title=f"{label.generic_name} drug label ({label.describe()}, set id {label.set_id})",
        url=label.url,
        publisher=LABEL_PUBLISHER,
        date=label.effective_date.isoformat() if label.effective_date else "",
        date_kind="published" if label.effective_date else "",
    )
    if base is None:
        sections = list(label_sections_out.values())
        names = list(label.brand_names)
        title, generic, disclaimer, layout = label.generic_name, label.generic_name, "", ""
    else:
        sections = []
        for section in base.sections:
            replacement = label_sections_out.pop(section.key, None)
            sections.append(replacement or section)
        # Label sections the monograph did not have yet go before its FAQs and references.
        tail = [s for s in sections if s.key in ("faqs", "references")]
        sections = [s for s in sections if s not in tail] + list(label_sections_out.values())
        sections += tail
        known = {n.casefold() for n in base.other_names} | {base.title.casefold()}
        names = list(base.other_names) + [b for b in label.brand_names if b.casefold() not in known]
        title, generic = base.title, base.generic_name or label.generic_name
        disclaimer, layout = base.disclaimer, base.layout
    sections = add_reference(sections, reference)
    return MonographContent(
        title=title,
        generic_name=generic,
        other_names=names,
        sections=sections,
        disclaimer=disclaimer,
        layout=layout,
    )


def _fit(body: str, limit: int) -> str:
    """A section within the size limit: tables go first, then whole paragraphs from the end
    (each cut says so), so the draft can be saved; editors shorten it anyway."""
    if len(body) <= limit:
        return body
    note = "_Part of the label text was left out here (too long for one section); see the label._"
    blocks = body.split("\n\n")
    kept = [b for b in blocks if not b.lstrip().startswith(("|", "**Table"))]
    while kept and len("\n\n".join(kept)) + len(note) + 2 > limit:
        kept.pop()
    return "\n\n".join([*kept, note])


# --- comparing two versions of a label -----------------------------------------------------

FIELD_NAMES: dict[str, str] = {
    "indications_and_usage": "Indications and usage",
    "dosage_and_administration": "Dosage and administration",
    "boxed_warning": "Boxed warning",
    "adverse_reactions": "Adverse reactions",
    "mechanism_of_action": "Mechanism of action",
    "warnings_and_cautions": "Warnings and precautions",
    "warnings": "Warnings",
    "precautions": "Precautions",
    "contraindications": "Contraindications",
}
# Label fields that are warnings or contraindications as a whole (a new one is news).
_WARNING_FIELDS = {"boxed_warning", "warnings_and_cautions", "warnings", "contraindications"}


def version_key(version: str) -> tuple[int, str]:
    """Sortable label version ("" sorts before every real one)."""
    version = (version or "").strip()
    return (int(version) if version.isdigit() else -1, version)


def _plain(markdown: str) -> str:
    """The Markdown labels.py wrote, without its escapes (line breaks kept: the clinical
    comparison reads table rows and list items one by one)."""
    return re.sub(r"\\([\\`*_\[\]<>#])", r"\1", markdown)


def compare(before: dict[str, str], after: dict[str, str]) -> list[dict[str, Any]]:
    """Which label sections differ between two versions, with their clinically relevant
    differences (doses and other numbers with units, new or removed warnings and
    contraindications), in the label's order."""
    from .clinical import compare_texts

    out: list[dict[str, Any]] = []
    for label_field in USABLE_FIELDS:
        old, new = before.get(label_field, ""), after.get(label_field, "")
        if " ".join(old.split()) == " ".join(new.split()):
            continue
        name = FIELD_NAMES.get(label_field, label_field)
        items: list[dict[str, Any]] = []
        seen: dict[str, dict[str, Any]] = {}
        for change in compare_texts(_plain(old), _plain(new), section=name, key=label_field):
            text = str(change)
            if text in seen:  # the same change in several places: once, with a count
                seen[text]["count"] += 1
                seen[text]["text"] = f"{text} (in {seen[text]['count']} places)"
                continue
            seen[text] = {**change.as_dict(), "text": text, "count": 1}
            items.append(seen[text])
        if label_field in _WARNING_FIELDS and not old.strip():
            items.insert(
                0, {"section": name, "kind": "warning", "change": "added", "text": f"{name} added"}
            )
        out.append(
            {
                "field": label_field,
                "name": name,
                "added": not old.strip(),
                "removed": not new.strip(),
                "clinical": items,
            }
        )
    return out


def read_label_file(path: Any, *, name: str | None = None) -> Label:
    """``read_label`` for a file on disk: a folder, a pipe or an oversized file is refused
    before anything is read."""
    from pathlib import Path

    path = Path(path)
    shown = name or str(path)
    try:
        if not path.is_file():
            raise LabelError(f"{shown}: not a regular file")
        size = path.stat().st_size
        if size > MAX_LABEL_BYTES:
            raise LabelError(
                f"{shown} is {size / 1024 / 1024:.1f} MB; a drug label is at most "
                f"{MAX_LABEL_BYTES // 1024 // 1024} MB."
            )
        data = path.read_bytes()
    except OSError as error:
        raise LabelError(f"{shown}: cannot read the file ({error.strerror or error})") from None
    return read_label(data, name=shown)

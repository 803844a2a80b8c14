"""The content of one monograph revision, as plain data.

A revision stores this as a JSON snapshot (``Revision.content``). The seed-format parser
(`sourcefile.py`), the admin edit form, the diff and the public pages all speak this one
vocabulary:

    {
      "title": "Naltrexone",
      "generic_name": "Naltrexone",
      "other_names": ["Revia", "Vivitrol"],
      "layout": "minimal-medicine",            # front-matter layout, kept for export
      "sections": [                             # in the order of the source
        {"key": "usage", "heading": "Usage", "body": "<markdown>"},
        {"key": "faqs", "heading": "FAQs", "body": "<markdown>",
         "faqs": [{"question": "...", "answer": "..."}]},   # derived from body, FAQ section only
        {"key": "interactions", "heading": "Interactions", "body": "<markdown>"},
        {"key": "references", "heading": "References", "body": "<markdown list>",
         "references": [{"title": "...", "url": "https://...", "publisher": "...",
                         "date": "2023-01-26", "date_kind": "published"}]},  # derived
      ],
      "disclaimer": "<markdown>",               # the monograph's own disclaimer, may be ""
    }
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify

# Standard section keys, in the order a new monograph offers them.
STANDARD_SECTIONS: list[tuple[str, str]] = [
    ("usage", "Usage"),
    ("dosage", "Dosage"),
    ("side_effects", "Side Effects"),
    ("how_it_works", "How it Works"),
    ("precautions", "Precautions"),
    ("faqs", "FAQs"),
]
# Keys with a meaning of their own that a new monograph does not offer as an empty section:
# its sources, added with the heading "References" (see references.py).
SPECIAL_KEYS = {"references"}
STANDARD_KEYS = {key for key, _ in STANDARD_SECTIONS} | SPECIAL_KEYS
# Ids on the public page that are not sections; a section's id is its key.
PAGE_IDS = {"main", "disclaimer"}
STANDARD_HEADINGS = dict(STANDARD_SECTIONS)

# Headings (lower-cased, punctuation dropped) that mean a standard section.
_HEADING_ALIASES = {
    "usage": "usage",
    "uses": "usage",
    "use": "usage",
    "what it is used for": "usage",
    "indications": "usage",
    "dosage": "dosage",
    "dose": "dosage",
    "doses": "dosage",
    "dosing": "dosage",
    "dosage and administration": "dosage",
    "side effects": "side_effects",
    "side effect": "side_effects",
    "adverse effects": "side_effects",
    "how it works": "how_it_works",
    "mechanism of action": "how_it_works",
    "mechanism": "how_it_works",
    "precautions": "precautions",
    "warnings and precautions": "precautions",
    "faqs": "faqs",
    "faq": "faqs",
    "frequently asked questions": "faqs",
    # Wordings found in real leaflets and monographs (NHS, BNF, FDA labels).
    "what is it used for": "usage",
    "what its used for": "usage",
    "indications and usage": "usage",
    "how to take it": "dosage",
    "dose and administration": "dosage",
    "dosage and how to take it": "dosage",
    "possible side effects": "side_effects",
    "side effects and risks": "side_effects",
    "how does it work": "how_it_works",
    "warnings": "precautions",
    "precautions and warnings": "precautions",
    "cautions": "precautions",
    "questions and answers": "faqs",
    "common questions": "faqs",
    "q and a": "faqs",
    # The monograph's sources (see references.py): shown on the page as "Sources".
    "references": "references",
    "reference": "references",
    "sources": "references",
    "source": "references",
    "bibliography": "references",
}
_NUMBERING = re.compile(r"^(?:\d{1,2}|[a-z])[.)]\s+")
_PARENTHESES = re.compile(r"\([^()]*\)")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")


def normalise_heading(heading: str) -> str:
    text = unicodedata.normalize("NFKC", heading).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def standard_key(heading: str) -> str | None:
    """The standard section a heading names, however it is worded, or None.

    "FAQ's", "Frequently Asked Questions (FAQs)", "Dosage & Administration", "2. Side
    effects" and "Possible side effects" are the standard sections they look like: only a
    FAQs section gets its questions and answers read, and only Side Effects its warning.
    """
    text = unicodedata.normalize("NFKC", heading).lower().strip()
    text = _NUMBERING.sub("", text)
    text = _APOSTROPHE.sub("", text).replace("&", " and ")
    for candidate in (text, _PARENTHESES.sub(" ", text)):
        key = _HEADING_ALIASES.get(normalise_heading(candidate))
        if key is not None:
            return key
    return None


def section_key(heading: str, taken: set[str] | None = None) -> str:
    """The key of a section heading: a standard key, or a slug unique within ``taken``."""
    taken = taken or set()
    key = standard_key(heading)
    if key is None:
        key = slugify(heading).replace("-", "_") or "section"
        # A slug equal to a standard key ("FAQs!" spelt oddly) or to an id the public page
        # itself uses (its <main id="main">, the disclaimer block) would collide with it.
        if key in STANDARD_KEYS or key in PAGE_IDS:
            key = f"extra_{key}"
    base, n = key, 2
    while key in taken:
        key = f"{base}_{n}"
        n += 1
    return key


# "* **Q: question?** A: answer" (the seed's form); "**A:**" may be bold too.
_FAQ_ITEM = re.compile(
    r"^\s*(?:[*+-]|\d{1,9}\.)\s+\*\*\s*Q\s*:\s*(?P<q>.+?)\s*\*\*"
    r"\s*(?:\*\*\s*A\s*:\s*\*\*|A\s*:)?\s*(?P<a>.*)$",
    re.IGNORECASE,
)
# "* **Q:** question? **A:** answer": only the labels are bold.
_FAQ_ITEM_LABELS = re.compile(
    r"^\s*(?:[*+-]|\d{1,9}\.)\s+\*\*\s*Q\s*:\s*\*\*\s*(?P<q>.+?)"
    r"\s*(?:(?:\*\*\s*A\s*:\s*\*\*|\bA\s*:)\s*(?P<a>.*))?$",
    re.IGNORECASE,
)
# An answer that starts on the line after its question still has its label.
_ANSWER_LABEL = re.compile(r"^(?:\*\*\s*A\s*:\s*\*\*|A\s*:)\s*", re.IGNORECASE)


@dataclass
class FAQ:
    question: str
    answer: str


def parse_faqs(body: str) -> list[FAQ]:
    """Question/answer pairs from a FAQ section written as ``* **Q: ...?** A: ...`` items.

    An item's continuation lines (indented, or hard-wrapped right under it) belong to its
    answer. Text that is not such an item is ignored here; it stays in the section body
    and is still shown.
    """
    return [faq for faq, _lines in faq_items(body)]


# A line that starts a Markdown block of its own rather than continuing a paragraph.
_BLOCK_START = re.compile(r"^\s*(?:[*+-]\s|\d{1,9}[.)]\s|#|>|\||```|~~~)")


def faq_items(body: str) -> list[tuple[FAQ, list[int]]]:
    """Each FAQ item with the (0-based) numbers of the body lines it is made of.

    The page shows the rest of the section as it is, so what is not in an item here must
    be exactly what is left: a line is either part of a question and answer, or shown.
    """
    items: list[tuple[FAQ, list[int]]] = []
    current: FAQ | None = None
    previous_blank = True
    for number, line in enumerate(body.splitlines()):
        match = _FAQ_ITEM_LABELS.match(line) or _FAQ_ITEM.match(line)
        continues = (
            current is not None
            and bool(line.strip())
            and (
                line.startswith((" ", "\t"))
                # A hard-wrapped answer: Markdown's lazy continuation of the item's paragraph.
                or (not previous_blank and not _BLOCK_START.match(line))
            )
        )
        if match:
            current = FAQ(question=match["q"].strip(), answer=(match["a"] or "").strip())
            items.append((current, [number]))
        elif continues and current is not None:
            text = line.strip() if current.answer else _ANSWER_LABEL.sub("", line.strip())
            current.answer = f"{current.answer} {text}".strip()
            items[-1][1].append(number)
        elif line.strip():
            current = None
        previous_blank = not line.strip()
    return items


@dataclass
class Section:
    key: str
    heading: str
    body: str

    @property
    def is_standard(self) -> bool:
        return self.key in STANDARD_KEYS

    @property
    def faqs(self) -> list[FAQ]:
        return parse_faqs(self.body) if self.key == "faqs" else []

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "heading": self.heading, "body": self.body}
        if self.key == "faqs":
            data["faqs"] = [{"question": f.question, "answer": f.answer} for f in self.faqs]
        elif self.key == "references":
            from .references import parse

            data["references"] = [reference.as_dict() for reference in parse(self.body)]
        return data


@dataclass
class MonographContent:
    title: str
    generic_name: str = ""
    other_names: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    disclaimer: str = ""
    layout: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generic_name": self.generic_name,
            "other_names": list(self.other_names),
            "layout": self.layout,
            "sections": [s.as_dict() for s in self.sections],
            "disclaimer": self.disclaimer,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonographContent:
        return cls(
            title=data.get("title", ""),
            generic_name=data.get("generic_name", ""),
            other_names=list(data.get("other_names", [])),
            layout=data.get("layout", ""),
            sections=[
                Section(key=s["key"], heading=s["heading"], body=s.get("body", ""))
                for s in data.get("sections", [])
            ],
            disclaimer=data.get("disclaimer", ""),
        )

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def faqs(self) -> list[FAQ]:
        section = self.section("faqs")
        return section.faqs if section else []

    def hash(self) -> str:
        return content_hash(self.as_dict())


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a content dict: equal content, equal hash."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()

"""A monograph's sources: the ``References`` section, read as a list of references.

The section is ordinary content (a ``### References`` section in the file format, a
section in the edit form, kept in revisions, diffed and reviewed like any other), written
as one list item per source::

    * [Naltrexone tablets label](https://dailymed.nlm.nih.gov/…); FDA; published 2023-01-26
    * [Opioid use disorder](https://www.nice.org.uk/…); NICE; accessed 2026-11-30
    * Goodman & Gilman's The Pharmacological Basis of Therapeutics; McGraw Hill; published 2023

The title comes first, as a link when the source is online; then, separated by ``;``, the
publisher or author and the date, ``published`` or ``accessed`` followed by ``YYYY``,
``YYYY-MM`` or ``YYYY-MM-DD``. A reference URL is http(s) only. ``parse`` reads the
list (``Section.as_dict`` stores it with the section, the public page shows it under
"Sources" and the JSON-LD carries it as ``citation``); ``problems`` says what in the
section cannot be read, so the workflow refuses it with a message per line.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.utils.html import escape

from .content import Section

KEY = "references"
HEADING = "References"  # in the file format and the edit form
PUBLIC_HEADING = "Sources"

_ITEM = re.compile(r"^\s{0,3}[*+-]\s+(?P<text>.*)$")
_LINKED = re.compile(
    r"^\[(?P<title>(?:[^\[\]\\]|\\.)+)\]\(\s*<?(?P<url>(?:[^()<>\s]|\([^()<>\s]*\))+)>?\s*\)\s*"
)
_DATE = re.compile(
    r"^(?P<kind>published|accessed|updated|retrieved)(?:\s+on)?\s*:?\s+"
    r"(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)\.?$",
    re.IGNORECASE,
)
_KIND = {"published": "published", "updated": "published", "accessed": "accessed"}
_KIND["retrieved"] = "accessed"


@dataclass(frozen=True)
class Reference:
    title: str
    url: str = ""
    publisher: str = ""
    date: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD
    date_kind: str = ""  # "published" or "accessed"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def as_markdown(self) -> str:
        title = self.title.replace("[", "\\[").replace("]", "\\]")
        parts = [f"[{title}]({self.url})" if self.url else title]
        if self.publisher:
            parts.append(self.publisher)
        if self.date:
            parts.append(f"{self.date_kind or 'published'} {self.date}")
        return "* " + "; ".join(parts)


def _items(body: str) -> list[tuple[int, str]]:
    """(line number, text) of each list item; indented lines continue the item above."""
    items: list[tuple[int, str]] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        match = _ITEM.match(line)
        if match:
            items.append((number, match["text"].strip()))
        elif items and line[:1] in (" ", "\t"):
            items[-1] = (items[-1][0], f"{items[-1][1]} {line.strip()}")
        else:
            items.append((number, "\0" + line.strip()))
    return items


def _read(number: int, text: str) -> tuple[Reference | None, str]:
    if text.startswith("\0"):
        return None, f"line {number} is not a list item: start each reference with “* ”"
    url, title, rest = "", text, ""
    linked = _LINKED.match(text)
    if linked:
        title, url = linked["title"].replace("\\[", "[").replace("\\]", "]"), linked["url"]
        rest = text[linked.end() :].lstrip(" ;.,")
    elif text.startswith("["):
        return None, f"line {number}: write a linked title as [title](https://…)"
    elif ";" in text:
        title, rest = (part.strip() for part in text.split(";", 1))
    title = title.strip()
    if not title:
        return None, f"line {number}: a reference needs a title"
    if url:
        problem = url_problem(url)
        if problem:
            return None, f"line {number}: {problem}"
    publisher, when, kind = "", "", ""
    for part in (p.strip() for p in rest.split(";") if p.strip()):
        found = _DATE.match(part)
        if found:
            if when:
                return None, f"line {number}: a reference has one date"
            when, kind = found["date"], _KIND[found["kind"].lower()]
            if not _valid_date(when):
                return None, f"line {number}: “{when}” is not a date (YYYY-MM-DD)"
        elif re.match(r"^(published|accessed|updated|retrieved)\b", part, re.IGNORECASE):
            return None, f"line {number}: write the date as “{part.split()[0].lower()} YYYY-MM-DD”"
        elif publisher:
            return None, (
                f"line {number}: after the title, give the publisher or author, then the "
                "date, separated by “;”"
            )
        else:
            publisher = part
    return Reference(title, url, publisher, when, kind), ""


def url_problem(url: str) -> str:
    """Why a reference URL is refused ("" when it is fine): absolute http(s) only."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"“{url[:80]}” is not a web address"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return f"a reference link must start with http:// or https:// (not “{url[:80]}”)"
    return ""


def _valid_date(value: str) -> bool:
    pieces = [int(p) for p in value.split("-")]
    try:
        date(pieces[0], pieces[1] if len(pieces) > 1 else 1, pieces[2] if len(pieces) > 2 else 1)
    except ValueError:
        return False
    return 1800 <= pieces[0] <= 2200


def parse(body: str) -> list[Reference]:
    """The references a References section lists (items that cannot be read are skipped;
    ``problems`` names them)."""
    found = [_read(number, text)[0] for number, text in _items(body)]
    return [reference for reference in found if reference is not None]


def problems(body: str) -> list[str]:
    """What in a References section cannot be read as a reference, one message per line."""
    return [problem for number, text in _items(body) if (problem := _read(number, text)[1])]


def is_references_heading(heading: str) -> bool:
    """Whether a heading names the sources ("References", "Sources", "Bibliography")."""
    from .content import standard_key

    return standard_key(heading) == KEY


def section_references(section: Section) -> list[Reference]:
    return parse(section.body) if section.key == KEY else []


def add_reference(sections: list[Section], reference: Reference) -> list[Section]:
    """``sections`` with ``reference`` in its References section (created at the end when
    missing); a reference with the same URL is replaced, so a newer label version does not
    leave the older one listed."""
    line = reference.as_markdown()
    out = list(sections)
    for index, section in enumerate(out):
        if section.key != KEY:
            continue
        lines, replaced = [], False
        for number, text in _items(section.body):
            current, _ = _read(number, text)
            if reference.url and current is not None and current.url == reference.url:
                if not replaced:
                    lines.append(line)
                replaced = True
            else:
                lines.append(section.body.splitlines()[number - 1])
        if not replaced:
            lines.append(line)
        out[index] = Section(key=KEY, heading=section.heading, body="\n".join(lines))
        return out
    out.append(Section(key=KEY, heading=HEADING, body=line))
    return out


# --- output --------------------------------------------------------------------------------


def _human_date(value: str) -> str:
    pieces = [int(p) for p in value.split("-")]
    if len(pieces) == 3:
        return date(*pieces).strftime("%-d %B %Y")
    if len(pieces) == 2:
        return date(pieces[0], pieces[1], 1).strftime("%B %Y")
    return str(pieces[0])


def html(references: list[Reference]) -> str:
    """The public list of sources (everything escaped; links only to http(s))."""
    items = []
    for ref in references:
        title = escape(ref.title)
        if ref.url and not url_problem(ref.url):
            title = f'<a href="{escape(ref.url)}" rel="external noopener">{title}</a>'
        parts = [f"<cite>{title}</cite>"]
        if ref.publisher:
            parts.append(escape(ref.publisher))
        text = ". ".join(parts) + "."
        if ref.date:
            label = "Accessed" if ref.date_kind == "accessed" else "Published"
            text += f" {label} {_human_date(ref.date)}."
        items.append(f"<li>{text}</li>")
    return '<ol class="sources">\n' + "\n".join(items) + "\n</ol>" if items else ""


def citations(references: list[Reference]) -> list[dict[str, Any]]:
    """schema.org ``citation`` items for the JSON-LD."""
    out = []
    for ref in references:
        item: dict[str, Any] = {"@type": "CreativeWork", "name": ref.title}
        if ref.url:
            item["url"] = ref.url
        if ref.publisher:
            item["publisher"] = {"@type": "Organization", "name": ref.publisher}
        if ref.date and ref.date_kind != "accessed":  # schema.org has no "date accessed"
            item["datePublished"] = ref.date
        out.append(item)
    return out

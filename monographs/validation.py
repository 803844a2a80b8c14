"""The one content validator: what a ``MonographContent`` must be before it is saved.

``problems(content)`` lists every problem with the field it belongs to. The workflow calls
it for every save, revert and import and is what refuses (``InvalidInput``); the admin's
edit form and the source-file reader call it only to place the same messages next to the
field or the file they belong to.

The rules:

- a title; names (title, generic name, other names, layout) and headings at most
  ``MAX_NAME_CHARS`` characters, one line of visible text (no control or invisible format
  characters: a NUL, a right-to-left override, a zero-width space; joiners are allowed,
  some scripts are spelt with them);
- every section has a heading and a key of its own, and no heading the monograph file
  reads as something else ("Disclaimer", "Generic name");
- a section body or the disclaimer at most ``MEDSITE_MAX_SECTION_CHARS`` characters
  (100,000 by default: a long monograph section is a few thousand);
- the References section lists readable references (one list item each, http(s) links
  only, see ``references.py``);
- bodies and the disclaimer hold nothing the monograph file cannot write back as it is:
  a ``###`` line outside code would start a new section, an unclosed code fence would
  swallow every section after it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.conf import settings

from . import references
from .content import MonographContent, normalise_heading

# The admin's fields and the database columns allow this many characters.
MAX_NAME_CHARS = 200
DEFAULT_MAX_SECTION_CHARS = 100_000

# Headings the file format reads as something else than a section (the disclaimer, the
# generic name line): a section called so would not come back from an export as a section.
_RESERVED_HEADINGS = {
    normalise_heading("Disclaimer"): "the Disclaimer box",
    normalise_heading("Generic Name"): "the Generic name field",
}

# Joiners (U+200C, U+200D) are part of how some scripts are spelt; other format characters
# (bidirectional overrides and isolates, zero-width spaces, soft hyphens) are invisible.
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}


@dataclass(frozen=True)
class Problem:
    """One problem: ``field`` is "title", "generic_name", "other_names", "layout",
    "disclaimer", "sections", or "section-<i>-heading" / "section-<i>-body" (``i`` the
    section's index in the content); ``message`` is one line starting in lower case."""

    field: str
    message: str

    @property
    def sentence(self) -> str:
        """The message as a sentence, for screens and workflow refusals."""
        return self.message[:1].upper() + self.message[1:] + "."

    def __str__(self) -> str:
        return self.message


def max_section_chars() -> int:
    return int(getattr(settings, "MEDSITE_MAX_SECTION_CHARS", DEFAULT_MAX_SECTION_CHARS))


def invisible_character(text: str) -> str | None:
    """The first control or invisible format character in a name, if any. Whitespace
    (a line break, a tab) is not one: names are read and shown single-spaced."""
    for char in text:
        category = unicodedata.category(char)
        if char.isspace():
            continue
        if category == "Cc" or (category == "Cf" and char not in _ALLOWED_FORMAT_CHARS):
            return char
    return None


def body_problems(body: str) -> list[str]:
    """What in a body (a section's, the disclaimer's) the monograph file could not write
    back as it is: a ``###`` line outside code, an unclosed code fence."""
    from .sourcefile import H3, fence_step, snippet

    found: list[str] = []
    fence: str | None = None
    fence_line = 0
    for number, line in enumerate(body.splitlines(), start=1):
        was_open = fence is not None
        fence, is_fence = fence_step(line, fence)
        if is_fence and not was_open:
            fence_line = number
        if not was_open and not is_fence and H3.match(line):
            found.append(
                f"line {number} ({snippet(line)}) would start a new section: use “Add a "
                f"section” for that, or #### for a sub-heading"
            )
    if fence is not None:
        found.append(f"line {fence_line}: the code block opened with {fence!r} is never closed")
    return found


def _name_problem(field: str, what: str, text: str) -> Problem | None:
    if len(text) > MAX_NAME_CHARS:
        if field in ("title", "generic_name"):
            return Problem(field, f"{what} is longer than {MAX_NAME_CHARS} characters")
        shown = what if len(what) < 60 else what[:40] + "…'"
        return Problem(
            field, f"{shown} is {len(text)} characters long; at most {MAX_NAME_CHARS} are allowed"
        )
    char = invisible_character(text)
    if char is not None:
        label = unicodedata.name(char, "a control character")
        return Problem(
            field,
            f"{what} contains an invisible character, U+{ord(char):04X} ({label}); remove it",
        )
    return None


def _size_problem(field: str, what: str, text: str) -> Problem | None:
    limit = max_section_chars()
    if len(text) > limit:
        return Problem(
            field,
            f"{what} is {len(text):,} characters long; at most {limit:,} are allowed in one "
            "section: shorten it or split it into sections",
        )
    return None


def problems(content: MonographContent) -> list[Problem]:
    """Every problem in ``content``, in the order of its fields."""
    found: list[Problem | None] = []
    if not content.title.strip():
        found.append(Problem("title", "a monograph needs a title"))
    found.append(_name_problem("title", "the title", content.title))
    found.append(_name_problem("generic_name", "the generic name", content.generic_name or ""))
    found += [
        _name_problem("other_names", f"the other name {name!r}", name)
        for name in content.other_names
    ]
    found.append(_name_problem("layout", "the layout", content.layout or ""))
    keys: set[str] = set()
    for i, section in enumerate(content.sections):
        if not section.key or not section.heading.strip():
            found.append(Problem(f"section-{i}-heading", "every section needs a heading"))
        else:
            field = f"section-{i}-heading"
            found.append(_name_problem(field, f"the heading {section.heading!r}", section.heading))
            use = _RESERVED_HEADINGS.get(normalise_heading(section.heading))
            if use:
                found.append(
                    Problem(
                        field,
                        f"a section cannot be called “{section.heading}”: the monograph file "
                        f"would read it as something else. Use {use} instead, or another heading",
                    )
                )
        # Sections are compared and linked by key, so a repeated key would hide one of them.
        if section.key and section.key in keys:
            found.append(
                Problem(f"section-{i}-heading", f'two sections have the same key "{section.key}"')
            )
        keys.add(section.key)
        name = f"“{section.heading}”"
        size = _size_problem(f"section-{i}-body", f"the section {name}", section.body)
        found.append(size)
        if size is None:
            found += [
                Problem(f"section-{i}-body", f"in {name}, {problem}")
                for problem in body_problems(section.body)
            ]
            if section.key != references.KEY and references.is_references_heading(section.heading):
                found.append(
                    Problem(
                        f"section-{i}-heading",
                        f"the monograph already has a References section: add the sources "
                        f"from “{section.heading}” to it",
                    )
                )
            if section.key == references.KEY:
                found += [
                    Problem(f"section-{i}-body", f"in {name}, {problem}")
                    for problem in references.problems(section.body)
                ]
    size = _size_problem("disclaimer", "the disclaimer", content.disclaimer or "")
    found.append(size)
    if size is None:
        found += [
            Problem("disclaimer", f"in the disclaimer, {problem}")
            for problem in body_problems(content.disclaimer or "")
        ]
    return [problem for problem in found if problem is not None]

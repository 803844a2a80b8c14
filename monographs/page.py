"""The public page of one revision, in parts.

``build_parts(content, disclaimer_text)`` is called once per publication by the workflow
(``_publish``, and ``rebuild_published`` after a rendering or template change); the parts
are stored on the revision, so a public page view only assembles them. The staff preview
(``views.revision_preview``) and the editor's per-section live preview
(``markdownx_views``) call the same functions, so what an editor sees is what the public
gets. Everything the article shows is here: each section in source order, the
serious-side-effects warning, the FAQs, the "On this page" list, the meta description and
the disclaimer block. Section ids follow one rule: ``<section id="<key>">``.

All Markdown goes through ``rendering`` (sanitized); everything else is escaped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from django.utils.html import escape

from . import references
from .content import MonographContent, Section, faq_items
from .rendering import render_inline, render_markdown

# Section bodies are shown under the page's h1 and each section's h2, so a "#" in a body
# becomes an h3.
HEADING_OFFSET = 2

DISCLAIMER_ID = "disclaimer"
DISCLAIMER_HEADING = "Disclaimer"

# The one built-in disclaimer text: the first site-wide version when nobody has written one
# (``workflow.chosen_disclaimer``), and the last resort of ``build_parts``.
DEFAULT_DISCLAIMER = (
    "This information is for general education only and is not medical advice. "
    "Always ask a doctor, pharmacist or other qualified health professional before you "
    "start, stop or change any medicine or treatment. It does not cover every use, "
    "precaution, side effect or interaction; read the leaflet that comes with your "
    "medicine. In an emergency, call your local emergency number."
)
META_DESCRIPTION_MAX = 160
URGENT_HELP_TITLE = "Serious side effects: get urgent medical help"
URGENT_HELP_TEXT = (
    "Get urgent medical help if you have any of these: call your doctor or your local "
    "emergency number straight away, or go to the nearest emergency department."
)

# A paragraph that introduces the serious side effects ("Less common but more serious
# side effects can include:", "Severe reactions", "Seek medical help if ...", "get urgent
# medical advice").
_SERIOUS = re.compile(r"\b(?:serious|severe|urgent(?:ly)?)\b", re.IGNORECASE)
# "Seek" only with help behind it: "seek advice from your pharmacist if they bother you"
# is not a warning.
_SEEK_HELP = re.compile(
    r"\bseek\b(?:\W+\w+){0,3}?\W+(?:help|medical|urgent(?:ly)?|immediate(?:ly)?|emergency"
    r"|attention|care|treatment)\b",
    re.IGNORECASE,
)
# Words that turn "serious" into its opposite or a condition: "not serious", "non-serious",
# "less serious", "not usually serious", "if they become severe".
_NOT_SERIOUS_BEFORE = re.compile(
    # Not "get": "if you get severe stomach pain" is the warning itself.
    r"\b(?:not|non|less|least|rarely|seldom|never|become|becomes|becoming)"
    r"(?:[\s-]+(?:usually|very|too|so|more|particularly|especially))?[\s-]+$",
    re.IGNORECASE,
)
# "Get urgent help" is a warning; only a negation undoes "urgent".
_NOT_URGENT_BEFORE = re.compile(r"\b(?:not|non)(?:[\s-]+(?:usually|very))?[\s-]+$", re.I)
# First line of a Markdown block that belongs to a list: a marker, or an indented line
# (continuation of the previous item after a blank line).
_LIST_BLOCK = re.compile(r"^(\s+\S|\s*([*+-]|\d+[.)])\s)")
# A table right after the warning's introduction ("Get help if you have:" then a table of
# symptoms) belongs to the warning like a list does.
_TABLE_BLOCK = re.compile(r"^\s*\|")
_DISCLAIMER_LABEL = re.compile(r"^\s*\*\*\s*Disclaimer\s*:?\s*\*\*\s*:?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class PageParts:
    """What a publication stores (``Revision.rendered_html``, ``disclaimer_html``,
    ``contents``, ``meta_description``); the JSON-LD is ``structured_data``'s part."""

    body_html: str
    disclaimer_html: str
    contents: list[dict[str, str]]
    meta_description: str


def build_parts(content: MonographContent, disclaimer_text: str) -> PageParts:
    """The parts of the page of ``content`` going out with ``disclaimer_text``."""
    sections = [(section, section_body_html(section)) for section in content.sections]
    return PageParts(
        body_html="\n".join(_wrap_section(section, body) for section, body in sections),
        disclaimer_html=_disclaimer_html(disclaimer_text),
        contents=contents_list(content),
        meta_description=_meta_description(sections),
    )


def build_article_html(content: MonographContent, disclaimer_text: str) -> str:
    """The whole article (body, then disclaimer), as ``Revision.article_html`` holds it."""
    parts = build_parts(content, disclaimer_text)
    return f"{parts.body_html}\n{parts.disclaimer_html}"


def contents_list(content: MonographContent) -> list[dict[str, str]]:
    """The "On this page" entries: each section (under the heading its page shows), then
    the disclaimer."""
    entries = [
        {"id": section.key, "heading": public_heading(section)}
        for section in content.sections
        if section.key
    ]
    entries.append({"id": DISCLAIMER_ID, "heading": DISCLAIMER_HEADING})
    return entries


def public_heading(section: Section) -> str:
    """The heading the page shows for a section (the sources under the one readers expect)."""
    return references.PUBLIC_HEADING if section.key == references.KEY else section.heading


def section_html(section: Section) -> str:
    """One section as the public page shows it (``<section>``, its ``h2`` and body; the API
    serves it per section too)."""
    return _wrap_section(section, section_body_html(section))


def section_body_html(section: Section) -> str:
    """What the public page shows under a section's heading: the serious side-effects
    callout, the FAQ question/answer list, the sources as citations, headings from h3 down,
    scrollable tables.

    The editor's live preview of a section is exactly this.
    """
    if section.key == references.KEY:
        body = references.html(references.parse(section.body)) or _markdown(section.body)
    elif section.key == "side_effects":
        body = _side_effects_html(section.body)
    elif section.key == "faqs":
        body = _faqs_html(section)
    else:
        body = _markdown(section.body)
    return _scrollable_tables(body, public_heading(section))


def _wrap_section(section: Section, body: str) -> str:
    key = escape(section.key)
    heading = public_heading(section)
    return (
        f'<section id="{key}" class="article-section" aria-labelledby="{key}-heading">\n'
        f'<h2 id="{key}-heading">{escape(heading)}</h2>\n'
        f"{body}\n</section>"
    )


def _markdown(text: str) -> str:
    # The highest heading in a body becomes an h3 whether the author wrote "#" or "##":
    # an h4 straight under the section's h2 would skip a level.
    return render_markdown(text, top_level=HEADING_OFFSET + 1) if text.strip() else ""


_TABLE_OPEN = "<table>"  # sanitized output: tables carry no attributes


def _scrollable_tables(html: str, heading: str) -> str:
    """Each table in a region that scrolls sideways on its own and can take keyboard focus.

    A table wider than a phone would otherwise widen the page, and a scrolling box that
    cannot be focused cannot be scrolled from the keyboard (WCAG 2.1.1).
    """
    count = html.count(_TABLE_OPEN)
    if not count:
        return html
    parts = html.split(_TABLE_OPEN)
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        label = f"{heading} table" + (f" {number}" if count > 1 else "")
        out.append(
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="{escape(label)}">'
            f"{_TABLE_OPEN}{part}"
        )
    return "</table></div>".join("".join(out).split("</table>"))


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _blocks(text: str) -> list[str]:
    """Markdown split on blank lines: paragraphs, lists, tables (good enough to find the
    serious part of a Side Effects section; each part is still rendered as Markdown).

    A fenced code block is one block whatever blank lines it holds: cut in two, each half
    would render as broken code."""
    blocks: list[str] = []
    fence: str | None = None
    for piece in re.split(r"\n[ \t]*\n", text.strip()):
        if fence is not None:
            blocks[-1] += "\n\n" + piece
        elif piece.strip():
            blocks.append(piece)
        for line in piece.split("\n"):
            match = _FENCE.match(line)
            if match and fence is None:
                fence = match.group(1)
            elif (
                match
                and line.strip().startswith(fence or "\0")
                and not (line.strip().strip(fence[0]))
            ):
                fence = None
    return blocks


def serious_side_effects_span(body: str) -> tuple[int, int] | None:
    """Block indexes [start, end) of the serious side effects in a Side Effects body.

    It starts at the first paragraph (not a list item) that mentions serious, severe or
    seek, and takes in the lists that follow it and any further paragraph that also
    speaks of serious effects ("If any adverse effects occur, especially serious ones...").
    None when the section has no such paragraph.
    """
    blocks = _blocks(body)
    start = next(
        (
            i
            for i, block in enumerate(blocks)
            if not _LIST_BLOCK.match(block)
            and not _FENCE.match(block)
            and speaks_of_serious_effects(block)
        ),
        None,
    )
    if start is None:
        return None
    end = start + 1
    while end < len(blocks) and (
        _LIST_BLOCK.match(blocks[end])
        or _TABLE_BLOCK.match(blocks[end])
        or speaks_of_serious_effects(blocks[end])
    ):
        end += 1
    return start, end


def speaks_of_serious_effects(text: str) -> bool:
    """Whether a paragraph speaks of serious effects or of getting help for them.

    "Most side effects are mild and not serious", "seek advice from a pharmacist" and
    "tell your doctor if they become severe" do not: the callout would otherwise put
    common side effects under "get urgent medical help".
    """
    if _SEEK_HELP.search(text):
        return True
    for match in _SERIOUS.finditer(text):
        negation = _NOT_URGENT_BEFORE if match[0][0] in "uU" else _NOT_SERIOUS_BEFORE
        if not negation.search(text, 0, match.start()):
            return True
    return False


def _side_effects_html(body: str) -> str:
    span = serious_side_effects_span(body)
    if span is None:
        return _markdown(body)
    blocks = _blocks(body)
    start, end = span
    before = "\n\n".join(blocks[:start])
    serious = "\n\n".join(blocks[start:end])
    after = "\n\n".join(blocks[end:])
    callout = (
        '<div class="callout callout--warning" role="note" '
        'aria-labelledby="serious-side-effects-heading">\n'
        f'<h3 id="serious-side-effects-heading" class="callout__title">{URGENT_HELP_TITLE}</h3>\n'
        f"{_markdown(serious)}\n"
        f'<p class="callout__action"><strong>{URGENT_HELP_TEXT}</strong></p>\n'
        "</div>"
    )
    return "\n".join(part for part in (_markdown(before), callout, _markdown(after)) if part)


def _faqs_html(section: Section) -> str:
    faqs = section.faqs
    if not faqs:
        return _markdown(section.body)
    items = "\n".join(
        f'<div class="faq">\n<dt>{render_inline(faq.question)}</dt>\n'
        f"<dd>{render_inline(faq.answer)}</dd>\n</div>"
        for faq in faqs
    )
    # Anything in the section that is not a Q/A item (an introduction, a note) is kept.
    rest = _markdown(_non_faq_text(section.body))
    return "\n".join(part for part in (rest, f'<dl class="faq-list">\n{items}\n</dl>') if part)


def _non_faq_text(body: str) -> str:
    """The body without the lines of its FAQ items (exactly those content.faq_items read,
    so no line is shown twice or lost)."""
    taken = {number for _faq, numbers in faq_items(body) for number in numbers}
    return "\n".join(line for n, line in enumerate(body.splitlines()) if n not in taken)


def disclaimer_body(disclaimer_text: str) -> str:
    """The text of a disclaimer without the "**Disclaimer:**" label the seed writes (the
    block has its own heading); "" when nothing else is left."""
    return _DISCLAIMER_LABEL.sub("", disclaimer_text or "").strip()


def _disclaimer_html(disclaimer_text: str) -> str:
    text = disclaimer_body(disclaimer_text) or DEFAULT_DISCLAIMER
    return (
        f'<section id="{DISCLAIMER_ID}" class="disclaimer" '
        f'aria-labelledby="{DISCLAIMER_ID}-heading">\n'
        f'<h2 id="{DISCLAIMER_ID}-heading">{DISCLAIMER_HEADING}</h2>\n'
        f"{_markdown(text)}\n</section>"
    )


# --- meta description -----------------------------------------------------------------------
# A sentence ends at . ! or ? followed by space, but not after a common abbreviation
# ("e.g. 50 mg" must not cut the description short).
_SENTENCE_END = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bapprox\.)(?<!\bca\.)"
    r"(?<!\bDr\.)(?<!\bNo\.)(?<!\bincl\.)(?<=[.!?])\s+",
    re.IGNORECASE,
)


class _FirstParagraph(HTMLParser):
    """Text of the first non-empty top-level-or-nested ``<p>`` of a section body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_paragraph = False
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and not self.done and not self.in_paragraph:
            self.in_paragraph = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self.in_paragraph:
            self.in_paragraph = False
            if "".join(self.parts).strip():
                self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_paragraph and not self.done:
            self.parts.append(data)


def meta_description(text: str) -> str:
    """The first sentence(s) of ``text`` (plain text), at most about 160 characters."""
    text = " ".join(text.split())
    description = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{description} {sentence}".strip()
        if description and len(candidate) > META_DESCRIPTION_MAX:
            break
        description = candidate
    if len(description) > META_DESCRIPTION_MAX:
        description = description[: META_DESCRIPTION_MAX - 1].rsplit(" ", 1)[0] + "…"
    return description


def _meta_description(sections: list[tuple[Section, str]]) -> str:
    """From the first paragraph of the Usage section (else of the first section), read
    from the HTML just rendered for the page, once, at publication."""
    chosen: Any = next((body for section, body in sections if section.key == "usage"), None)
    if chosen is None:
        chosen = sections[0][1] if sections else ""
    parser = _FirstParagraph()
    parser.feed(chosen)
    parser.close()
    return meta_description("".join(parser.parts))

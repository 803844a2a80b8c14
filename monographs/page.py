"""The public article HTML of one revision.

``build_article_html(content, disclaimer_text)`` is called once per publication by
``workflow.approve`` (the result is stored in ``Revision.rendered_html``, so a public page
does no Markdown work) and at request time by the staff preview. Everything the article
shows is here: each section in source order, the serious-side-effects warning, the FAQs
and the disclaimer. The "On this page" list is built by the template from the sections'
keys and headings, so ids here follow one rule: ``<section id="<key>">``.

All Markdown goes through ``rendering`` (sanitized); everything else is escaped here.
"""

from __future__ import annotations

import re

from django.utils.html import escape

from . import references
from .content import MonographContent, Section, faq_items
from .rendering import render_inline, render_markdown

# Section bodies are shown under the page's h1 and each section's h2, so a "#" in a body
# becomes an h3.
HEADING_OFFSET = 2

DISCLAIMER_ID = "disclaimer"
# The disclaimer block starts with this exact text (views.split_disclaimer cuts there).
DISCLAIMER_MARKER = f'<section id="{DISCLAIMER_ID}" class="disclaimer"'

FALLBACK_DISCLAIMER = (
    "This information is for general education only and is not medical advice. "
    "Always ask a doctor, pharmacist or nurse before starting, stopping or changing a medicine."
)
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


def build_article_html(content: MonographContent, disclaimer_text: str) -> str:
    """Sanitized HTML of every section (in source order), the FAQs and the disclaimer."""
    parts = [_section_html(section) for section in content.sections]
    parts.append(_disclaimer_html(disclaimer_text))
    return "\n".join(parts)


def section_html(section: Section) -> str:
    """One section as the public page shows it (the API serves it per section too)."""
    return _section_html(section)


def _section_html(section: Section) -> str:
    key = escape(section.key)
    heading = section.heading
    if section.key == references.KEY:
        # The sources as a list of citations, under the heading readers expect.
        heading = references.PUBLIC_HEADING
        body = references.html(references.parse(section.body)) or _markdown(section.body)
    elif section.key == "side_effects":
        body = _side_effects_html(section.body)
    elif section.key == "faqs":
        body = _faqs_html(section)
    else:
        body = _markdown(section.body)
    body = _scrollable_tables(body, heading)
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


def _disclaimer_html(disclaimer_text: str) -> str:
    # The seed writes "**Disclaimer:** text"; the block has its own heading.
    text = _DISCLAIMER_LABEL.sub("", disclaimer_text or "").strip() or FALLBACK_DISCLAIMER
    return (
        f'{DISCLAIMER_MARKER} aria-labelledby="{DISCLAIMER_ID}-heading">\n'
        f'<h2 id="{DISCLAIMER_ID}-heading">Disclaimer</h2>\n'
        f"{_markdown(text)}\n</section>"
    )

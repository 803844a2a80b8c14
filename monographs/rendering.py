"""Markdown -> sanitized HTML, in one place (public pages, admin diff, markdownx preview).

Markdown is rendered with python-markdown (tables, sane lists, fenced code) and whatever it
emits, including any raw HTML an editor typed, goes through nh3 with an explicit allow-list.
Python-markdown does not sanitize, so nh3 is the security boundary: every public function
here returns either sanitized HTML or plain text, never raw Markdown output.
"""

from __future__ import annotations

import functools
import re
import threading
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from django.conf import settings
from markdown.extensions.tables import TableExtension

__all__ = ["render_markdown", "render_inline", "markdown_to_text", "normalize_list_indentation"]

# --- the allow-list -------------------------------------------------------------------------------
# h1 is accepted from Markdown only so it can be demoted afterwards (see _shift_headings): the page
# owns the single h1, so rendered content never contains one.
_BLOCK_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead",
    "tbody", "tr", "th", "td", "pre", "blockquote", "dl", "dt", "dd", "img",
}  # fmt: skip
_INLINE_TAGS = {"strong", "em", "b", "i", "a", "code", "sup", "sub", "abbr", "mark", "br"}
_ALLOWED_TAGS = _BLOCK_TAGS | _INLINE_TAGS

_ALLOWED_ATTRIBUTES = {
    "*": set(),  # without this key nh3 keeps its default generic attributes (lang, title)
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "ol": {"start"},
}
# Table alignment as an attribute with a fixed set of values: no `style` attribute anywhere.
_ALIGN_VALUES = {"align": {"left", "center", "right"}}
_TAG_ATTRIBUTE_VALUES = {"th": _ALIGN_VALUES, "td": _ALIGN_VALUES}

# Tags whose *content* is dropped too (their text is script, CSS or markup noise, never prose).
_CLEAN_CONTENT_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
    "textarea", "select", "title", "noembed", "noframes", "xmp", "frameset", "applet",
}  # fmt: skip

_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_IMG_SCHEMES = {"https"}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Images may only come from https or our own MEDIA_URL (no tracking pixels over http,
    no data: URLs, no arbitrary paths on this site)."""
    if attribute in ("href", "src") and _has_script_scheme(value):
        return None
    if tag == "img" and attribute == "src":
        return value if _is_allowed_image_src(value) else None
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) < 7 else None
    return value


_SCRIPT_SCHEME_RE = re.compile(r"^(?:javascript|vbscript|data|livescript|mocha):", re.IGNORECASE)
_INVISIBLE_RE = re.compile(
    r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]+"
)


def _has_script_scheme(value: str) -> bool:
    # Belt and braces on top of nh3's scheme allow-list: "java script:" is harmless to browsers
    # today, but nothing that spells a script scheme once blanks and controls are removed is kept.
    return bool(_SCRIPT_SCHEME_RE.match(_INVISIBLE_RE.sub("", value)))


def _is_allowed_image_src(value: str) -> bool:
    src = value.strip()
    try:
        parts = urlsplit(src)
    except ValueError:
        return False
    if parts.scheme:
        return parts.scheme.lower() in _IMG_SCHEMES and bool(parts.netloc)
    media_url = str(settings.MEDIA_URL or "")
    # Protocol-relative URLs ("//host/x") are someone else's host: only a path under MEDIA_URL.
    return (
        bool(media_url)
        and src.startswith(media_url)
        and not src.startswith("//")
        and ".." not in src
    )


_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_CLEAN_CONTENT_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
    attribute_filter=_attribute_filter,
    url_schemes=_URL_SCHEMES,
    strip_comments=True,
    link_rel="noopener noreferrer",
)
_INLINE_CLEANER = nh3.Cleaner(
    tags=_INLINE_TAGS,
    clean_content_tags=_CLEAN_CONTENT_TAGS,
    attributes={"*": set(), "a": {"href", "title"}, "abbr": {"title"}},
    attribute_filter=_attribute_filter,
    url_schemes=_URL_SCHEMES,
    strip_comments=True,
    link_rel="noopener noreferrer",
)

# --- Markdown ----------------------------------------------------------------------------------
# Deliberately no attr_list / md_in_html / extra: no way to smuggle attributes through Markdown.
_EXTENSIONS = [TableExtension(use_align_attribute=True), "sane_lists", "fenced_code"]

# Markdown instances are not thread-safe but are reusable after reset(); one per thread.
_local = threading.local()


def _block_markdown() -> markdown.Markdown:
    md = getattr(_local, "block", None)
    if md is None:
        md = _local.block = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
    md.reset()
    return md


def _inline_markdown() -> markdown.Markdown:
    md = getattr(_local, "inline", None)
    if md is None:
        md = markdown.Markdown(output_format="html")
        # Only paragraphs: a FAQ question such as "1. Can I drink?" or "# of doses" must stay
        # inline text rather than become a list or a heading.
        for name in [p.name for p in md.parser.blockprocessors._priority]:  # noqa: SLF001
            if name != "paragraph":
                md.parser.blockprocessors.deregister(name)
        _local.inline = md
    md.reset()
    return md


# --- list indentation --------------------------------------------------------------------------
# python-markdown's list markers: "*", "+", "-" and "1." (not "1)").
_LIST_ITEM_RE = re.compile(r"^( *)([*+-]|\d{1,9}\.)( +|$)")
_FENCE_RE = re.compile(r"^ *(`{3,}|~{3,})")


def normalize_list_indentation(text: str) -> str:
    """Re-indent nested lists to python-markdown's 4 spaces per level.

    Editors (and the bundled files) often nest with 2 spaces, which python-markdown flattens into
    one list. A list item is a child of the item above it when its marker is indented further,
    whatever the amount; its continuation lines move with it. Fenced code blocks and indented
    code blocks outside lists are left byte for byte.
    """
    lines = text.expandtabs(4).split("\n")
    out: list[str] = []
    # Open list items: (source column of the marker, source column of the content).
    stack: list[tuple[int, int]] = []
    fence: str | None = None
    after_blank = True  # start of text counts as a paragraph boundary
    previous_was_paragraph = False

    for line in lines:
        if fence is not None:
            out.append(line)
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            continue

        if not line.strip():
            out.append(line)
            after_blank = True
            previous_was_paragraph = False
            continue

        indent = len(line) - len(line.lstrip(" "))
        fence_match = _FENCE_RE.match(line)
        if fence_match and (not stack or indent < 4):
            if after_blank and indent < 4:
                stack.clear()
            fence = fence_match.group(1)
            out.append(line)
            after_blank = False
            previous_was_paragraph = False
            continue

        item = _LIST_ITEM_RE.match(line)
        # As in CommonMark, only "1." may start a list inside a paragraph: "in\n1984. It" is prose.
        if item and not stack and previous_was_paragraph and item.group(2)[:-1].isdigit():
            item = item if item.group(2)[:-1] == "1" else None
        if item and (stack or indent < 4):
            while stack and indent < stack[-1][0]:
                stack.pop()
            if stack and indent == stack[-1][0]:
                stack.pop()  # a sibling replaces the item at its level
            # Nothing real nests this deep; parsing cost grows with the square of the depth.
            depth = min(len(stack), _MAX_LIST_DEPTH)
            content_col = indent + len(item.group(2)) + len(item.group(3))
            stack.append((indent, content_col))
            if depth == 0 and previous_was_paragraph:
                # Like CommonMark, a list may start right after a paragraph line.
                out.append("")
            out.append(" " * (4 * depth) + line[indent:])
            after_blank = False
            previous_was_paragraph = False
            continue

        if stack:
            if indent == 0:
                if after_blank:
                    stack.clear()  # a flush-left paragraph after a blank line ends the list
                out.append(line)  # otherwise: lazy continuation of the item's paragraph
            else:
                while len(stack) > 1 and indent <= stack[-1][0]:
                    stack.pop()
                owner_depth = min(len(stack) - 1, _MAX_LIST_DEPTH)
                if after_blank:
                    # A new block inside the item: one level deeper than the item's marker.
                    extra = max(0, indent - stack[-1][1])
                    out.append(" " * (4 * (owner_depth + 1) + extra) + line.lstrip(" "))
                else:
                    # Paragraph continuation: python-markdown removes one level of indentation
                    # only, and would keep the rest as stray spaces in the text.
                    out.append(" " * (4 * owner_depth) + line.lstrip(" "))
            after_blank = False
            previous_was_paragraph = False
            continue

        out.append(line)
        previous_was_paragraph = indent < 4 or not after_blank
        after_blank = False
    return "\n".join(out)


# --- pathological input -------------------------------------------------------------------------
# python-markdown's inline patterns rescan to the end of a block for every "[", "(" or "<" that is
# never closed, so 20,000 of them take minutes (measured: "[" * 20000 -> 170 s, "<a " * 30000 ->
# 130 s). Such characters can never start a link, an autolink or a tag, so neutralising them does
# not change the rendering; it is only done past a threshold because a backslash escape would
# show inside a code span.
_MAX_UNCLOSED = 64
_MAX_BRACKET_DEPTH = 16
_MAX_LIST_DEPTH = 12
_BRACKET_RE = re.compile(r"\\.|[\[\]()]", re.DOTALL)
_DEAD_LT_RE = re.compile(r"<(?=[^<>]*(?:<|$))")
# C0 controls other than tab/newline/CR mean nothing in Markdown and are invalid in HTML; one of
# them stands in for a dead "<" (an entity would be slow again: python-markdown stashes each one).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LT_PLACEHOLDER = "\x0e"


def _defuse(text: str) -> str:
    text = _CONTROL_RE.sub("", text)
    text = _escape_unclosed(text, "[", "]", r"\[")
    text = _escape_unclosed(text, "(", ")", r"\(")
    if text.count("<") > _MAX_UNCLOSED and len(_DEAD_LT_RE.findall(text)) > _MAX_UNCLOSED:
        text = _DEAD_LT_RE.sub(_LT_PLACEHOLDER, text)
    return text


def _restore(html: str) -> str:
    return html.replace(_LT_PLACEHOLDER, "&lt;")


def _escape_unclosed(text: str, opener: str, closer: str, escaped: str) -> str:
    if text.count(opener) <= _MAX_UNCLOSED:
        return text
    stack: list[int] = []
    doomed: list[int] = []
    for match in _BRACKET_RE.finditer(text):
        char = match.group(0)
        if char == opener:
            if len(stack) >= _MAX_BRACKET_DEPTH:
                doomed.append(match.start())
            else:
                stack.append(match.start())
        elif char == closer and stack:
            stack.pop()
    doomed.extend(stack)
    if len(doomed) <= _MAX_UNCLOSED:
        return text
    pieces = []
    previous = 0
    for position in sorted(doomed):
        pieces.append(text[previous:position])
        pieces.append(escaped)
        previous = position + 1
    pieces.append(text[previous:])
    return "".join(pieces)


# --- headings ----------------------------------------------------------------------------------
_HEADING_TAG_RE = re.compile(r"<(/?)h([1-6])>")


def _shift_headings(html: str, offset: int) -> str:
    # Runs on sanitized output, where headings carry no attributes and literal "<" in text is
    # escaped, so the pattern only meets real heading tags (raw-HTML headings included).
    def replace(match: re.Match[str]) -> str:
        level = min(6, max(2, int(match.group(2)) + offset))
        return f"<{match.group(1)}h{level}>"

    return _HEADING_TAG_RE.sub(replace, html)


# --- public API --------------------------------------------------------------------------------
def _top_heading_offset(html: str, top_level: int) -> int:
    """The offset that makes the highest heading in ``html`` an h``top_level``."""
    levels = [int(level) for _slash, level in _HEADING_TAG_RE.findall(html)]
    return top_level - min(levels) if levels else 0


# Sanitized <img> tags: attribute values are double-quoted and hold no '"' (nh3 escapes it).
_IMG_TAG_RE = re.compile(r'<img((?:\s+[a-z-]+="[^"]*")*)\s*/?>')
_ATTRIBUTE_RE = re.compile(r'([a-z-]+)="([^"]*)"')


def _fix_images(html: str) -> str:
    """An image left with neither address nor alt text (raw ``<img src=x onerror=...>``)
    is dropped, and an image with no alt text gets an empty one.

    Such an <img> shows nothing and has no text alternative, and one without alt makes a
    screen reader spell out its address: axe's image-alt rule fails the page on either. An
    image whose address was removed but which has alt text shows that text; it stays.
    """

    def replace(match: re.Match[str]) -> str:
        attributes = dict(_ATTRIBUTE_RE.findall(match.group(1)))
        if not attributes.get("src") and not attributes.get("alt", "").strip():
            return ""
        if "alt" not in attributes:
            return match.group(0)[:-1].rstrip("/ ") + ' alt="">'
        return match.group(0)

    return _IMG_TAG_RE.sub(replace, html) if "<img" in html else html


# Publishing one monograph renders each section several times: for the page (headings at
# h3), for the search text and for the JSON-LD (plain text). The Markdown conversion and
# sanitizing do not depend on the heading level, so the last few results are kept: an
# import of 1,000 files converts each section once instead of three times (docs/performance.md).
# Keyed on MEDIA_URL too (image URLs are judged against it); long texts are not kept.
_MEMO_MAX_CHARS = 20_000


@functools.lru_cache(maxsize=128)
def _sanitized_html(text: str, media_url: str) -> str:
    html = _block_markdown().convert(normalize_list_indentation(_defuse(text)))
    return _fix_images(_restore(_CLEANER.clean(html)))


def render_markdown(text: str, *, heading_offset: int = 0, top_level: int | None = None) -> str:
    """Markdown -> sanitized HTML.

    `heading_offset` demotes Markdown headings (2: `#` becomes h3); levels are capped at h6 and
    never go above h2, so content never competes with the page's h1. `top_level`, instead,
    makes the highest heading in the text that level whatever the author started with
    (3: both "# A" and "## A" become h3), so headings under a section's h2 skip no level.
    """
    if not text or not text.strip():
        return ""
    text = str(text)
    try:
        if len(text) <= _MEMO_MAX_CHARS:
            html = _sanitized_html(text, str(settings.MEDIA_URL or ""))
        else:
            html = _sanitized_html.__wrapped__(text, "")
    except RecursionError:
        # Pathologically nested input (thousands of ">" or list levels): show it as text.
        _local.block = None  # do not reuse an instance abandoned mid-parse
        return "<pre>" + nh3.clean_text(text) + "</pre>"
    if top_level is not None:
        return _shift_headings(html, _top_heading_offset(html, int(top_level)))
    return _shift_headings(html, max(0, int(heading_offset)))


def render_inline(text: str) -> str:
    """Inline Markdown (bold, emphasis, code, links) -> sanitized HTML without a wrapping <p>.

    Line breaks and block syntax are flattened: the result always fits inside a heading or a
    <summary>.
    """
    if not text or not text.strip():
        return ""
    flat = _defuse(" ".join(str(text).split()))
    try:
        html = _inline_markdown().convert(flat)
    except RecursionError:
        _local.inline = None
        return nh3.clean_text(flat)
    # Raw block HTML leaves line breaks behind; a question is one line.
    return " ".join(_restore(_INLINE_CLEANER.clean(html)).split())


class _TextExtractor(HTMLParser):
    # Block boundaries become spaces so "<li>a</li><li>b</li>" reads "a b", not "ab".
    _BREAKS = _BLOCK_TAGS

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def markdown_to_text(text: str) -> str:
    """Markdown -> plain text with whitespace collapsed (meta descriptions, snippets, JSON-LD).

    The result is text, not HTML: entities are decoded, so callers must escape it for HTML
    (Django templates do) or serialize it (json.dumps) as usual.
    """
    html = render_markdown(text)
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())

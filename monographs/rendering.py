"""Markdown -> sanitized HTML, in one place (public pages, admin diff, markdownx preview).

Markdown is rendered with cmark-gfm (CommonMark plus GitHub's tables, through cmarkgfm) and
whatever it emits, including any raw HTML an editor typed, goes through nh3 with an explicit
allow-list. cmark-gfm does not sanitize (it runs with CMARK_OPT_UNSAFE so that raw HTML reaches
nh3 and is cleaned there rather than replaced by a comment), so nh3 is the security boundary:
every public function here returns either sanitized HTML or plain text, never raw Markdown
output.

Cost is bounded for every input: cmark-gfm parses in linear time (its test suite has a
pathological-input section), nh3 (html5ever) sanitizes in linear time, and the few shapes that
would still make either of them work harder than the text's length (nesting thousands deep)
are capped before parsing (see ``_cap_nesting``). tests/benchmarks/content_costs.py measures it.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.conf import settings

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


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Images may only come from this site's uploads (MEDIA_URL) and its own static files: no
    tracking pixels on other hosts, no data: URLs, no other paths on this site (see
    image_src_allowed)."""
    if attribute in ("href", "src") and _has_script_scheme(value):
        return None
    if tag == "img" and attribute == "src":
        return value if image_src_allowed(value) else None
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


# --- image addresses -----------------------------------------------------------------------------
# A path, once percent-decoded, may only hold printable ASCII without a backslash (browsers read
# "\" as "/"); no segment may start with a dot ("." and ".." are traversal, "%2e%2e", ".%2E" and
# "%252e%252e" decode to them, and "..;" is one for some servers) and none may be empty ("//").
_PRINTABLE_PATH_RE = re.compile(r"[ -~]*")
_MAX_DECODING_ROUNDS = 4


def _fully_decoded(text: str) -> str | None:
    """``text`` percent-decoded until nothing changes (None if that takes too many rounds)."""
    for _ in range(_MAX_DECODING_ROUNDS):
        decoded = unquote(text, errors="strict") if "%" in text else text
        if decoded == text:
            return text
        text = decoded
    return None


def _image_bases() -> list[tuple[str, str, str]]:
    """(scheme, host, path prefix) of every place an image may come from: MEDIA_URL and
    STATIC_URL, as site-relative paths or as absolute URLs on the site's own origin
    (SITE_URL); an absolute MEDIA_URL (a storage host) is allowed as it is."""
    site = urlsplit(str(getattr(settings, "SITE_URL", "") or ""))
    bases: list[tuple[str, str, str]] = []
    for setting in ("MEDIA_URL", "STATIC_URL"):
        url = str(getattr(settings, setting, "") or "")
        if not url:
            continue
        parts = urlsplit(url)
        if parts.netloc:
            bases.append((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/"))
            continue
        path = "/" + url.lstrip("/")
        bases.append(("", "", path))
        if site.netloc:
            bases.append((site.scheme.lower(), site.netloc.lower(), path))
    return bases


def image_src_allowed(value: str) -> bool:
    """Whether an <img src> may be shown: a file under MEDIA_URL (uploads) or STATIC_URL, on
    this site, whatever encoding hides a way out of those folders."""
    src = value.strip()
    # Browsers drop tabs and newlines inside URLs and read "\" as "/": none of them in an image.
    if not src or "\\" in src or _INVISIBLE_RE.search(src):
        return False
    try:
        parts = urlsplit(src)
        path = _fully_decoded(parts.path)
    except (ValueError, UnicodeDecodeError):
        return False
    if path is None or "\\" in path or not _PRINTABLE_PATH_RE.fullmatch(path):
        return False
    segments = path.split("/")
    if segments[0] or any(not segment or segment.startswith(".") for segment in segments[1:]):
        return False  # not an absolute path, or an empty or dot segment
    origin = (parts.scheme.lower(), parts.netloc.lower())
    if bool(origin[0]) != bool(origin[1]):
        return False  # "//host/x" (someone else's host) or "https:/x"
    for scheme, host, prefix in _image_bases():
        if origin == (scheme, host) and path.startswith(prefix) and len(path) > len(prefix):
            return True
    return False


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
# CommonMark plus tables, nothing else: no autolinked bare URLs, no strikethrough, no task lists
# (the source format stays what python-markdown read before), and no way to give an element
# attributes through Markdown. CMARK_OPT_UNSAFE only means "pass raw HTML on": nh3 cleans it.
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE
_CMARK_EXTENSIONS = ("table",)


def _cmark(text: str) -> str:
    # Each call builds its own parser: nothing is shared between threads.
    return cmarkgfm.markdown_to_html_with_extensions(
        text, options=_CMARK_OPTIONS, extensions=list(_CMARK_EXTENSIONS)
    )


# --- list indentation --------------------------------------------------------------------------
# The list markers the bundled files and editors use: "*", "+", "-" and "1." ("1)" lists, which
# python-markdown did not know, nest only as CommonMark itself nests them).
_LIST_ITEM_RE = re.compile(r"^( *)([*+-]|\d{1,9}\.)( +|$)")
_FENCE_RE = re.compile(r"^ *(`{3,}|~{3,})")


def normalize_list_indentation(text: str) -> str:
    """Re-indent nested lists to 4 spaces per level (more where the parent's text starts
    further right, as after "100. ").

    Editors (and the bundled files) nest with 2, 3 or 4 spaces, and with 2 under a numbered item
    ("1. a" then "  - b") CommonMark would end the numbered list instead of nesting. The rule
    here is the one the site has always had: a list item is a child of the item above it when
    its marker is indented further, whatever the amount; its continuation lines move with it.
    Fenced code blocks and indented code blocks outside lists are left byte for byte.
    """
    lines = text.expandtabs(4).split("\n")
    out: list[str] = []
    # Open list items: (source column of the marker, source column of the content,
    # output column of the marker, output column of the content).
    stack: list[tuple[int, int, int, int]] = []
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
            # Nothing real nests this deep: past _MAX_LIST_DEPTH items become siblings.
            depth = len(stack)
            if depth == 0:
                out_indent = 0
            elif depth <= _MAX_LIST_DEPTH:
                out_indent = max(4 * depth, stack[-1][3])
            else:
                out_indent = stack[_MAX_LIST_DEPTH][2]
            marker, spaces = item.group(2), len(item.group(3))
            content_col = indent + len(marker) + spaces
            # CommonMark: five spaces or more after the marker are one space and a code block.
            out_content = out_indent + len(marker) + (spaces if 1 <= spaces <= 4 else 1)
            stack.append((indent, content_col, out_indent, out_content))
            if depth == 0 and previous_was_paragraph:
                # Like CommonMark, a list may start right after a paragraph line.
                out.append("")
            out.append(" " * out_indent + line[indent:])
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
                owner_content = stack[-1][3]
                if after_blank:
                    # A new block inside the item: at the item's text column, plus whatever the
                    # source had beyond it (four more make an indented code block, as there).
                    extra = max(0, indent - stack[-1][1])
                    out.append(" " * (owner_content + extra) + line.lstrip(" "))
                else:
                    # Paragraph continuation, at the item's text column: a continuation line
                    # that starts a block ("> note") stays inside the item.
                    out.append(" " * owner_content + line.lstrip(" "))
            after_blank = False
            previous_was_paragraph = False
            continue

        out.append(line)
        previous_was_paragraph = indent < 4 or not after_blank
        after_blank = False
    return "\n".join(out)


# --- pathological input -------------------------------------------------------------------------
# cmark-gfm parses any text in linear time, but it nests as deep as the text says, and so may raw
# HTML; nh3's HTML parser (html5ever) pays for every block tag with a walk down its stack of open
# elements, so 20,000 nested <div>s or ">" markers cost seconds and 100 kB of them a minute.
# Nothing real nests deeper than these limits; past them, list items become siblings and the
# extra block tags are dropped (their text stays).
_MAX_LIST_DEPTH = 12
_MAX_HTML_DEPTH = 64
# C0 controls other than tab/newline/CR mean nothing in Markdown and are invalid in HTML.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Anything an HTML parser may take for a tag, up to its end (or the end of the text). Over-
# counting (a "<div>" inside a comment or an attribute) only drops a tag nh3 would drop anyway.
_TAG_RE = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*)[^>]*>?")
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
    "param", "source", "track", "wbr",
}  # fmt: skip


# Past the twelfth ">" at the start of a line, the next ">" is text (cmark would otherwise build
# a million-deep quote out of a line of ">", and the depth cap below would have to undo it).
_DEEP_QUOTE_RE = re.compile(
    r"^((?: {0,3}>[ \t]?){" + str(_MAX_LIST_DEPTH) + r"})(?= {0,3}>)", re.MULTILINE
)


def _defuse(text: str) -> str:
    text = _CONTROL_RE.sub("", text)
    if text.count(">") > _MAX_LIST_DEPTH:
        text = _DEEP_QUOTE_RE.sub(r"\1\\", text)
    return _escape_pipes_in_table_code(text)


# GitHub's tables split a row at every "|", even inside `code`; python-markdown did not, and
# the bundled files rely on it ("`a|b`" in a cell). Inside a table, such pipes are escaped.
_DELIMITER_ROW_RE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_BACKTICKS_RE = re.compile(r"`+")
_UNESCAPED_PIPE_RE = re.compile(r"(?<!\\)\|")


def _escape_pipes_in_table_code(text: str) -> str:
    if "|" not in text or "`" not in text:
        return text
    lines = text.split("\n")
    in_table = False
    for number, line in enumerate(lines):
        if not line.strip():
            in_table = False
            continue
        if not in_table:
            following = lines[number + 1] if number + 1 < len(lines) else ""
            in_table = "|" in line and "-" in following and bool(_DELIMITER_ROW_RE.match(following))
        if in_table and "`" in line and "|" in line:
            lines[number] = _escape_code_span_pipes(line)
    return "\n".join(lines)


def _escape_code_span_pipes(line: str) -> str:
    """``line`` with "|" escaped inside its code spans (a span: a run of backticks up to the
    next run of the same length, as in CommonMark; linear in the line's length)."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS_RE.finditer(line)]
    later: dict[int, deque[int]] = {}
    for index, (start, end) in enumerate(runs):
        later.setdefault(end - start, deque()).append(index)
    pieces: list[str] = []
    previous = index = 0
    while index < len(runs):
        start, end = runs[index]
        queue = later[end - start]
        while queue and queue[0] <= index:
            queue.popleft()
        if not queue:
            index += 1
            continue
        closer = queue[0]
        pieces.append(line[previous:end])
        pieces.append(_UNESCAPED_PIPE_RE.sub(r"\\|", line[end : runs[closer][0]]))
        previous = runs[closer][0]
        index = closer + 1
    pieces.append(line[previous:])
    return "".join(pieces)


def _cap_html_depth(html: str) -> str:
    """``html`` with no element nested deeper than _MAX_HTML_DEPTH (linear time)."""
    if html.count("<") <= _MAX_HTML_DEPTH:
        return html
    open_tags: list[str] = []
    dropped: dict[str, int] = {}
    pieces: list[str] = []
    previous = 0
    for match in _TAG_RE.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID_TAGS:
            continue
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
            else:
                if name in open_tags:
                    del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
                continue
        elif len(open_tags) < _MAX_HTML_DEPTH:
            open_tags.append(name)
            continue
        else:
            dropped[name] = dropped.get(name, 0) + 1
        pieces.append(html[previous : match.start()])
        previous = match.end()
    if not pieces:
        return html
    pieces.append(html[previous:])
    return "".join(pieces)


def _clean(html: str) -> str:
    return _CLEANER.clean(_cap_html_depth(html))


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


# "<mailto:a@b.org>": CommonMark shows the whole URI, python-markdown showed the address.
_MAILTO_TEXT_RE = re.compile(r'(<a href="mailto:([^"<>]*)"[^>]*>)mailto:\2</a>')


def _tidy_links(html: str) -> str:
    return _MAILTO_TEXT_RE.sub(r"\1\2</a>", html) if "mailto:" in html else html


# Publishing one monograph renders each section several times: for the page (headings at
# h3), for the search text and for the JSON-LD (plain text). The Markdown conversion and
# sanitizing do not depend on the heading level, so the last few results are kept: an
# import of 1,000 files converts each section once instead of three times (docs/performance.md).
# Keyed on the settings image addresses are judged against; long texts are not kept.
_MEMO_MAX_CHARS = 20_000


@functools.lru_cache(maxsize=128)
def _sanitized_html(text: str, image_settings: tuple[str, ...]) -> str:
    html = _cmark(normalize_list_indentation(_defuse(text)))
    return _tidy_links(_fix_images(_clean(html))).strip()


def _image_settings() -> tuple[str, ...]:
    return tuple(
        str(getattr(settings, name, "") or "") for name in ("MEDIA_URL", "STATIC_URL", "SITE_URL")
    )


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
    if len(text) <= _MEMO_MAX_CHARS:
        html = _sanitized_html(text, _image_settings())
    else:
        html = _sanitized_html.__wrapped__(text, ())
    if top_level is not None:
        return _shift_headings(html, _top_heading_offset(html, int(top_level)))
    return _shift_headings(html, max(0, int(heading_offset)))


# A one-line text that CommonMark would read as a block (heading, list item, quote, rule, fence,
# link definition) rather than as a paragraph; its first character is written as a character
# reference, which block parsing does not see and inline parsing turns back into the character.
_BLOCK_START_RE = re.compile(
    r"#|>|[-+*](?:\s|$)|\d{1,9}[.)](?:\s|$)|(?:[-*_][ \t]*){3,}$|`{3,}|~{3,}|\[[^\]]*\]:"
)
# Block tags of the sanitized output: in a one-line rendering each becomes a space.
_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|hr|h[1-6]|ul|ol|li|table|thead|tbody|tr|th|td|pre|blockquote|dl|dt|dd|img)\b[^>]*>"
)


def render_inline(text: str) -> str:
    """Inline Markdown (bold, emphasis, code, links) -> sanitized HTML without a wrapping <p>.

    Line breaks and block syntax are flattened: the result always fits inside a heading or a
    <summary>.
    """
    if not text or not text.strip():
        return ""
    flat = _defuse(" ".join(str(text).split()))
    if _BLOCK_START_RE.match(flat):
        first = flat[0] if not flat[0].isdigit() else None
        if first is None:
            digits = len(flat) - len(flat.lstrip("0123456789"))
            flat = f"{flat[:digits]}&#{ord(flat[digits])};{flat[digits + 1 :]}"
        else:
            flat = f"&#{ord(first)};{flat[1:]}"
    html = _BLOCK_TAG_RE.sub(" ", _tidy_links(_clean(_cmark(flat))))
    # Raw block HTML leaves line breaks behind; a question is one line.
    return " ".join(_INLINE_CLEANER.clean(html).split())


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

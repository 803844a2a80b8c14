"""The seed file format (``content/*.md``) in and out.

A source file looks like this (``content/naltrexone.md`` is the reference)::

    ---
    layout: minimal-medicine
    title: Naltrexone
    other_names: [Revia, Vivitrol]
    ---

    # Naltrexone
    ### Generic Name
    Naltrexone

    ### Usage

    Markdown ...


    ### FAQs

    * **Q: ...?** A: ...


    **Disclaimer:** This information is ...

Decisions the format leaves open, made here once:

- The front matter is a small YAML subset: ``key: value`` (value optionally quoted),
  lists as a flow list (``[Revia, Vivitrol]``) or a block list (``  - Revia`` lines; what
  ``write`` uses), ``#`` comments. Only ``layout``, ``title`` and ``other_names`` are
  known; any other key is refused, because the content model has nowhere to keep it and
  an import must not drop what an author wrote without saying so.
- The title comes from the front matter and/or the ``# Title`` line; when both are given
  they must agree (otherwise which one the author meant is a guess).
- Text between the title and the first ``###`` heading is kept as a leading "Overview"
  section (export writes it back with an explicit ``### Overview`` heading).
- ``### Generic Name`` is not a section: its one line is the generic name (default: the
  title). ``### Disclaimer`` is not a section either: its body is the disclaimer, like a
  closing ``**Disclaimer:**`` paragraph; a file may have one or the other, not both.
- Names (title, generic name, other names, layout, headings) are one line each: runs of
  spaces in them are read as one space. They may not hold control or invisible format
  characters (a NUL or a right-to-left override spelt as a quoted escape included), and
  other names and headings are at most 200 characters, like in the admin.
- A file is at most ``MAX_SOURCE_BYTES`` (2 MB); UTF-16 is refused with a hint.
- A section body is the source text verbatim, only leading and trailing blank lines
  removed, so Markdown spacing, tables and nested lists survive a round trip. ``###``
  inside a fenced code block is text, not a heading.

Content typed in the admin can hold what this format cannot say (a ``###`` line outside
code in a section body); ``write`` writes it as it is, and it reads back restructured (a
new section), never lost.

``write`` produces the same layout; ``parse(write(c)) == c`` for parsed content, and
for a file in this layout ``write(parse(text))`` equals ``text`` up to blank lines and
trailing spaces (the seed comes back byte for byte).
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass

from . import validation
from .content import MonographContent, Section, normalise_heading, section_key

__all__ = [
    "SourceFormatError",
    "parse",
    "write",
    "KNOWN_KEYS",
    "OVERVIEW_HEADING",
    "MAX_SOURCE_BYTES",
    "too_large_message",
]

# A long monograph is tens of kilobytes; the admin accepts at most Django's 2.5 MB of form
# data. A bigger file is a mistake (a log, a dump), not a page anyone should publish.
MAX_SOURCE_BYTES = 2 * 1024 * 1024

KNOWN_KEYS = ("layout", "title", "other_names")
OVERVIEW_HEADING = "Overview"

_BOM = "\ufeff"
_FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$")
# CommonMark ATX headings: up to three spaces of indent, the hashes, then a space or the
# end of the line; an optional closing run of hashes is not part of the text.
_H1 = re.compile(r"^ {0,3}#(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
H3 = re.compile(r"^ {0,3}###(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_ANY_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_CODE_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DISCLAIMER_LABEL = re.compile(r"^\s*\*\*\s*Disclaimer\s*(?::\s*\*\*|\*\*\s*:)[ \t]*", re.I)
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(?P<value>.*))?$")
_ITEM_LINE = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]+(?P<value>.*))?$")
_GENERIC_NAME = "generic name"
_DISCLAIMER = "disclaimer"
# Values YAML would read as something other than a string, or that start a YAML construct.
_YAML_SPECIAL = re.compile(
    r"""^(?:[-?:,\[\]{}#&*!|>'"%@`]|(?:true|false|yes|no|on|off|null|~)$|[-+.\d])""",
    re.I,
)


class SourceFormatError(ValueError):
    """A source file that cannot be read as a monograph; str() is one short line."""


# ---------------------------------------------------------------------------- parse


@dataclass
class _Block:
    heading: str | None  # None: the text between the front matter and the first ###
    line: int  # 1-based line number of the heading (or of the first line)
    lines: list[str]


def parse(data: str | bytes) -> MonographContent:
    """Read one source file (text, or bytes in UTF-8) into monograph content.

    Raises SourceFormatError, whose message names the problem in one line.
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise SourceFormatError(too_large_message(size))
    text = _decode(data)
    if "\x00" in text:
        raise SourceFormatError(f"contains a NUL character (position {text.index(chr(0))})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SourceFormatError("file is empty")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()

    front, body_start = _split_front_matter(lines)
    meta = _parse_front_matter(front)
    blocks = _split_blocks(lines, body_start)

    h1_title = _take_h1_title(blocks[0]) if blocks[0].heading is None else ""
    last = blocks[-1]
    if last.heading is not None and normalise_heading(last.heading) == _DISCLAIMER:
        # A closing "### Disclaimer" section is the disclaimer as a whole, label or not.
        disclaimer, disclaimer_block = "", None
    else:
        disclaimer, disclaimer_block = _take_closing_disclaimer(blocks)
    fm_title = meta.get("title", "")
    if fm_title and h1_title and _squash(fm_title) != _squash(h1_title):
        raise SourceFormatError(
            f"the front-matter title {fm_title!r} and the '# {h1_title}' line disagree"
        )
    title = _squash(fm_title or h1_title)
    if not title:
        raise SourceFormatError("no title: give a front-matter 'title' or a '# Title' line")

    content = MonographContent(
        title=title,
        other_names=[_squash(name) for name in meta.get("other_names", [])],
        layout=_squash(meta.get("layout", "")),
    )
    taken: set[str] = set()
    generic_name: str | None = None
    seen_disclaimer_section = False
    for block in blocks:
        body = _strip_blank_edges(block.lines)
        if block.heading is None:
            if body:
                key = section_key(OVERVIEW_HEADING, taken)
                taken.add(key)
                content.sections.append(Section(key=key, heading=OVERVIEW_HEADING, body=body))
            continue
        kind = normalise_heading(block.heading)
        if kind == _GENERIC_NAME:
            if generic_name is not None:
                raise SourceFormatError(f"line {block.line}: a second '### Generic Name' section")
            if "\n" in body:
                raise SourceFormatError(
                    f"line {block.line}: '### Generic Name' must be followed by one line"
                )
            generic_name = _squash(body)
            if generic_name[:1] == "\\" and generic_name[1:2] in string.punctuation:
                generic_name = generic_name[1:]  # written escaped, see _name_line
        elif kind == _DISCLAIMER:
            if seen_disclaimer_section:
                raise SourceFormatError(f"line {block.line}: a second '### Disclaimer' section")
            seen_disclaimer_section = True
            if disclaimer_block is not None:
                raise SourceFormatError(
                    f"line {block.line}: a '### Disclaimer' section and a closing "
                    "'**Disclaimer:**' paragraph; keep one"
                )
            # Only the label goes: stripping the text could turn an indented line into a heading.
            disclaimer = _DISCLAIMER_LABEL.sub("", body, count=1)
        else:
            key = section_key(block.heading, taken)
            taken.add(key)
            content.sections.append(Section(key=key, heading=block.heading, body=body))
    content.generic_name = generic_name or title
    content.disclaimer = disclaimer
    # The content rules (names, headings, section sizes) are the workflow's, in one place.
    problems = validation.problems(content)
    if problems:
        raise SourceFormatError(problems[0].message)
    return content


def too_large_message(size: int) -> str:
    return (
        f"too large ({size / 1024 / 1024:.1f} MB; a monograph file may be at most "
        f"{MAX_SOURCE_BYTES // 1024 // 1024} MB)"
    )


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix(_BOM)
    raw = bytes(data)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows editors' "Unicode": the generic message would only name byte 0xff.
        raise SourceFormatError("UTF-16 text, not UTF-8: save the file as UTF-8")
    offset = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        bad = error.object[error.start]
        raise SourceFormatError(
            f"not UTF-8 text (invalid byte 0x{bad:02x} at position {error.start + offset})"
        ) from None


def _split_front_matter(lines: list[str]) -> tuple[list[tuple[int, str]], int]:
    """The front-matter lines (with their 1-based numbers) and the index of the body."""
    if not lines or not _FRONT_MATTER_FENCE.match(lines[0]):
        raise SourceFormatError("no front matter: the file must start with a '---' line")
    for index in range(1, len(lines)):
        if _FRONT_MATTER_FENCE.match(lines[index]):
            return [(n + 1, lines[n]) for n in range(1, index)], index + 1
    raise SourceFormatError("unclosed front matter: no closing '---' line after line 1")


def _parse_front_matter(lines: list[tuple[int, str]]) -> dict[str, str | list[str]]:
    meta: dict[str, str | list[str]] = {}
    current_list: list[str] | None = None  # the block list being read, if any
    current_key = ""
    for number, raw in lines:
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _ITEM_LINE.match(line)
        if item and current_list is not None:
            value = _scalar(item["value"] or "", number)
            if not value:
                raise SourceFormatError(f"front matter line {number}: empty list item")
            current_list.append(value)
            continue
        if item:
            raise SourceFormatError(
                f"front matter line {number}: a list item with no 'key:' line above it"
            )
        if line[0] in " \t":
            raise SourceFormatError(
                f"front matter line {number}: nested values are not supported, got {snippet(line)}"
            )
        match = _KEY_LINE.match(line)
        if not match:
            raise SourceFormatError(
                f"front matter line {number}: expected 'key: value', got {snippet(line)}"
            )
        key = match["key"]
        if key not in KNOWN_KEYS:
            raise SourceFormatError(
                f"front matter line {number}: unknown key {key!r} (known: {', '.join(KNOWN_KEYS)})"
            )
        if key in meta:
            raise SourceFormatError(f"front matter line {number}: {key!r} given twice")
        if current_key:
            _check_type(current_key, meta[current_key])
        value_text = (match["value"] or "").strip()
        current_key = key
        if not value_text or value_text.startswith("#"):
            # Either a scalar left empty or the head of a block list; the lines decide.
            current_list = []
            meta[key] = current_list
        elif value_text.startswith("["):
            current_list = None
            meta[key] = _flow_list(value_text, number)
        else:
            current_list = None
            meta[key] = _scalar(value_text, number)
    if current_key:
        _check_type(current_key, meta[current_key])
    # An empty value with no items under it is an empty string for a scalar key.
    return {
        key: ("" if key != "other_names" and value == [] else value) for key, value in meta.items()
    }


def _check_type(key: str, value: str | list[str]) -> None:
    if key == "other_names" and isinstance(value, str):
        raise SourceFormatError(
            f"front matter 'other_names' must be a list, e.g. [Revia, Vivitrol], not {value!r}"
        )
    if key != "other_names" and isinstance(value, list) and value:
        raise SourceFormatError(f"front matter {key!r} must be a single value, not a list")


def _scalar(text: str, number: int) -> str:
    """A plain or quoted YAML scalar on one line (a trailing ``# comment`` is dropped)."""
    text = text.strip()
    if text.startswith('"'):
        match = re.match(r'^"((?:[^"\\]|\\.)*)"[ \t]*(?:#.*)?$', text)
        if not match:
            raise SourceFormatError(f"front matter line {number}: unclosed or invalid quotes")
        try:
            return json.loads(f'"{match[1]}"')
        except ValueError:
            raise SourceFormatError(
                f"front matter line {number}: invalid escape in a quoted value"
            ) from None
    if text.startswith("'"):
        match = re.match(r"^'((?:[^']|'')*)'[ \t]*(?:#.*)?$", text)
        if not match:
            raise SourceFormatError(f"front matter line {number}: unclosed or invalid quotes")
        return match[1].replace("''", "'")
    if text[:1] in ("{", "|", ">", "&", "*", "!", "%", "@", "`"):
        raise SourceFormatError(
            f"front matter line {number}: only plain values and lists are supported, "
            f"got {snippet(text)}"
        )
    return re.split(r"[ \t]#", text, maxsplit=1)[0].strip()


def _flow_list(text: str, number: int) -> list[str]:
    text = re.sub(r"\][ \t]*#.*$", "]", text)
    if not text.endswith("]"):
        raise SourceFormatError(f"front matter line {number}: a '[' list must end with ']'")
    parts: list[str] = []
    current, quote, index = "", "", 1
    while index < len(text) - 1:
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                current += text[index : index + 2]
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'" and not current.strip():
            quote = char
        elif char in "[]{}":
            raise SourceFormatError(f"front matter line {number}: nested lists are not supported")
        elif char == ",":
            parts.append(current)
            current = ""
            index += 1
            continue
        current += char
        index += 1
    parts.append(current)
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()  # YAML allows one trailing comma
    if len(parts) == 1 and not parts[0].strip():
        return []
    items = []
    for part in parts:
        value = _scalar(part, number) if part.strip() else ""
        if not value:
            raise SourceFormatError(f"front matter line {number}: empty list item")
        items.append(value)
    return items


def fence_step(line: str, fence: str | None) -> tuple[str | None, bool]:
    """Track fenced code: the fence open after ``line`` and whether ``line`` is a fence line."""
    code = _CODE_FENCE.match(line)
    if not code:
        return fence, False
    if fence is None:
        # A backtick fence's info string cannot contain backticks (CommonMark): then it is text.
        if code["fence"][0] == "`" and "`" in code["info"]:
            return None, False
        return code["fence"], True
    if code["fence"].startswith(fence) and not code["info"].strip():
        return None, True
    return fence, False


def _split_blocks(lines: list[str], start: int) -> list[_Block]:
    """The body cut at ``###`` headings (outside fenced code); the first block has none."""
    blocks = [_Block(heading=None, line=start + 1, lines=[])]
    fence: str | None = None
    fence_line = 0
    for index in range(start, len(lines)):
        line = lines[index]
        was_open = fence is not None
        fence, is_fence = fence_step(line, fence)
        if is_fence and not was_open:
            fence_line = index + 1
        if not was_open and not is_fence:
            heading = H3.match(line)
            if heading:
                text = (heading["text"] or "").strip()
                if not text.strip("#"):  # "### ###" is an empty heading with a closing run
                    raise SourceFormatError(f"line {index + 1}: empty '###' heading")
                blocks.append(_Block(heading=_squash(text), line=index + 1, lines=[]))
                continue
        blocks[-1].lines.append(line)
    if fence is not None:
        # Markdown would run the code block to the end of the file and swallow every
        # heading after it: almost certainly a missing closing fence.
        raise SourceFormatError(
            f"line {fence_line}: code block opened with {fence!r} is never closed"
        )
    return blocks


def _take_h1_title(block: _Block) -> str:
    """Remove the first ``# Title`` line (outside code) from the leading block; its text."""
    fence: str | None = None
    for index, line in enumerate(block.lines):
        was_open = fence is not None
        fence, is_fence = fence_step(line, fence)
        if was_open or is_fence:
            continue
        match = _H1.match(line)
        if match and (match["text"] or "").strip():
            del block.lines[index]
            return match["text"].strip()
    return ""


def _take_closing_disclaimer(blocks: list[_Block]) -> tuple[str, _Block | None]:
    """Cut the file's last paragraph out of the last block when it is ``**Disclaimer:** ...``."""
    block = blocks[-1]
    end = len(block.lines)
    while end and not block.lines[end - 1].strip():
        end -= 1
    start = end
    # A paragraph runs back to a blank line or to a heading line (which ends a paragraph).
    while (
        start and block.lines[start - 1].strip() and not _ANY_HEADING.match(block.lines[start - 1])
    ):
        start -= 1
    if start == end or not _DISCLAIMER_LABEL.match(block.lines[start]):
        return "", None
    fence: str | None = None
    for line in block.lines[:start]:
        fence, _ = fence_step(line, fence)
    if fence is not None:
        return "", None  # the "paragraph" is the end of a code block
    paragraph = "\n".join(block.lines[start:end])
    del block.lines[start:]
    return _DISCLAIMER_LABEL.sub("", paragraph, count=1).strip(), block


def _strip_blank_edges(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def _squash(text: str) -> str:
    return " ".join(text.split())


def snippet(line: str, limit: int = 40) -> str:
    line = line.strip()
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")


# ---------------------------------------------------------------------------- write


def write(content: MonographContent) -> str:
    """The source text of ``content``, laid out like the seed, ending with one newline."""
    title = _squash(content.title)
    head = ["---"]
    if content.layout:
        head.append(f"layout: {_yaml_scalar(content.layout)}")
    head.append(f"title: {_yaml_scalar(title)}")
    if content.other_names:
        head.append("other_names:")
        head.extend(f"  - {_yaml_scalar(name)}" for name in content.other_names)
    generic_name = _squash(content.generic_name) or title
    head += ["---", "", f"# {_heading(title)}", "### Generic Name", _name_line(generic_name)]
    chunks = [
        f"### {_heading(section.heading)}\n\n{_body(section.body)}".rstrip("\n")
        for section in content.sections
    ]
    disclaimer = _body(content.disclaimer)
    last_body = _body(content.sections[-1].body) if content.sections else ""
    _, labelled = _take_closing_disclaimer([_Block(None, 0, last_body.split("\n"))])
    closing = f"**Disclaimer:** {disclaimer}"
    read_back, _ = _take_closing_disclaimer([_Block(None, 0, closing.split("\n"))])
    has_fence = any(_CODE_FENCE.match(line) for line in disclaimer.split("\n"))
    if labelled or has_fence or read_back != disclaimer:
        # A closing paragraph is one Markdown paragraph, so a longer disclaimer needs its
        # own section; so does a last section that itself ends with a "**Disclaimer:**"
        # paragraph, which would otherwise be read back as the disclaimer.
        if _DISCLAIMER_LABEL.match(disclaimer):
            disclaimer = f"**Disclaimer:** {disclaimer}"  # parse drops one leading label
        chunks.append(f"### Disclaimer\n\n{disclaimer}".rstrip("\n"))
    elif disclaimer:
        chunks.append(f"**Disclaimer:** {disclaimer}")
    # Like the seed: one blank line after the generic name, two between sections.
    text = "\n".join(head)
    if chunks:
        text += "\n\n" + "\n\n\n".join(chunks)
    return text + "\n"


def _heading(text: str) -> str:
    # A heading ending in "#"s would lose them as a closing sequence; an explicit closing
    # sequence keeps them.
    text = _squash(text)
    return f"{text} #" if re.search(r"(?:^|[ \t])#+$", text) else text


def _name_line(name: str) -> str:
    # A bare line that opens a code block, is a heading or a disclaimer label would be
    # read back as that; a Markdown backslash escape keeps it a name.
    if (
        _CODE_FENCE.match(name)
        or _ANY_HEADING.match(name)
        or _DISCLAIMER_LABEL.match(name)
        or name.startswith("\\")
    ):
        return "\\" + name
    return name


def _body(text: str) -> str:
    # Text typed into a browser arrives with CRLF line ends; the file uses LF.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _strip_blank_edges(lines)


def _yaml_scalar(value: str) -> str:
    value = _squash(value)
    if (
        not value
        or _YAML_SPECIAL.match(value)
        or ": " in value
        or " #" in value
        or value.endswith(":")
    ):
        return json.dumps(value, ensure_ascii=False)
    return value

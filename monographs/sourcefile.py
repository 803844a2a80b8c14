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

- The front matter is YAML, read with PyYAML's safe loader (``yaml.compose``, no
  constructors run) with every scalar read as the text written (``1.10`` or ``true`` stay
  text). Only ``layout`` and ``title`` (one value each) and ``other_names`` (a flow or
  block list; ``write`` uses a block list) are known; any other key is refused, because the
  content model has nowhere to keep it and an import must not drop what an author wrote
  without saying so. YAML tags and nested values are refused; errors name the file's line.
- The title comes from the front matter and/or the ``# Title`` line; when both are given
  they must agree (otherwise which one the author meant is a guess).
- Text between the title and the first ``###`` heading is kept as a leading "Overview"
  section (export writes it back with an explicit ``### Overview`` heading).
- ``### Generic Name`` is not a section: its one line is the generic name (default: the
  title). ``### Disclaimer`` is not a section either: its body is the disclaimer, like a
  closing ``**Disclaimer:**`` paragraph; a file may have one or the other, not both.
- Names (title, generic name, other names, layout, headings) are one line each: runs of
  spaces in them are read as one space. The content rules (no invisible characters, at
  most 200 characters, section sizes) are ``validation.py``'s, the same as the admin's.
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

import yaml

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


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with every scalar read as the text written: a name is text, so
    ``1.10``, ``true`` or ``2024-01-01`` stay as they are (YAML would make them a number, a
    boolean, a date)."""


_FrontMatterLoader.yaml_implicit_resolvers = {}


def _parse_front_matter(lines: list[tuple[int, str]]) -> dict[str, str | list[str]]:
    """The front matter, read with PyYAML's safe loader: ``layout``, ``title`` (one value
    each) and ``other_names`` (a list of names); anything else is refused with its line."""
    if not lines:
        return {}
    first = lines[0][0]  # the file's line number of the front matter's first line
    text = "\n".join(raw for _, raw in lines) + "\n"
    try:
        node = yaml.compose(text, Loader=_FrontMatterLoader)
    except yaml.MarkedYAMLError as error:
        raise SourceFormatError(_yaml_error(error, lines, first)) from None
    except yaml.reader.ReaderError as error:  # a control character YAML does not read
        line = first + text[: error.position].count("\n")
        char = error.character if isinstance(error.character, str) else chr(error.character)
        raise SourceFormatError(
            f"front matter line {line}: contains an invisible character, U+{ord(char):04X}; "
            "remove it"
        ) from None
    except yaml.YAMLError as error:
        raise SourceFormatError("front matter: " + " ".join(str(error).split())) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        line = first + node.start_mark.line
        if isinstance(node, yaml.SequenceNode):
            raise SourceFormatError(
                f"front matter line {line}: a list item with no 'key:' line above it"
            )
        raise SourceFormatError(
            f"front matter line {line}: expected 'key: value', got {snippet(lines[0][1])}"
        )
    meta: dict[str, str | list[str]] = {}
    for key_node, value_node in node.value:
        line = first + key_node.start_mark.line
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in KNOWN_KEYS:
            shown = key if key else _snippet_of(lines, key_node.start_mark.line)
            raise SourceFormatError(
                f"front matter line {line}: unknown key {shown!r} (known: {', '.join(KNOWN_KEYS)})"
            )
        if key in meta:
            raise SourceFormatError(f"front matter line {line}: {key!r} given twice")
        meta[key] = _front_matter_value(key, value_node, first)
    return meta


_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq"}


def _front_matter_value(key: str, node: yaml.Node, first: int) -> str | list[str]:
    line = first + node.start_mark.line
    for part in [node] + (node.value if isinstance(node, yaml.SequenceNode) else []):
        if isinstance(part, yaml.Node) and part.tag not in _PLAIN_TAGS | {"tag:yaml.org,2002:map"}:
            raise SourceFormatError(
                f"front matter line {first + part.start_mark.line}: only plain values and "
                f"lists are supported, got the YAML tag {part.tag!r}"
            )
    if isinstance(node, yaml.MappingNode):
        raise SourceFormatError(
            f"front matter line {line}: only plain values and lists are supported, "
            f"not a mapping under {key!r}"
        )
    if key != "other_names":
        if isinstance(node, yaml.SequenceNode):
            raise SourceFormatError(f"front matter {key!r} must be a single value, not a list")
        return node.value
    if isinstance(node, yaml.ScalarNode):
        if not node.value:
            return []  # "other_names:" with nothing after it
        raise SourceFormatError(
            f"front matter 'other_names' must be a list, e.g. [Revia, Vivitrol], not {node.value!r}"
        )
    names: list[str] = []
    for item in node.value:
        item_line = first + item.start_mark.line
        if isinstance(item, yaml.SequenceNode):
            raise SourceFormatError(
                f"front matter line {item_line}: nested lists are not supported"
            )
        if isinstance(item, yaml.MappingNode):
            raise SourceFormatError(
                f"front matter line {item_line}: only plain values and lists are supported"
            )
        if not item.value.strip():
            raise SourceFormatError(f"front matter line {item_line}: empty list item")
        names.append(item.value)
    return names


def _snippet_of(lines: list[tuple[int, str]], index: int) -> str:
    return snippet(lines[index][1]) if 0 <= index < len(lines) else "''"


def _yaml_error(error: yaml.MarkedYAMLError, lines: list[tuple[int, str]], first: int) -> str:
    """PyYAML's error as one line with the file's line number, in the words this reader
    used before for the common mistakes."""
    context, problem = error.context or "", error.problem or "YAML error"
    mark = error.context_mark if error.context_mark is not None else error.problem_mark
    at = mark.line if mark is not None else 0
    problem_at = error.problem_mark.line if error.problem_mark is not None else at
    if "simple key" in context and "expected ':'" in problem:
        return (
            f"front matter line {first + at}: expected 'key: value', got {_snippet_of(lines, at)}"
        )
    if "quoted scalar" in context:
        return f"front matter line {first + at}: unclosed or invalid quotes"
    if "flow sequence" in context and "expected ',' or ']'" in problem:
        return f"front matter line {first + at}: a '[' list must end with ']'"
    if "flow node" in context and "found ','" in problem:
        return f"front matter line {first + at}: empty list item"
    if "mapping values are not allowed" in problem:
        raw = lines[problem_at][1] if problem_at < len(lines) else ""
        if raw[:1] in (" ", "\t"):
            return (
                f"front matter line {first + problem_at}: nested values are not supported, "
                f"got {snippet(raw)}"
            )
        return f"front matter line {first + problem_at}: {problem} (quote a value that holds ': ')"
    return f"front matter line {first + problem_at}: {problem}"


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

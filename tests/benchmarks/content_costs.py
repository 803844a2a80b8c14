"""`make bench-content`: the worst cost of rendering and diffing a section, at the size limit.

Times monographs.rendering.render_markdown (as a section body is rendered, heading_offset=2),
rendering.render_inline (FAQ questions and answers) and monographs.diff.word_diff on
pathological inputs: the red team's families (issue 9: "``a`", "a\\n=\\n", "---\\n"), and the
others that make Markdown renderers, HTML parsers or difflib super-linear (unclosed and nested
brackets, emphasis runs, long tables, deep lists and quotes, nested raw HTML, reference links,
entity runs, ...), each filled to MEDSITE_MAX_SECTION_CHARS (100,000 characters by default).

Each case runs BENCH_CONTENT_REPEAT times (3); the median CPU time of this process is reported
(what the work costs, whatever else the machine is doing; on an idle machine the wall-clock
time is the same, single-threaded), with the median wall-clock time beside it. The run fails
(exit 1) if any median CPU time is over BENCH_CONTENT_LIMIT seconds (1.0). No database, no
server. `BENCH_CONTENT_ONLY=word` runs only the cases whose name has "word".
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medsite.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from monographs.diff import diff_granularity, word_diff  # noqa: E402
from monographs.rendering import render_inline, render_markdown  # noqa: E402

LIMIT = int(getattr(settings, "MEDSITE_MAX_SECTION_CHARS", 100_000))
REPEAT = int(os.environ.get("BENCH_CONTENT_REPEAT", "3"))
BOUND = float(os.environ.get("BENCH_CONTENT_LIMIT", "1.0"))
ONLY = os.environ.get("BENCH_CONTENT_ONLY", "")


def fill(unit: str, size: int = LIMIT) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def nested(opener: str, middle: str, closer: str) -> str:
    depth = (LIMIT - len(middle)) // (len(opener) + len(closer))
    return opener * depth + middle + closer * depth


def prose(seed: int, size: int = LIMIT, vocabulary: list[str] | None = None) -> str:
    rng = random.Random(seed)
    words = vocabulary or [
        "the", "of", "and", "to", "in", "is", "for", "with", "mg", "dose", "daily", "take",
        "liver", "kidney", "may", "can", "side", "effects", "tablet", "doctor", "pharmacist",
        "alcohol", "opioid", "patients", "treatment", "risk",
    ]  # fmt: skip
    out: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(5, 20)))
        sentence = sentence.capitalize() + (". \n\n" if rng.random() < 0.15 else ". ")
        out.append(sentence)
        length += len(sentence)
    return "".join(out)[:size]


def reference_links() -> str:
    uses = "".join(f"[r{i}] " for i in range(6000))
    definitions = "".join(f"\n[r{i}]: /x{i}" for i in range(4000))
    return (uses + "\n" + definitions)[:LIMIT]


def deep_list(indent: int) -> str:
    lines: list[str] = []
    length = 0
    level = 0
    while length < LIMIT:
        line = " " * (indent * level) + "- x"
        lines.append(line)
        length += len(line) + 1
        level = (level + 1) % 300
    return "\n".join(lines)[:LIMIT]


RENDER_CASES: dict[str, str] = {
    # The red team's three (issue 9, finding 2).
    "backtick runs ``a`": fill("``a`"),
    "setext headings a\\n=\\n": fill("a\n=\n"),
    "thematic breaks ---\\n": fill("---\n"),
    # Brackets, links and images.
    "unclosed brackets [": fill("["),
    "nested brackets [[[x]]]": nested("[", "x", "]"),
    "unclosed image brackets ![": fill("!["),
    "unclosed link targets [a](": fill("[a]("),
    "angle link targets [a](<": fill("[a](<"),
    "bracket and parenthesis mix": fill("[(]"),
    "links [a](/b)": fill("[a](/b) "),
    "images ![a](/media/x.png)": fill("![a](/media/x.png) "),
    "reference links and definitions": reference_links(),
    "link definitions only": fill("[a]: /u\n"),
    # Emphasis and code.
    "emphasis runs **a": fill("**a"),
    "underscore emphasis _a": fill("_a"),
    "nested emphasis *a **b": nested("*a **b ", "c", "** d*"),
    "alternating *_": fill("*_"),
    "mixed delimiters": fill("*a_b**c__"),
    "line of *": fill("*"),
    "line of _": fill("_"),
    "code spans `a`": fill("`a` "),
    "unclosed backticks": fill("`"),
    # Blocks.
    "long table": "| a | b | c |\n|---|---|---|\n" + fill("| 1 | `2|3` | 4 |\n", LIMIT - 30),
    "wide table": ("|" + "a|" * (LIMIT // 4) + "\n|" + "-|" * (LIMIT // 4) + "\n")[:LIMIT],
    "many list items": fill("- x\n"),
    "deep 2-space lists": deep_list(2),
    "deep 4-space lists": deep_list(4),
    "nested numbered lists": fill("1. a\n   1. b\n      1. c\n"),
    "list markers on one line - - -": fill("- "),
    "nested blockquotes >>>": fill(">"),
    "quote and list mix > - >": fill("> - "),
    "lazy quote lines": fill(">a\nb\n"),
    "atx headings": fill("# a\n"),
    "setext dashes a\\n-\\n": fill("a\n-\n"),
    "many fences": fill("```\n"),
    "unclosed fence": "```\n" + fill("x\n", LIMIT - 4),
    "hard breaks": fill("a  \n"),
    "star lines *\\n": fill("*\n"),
    "list after paragraph": fill("a\n* b\n"),
    # Raw HTML, comments, entities.
    "nested <div>": nested("<div>", "x", "</div>"),
    "unclosed <div>": fill("<div>"),
    "nested <span><div>": nested("<span><div>", "x", ""),
    "unclosed tags <a ": fill("<a "),
    "unclosed autolinks <http://a": fill("<http://a"),
    "raw inline tags <b>x</b>": fill("<b>x</b>"),
    "unclosed comments <!--": fill("<!-- a "),
    "comments <!-- a -->": fill("<!-- a -->"),
    "named entities &amp;": fill("&amp;"),
    "numeric entities &#123;": fill("&#123;"),
    "backslashes": fill("\\"),
    "script shapes": fill('<img src=x onerror=alert(1)><a href="javascript:x">y</a>'),
    # Ordinary text.
    "prose": prose(1),
    "one long line": fill("word "),
}

_RARE = [f"w{n}" for n in range(5000)]
_BASE = prose(1)
_LINES = [f"* line {i} of the list" for i in range(6000)]
_SHUFFLED = _LINES[:]
random.Random(3).shuffle(_SHUFFLED)
DIFF_CASES: dict[str, tuple[str, str]] = {
    "two unrelated 34 kB texts (finding 3)": (prose(1, 34_000), prose(2, 34_000)),
    "two unrelated texts": (prose(1), prose(2)),
    "two unrelated texts, rare words": (prose(1, vocabulary=_RARE), prose(2, vocabulary=_RARE)),
    "one word changed": (_BASE, _BASE[: LIMIT // 2] + "X" + _BASE[LIMIT // 2 + 1 :]),
    "every other word changed": (
        _BASE,
        " ".join(w if i % 2 else "changed" for i, w in enumerate(_BASE.split(" "))),
    ),
    "one word repeated": (fill("a "), fill("a ", LIMIT - 2) + "b "),
    "two words alternating": (fill("a b "), fill("b a ")),
    "lines shuffled": ("\n".join(_LINES), "\n".join(_SHUFFLED)),
    "a word inserted in every line": (
        "\n".join(_LINES),
        "\n".join(line.replace(" of ", " of the ") for line in _LINES),
    ),
    "one long line each": (fill("x" * 50 + " "), fill("y" * 50 + " ")),
    "identical lines": (fill("x\n"), fill("y\n")),
    "blank lines against text": (fill("\n"), fill("a\n")),
    "punctuation": (fill(".,;"), fill(";,.")),
    "backtick runs against setext": (fill("``a`"), fill("a\n=\n")),
    "whitespace only": (fill(" "), fill("\t")),
}


def median_time(function, *args, **kwargs) -> tuple[float, float]:
    """(median CPU seconds, median wall-clock seconds) of REPEAT calls."""
    cpu, wall = [], []
    for _ in range(REPEAT):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        function(*args, **kwargs)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return statistics.median(cpu), statistics.median(wall)


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Section size limit: {LIMIT:,} characters; median of {REPEAT} runs; bound {BOUND} s "
        f"CPU; load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"\n{'render case':38} {'chars':>8} {'block cpu/wall s':>17} {'inline cpu/wall s':>18}")
    worst_render = (0.0, "", 0.0)
    for name, text in RENDER_CASES.items():
        if ONLY and ONLY not in name:
            continue
        block = median_time(render_markdown, text, heading_offset=2)
        inline = median_time(render_inline, text)
        worst_render = max(worst_render, (*block[:1], name, block[1]))
        worst_render = max(worst_render, (inline[0], name + " (inline)", inline[1]))
        print(
            f"{name:38} {len(text):>8,} {block[0]:>8.3f}/{block[1]:<8.3f} "
            f"{inline[0]:>8.3f}/{inline[1]:<8.3f}",
            flush=True,
        )
    print(f"\n{'diff case':38} {'chars':>8} {'cpu/wall s':>17}  granularity")
    worst_diff = (0.0, "", 0.0)
    for name, (old, new) in DIFF_CASES.items():
        if ONLY and ONLY not in name:
            continue
        cpu, wall = median_time(word_diff, old, new)
        worst_diff = max(worst_diff, (cpu, name, wall))
        print(
            f"{name:38} {max(len(old), len(new)):>8,} {cpu:>8.3f}/{wall:<8.3f}  "
            f"{diff_granularity(old, new)}",
            flush=True,
        )
    print(
        f"\nWorst render: {worst_render[0]:.3f} s CPU, {worst_render[2]:.3f} s wall "
        f"({worst_render[1]})"
    )
    print(f"Worst diff:   {worst_diff[0]:.3f} s CPU, {worst_diff[2]:.3f} s wall ({worst_diff[1]})")
    over = worst_render[0] > BOUND or worst_diff[0] > BOUND
    if over:
        print(f"OVER THE {BOUND} s BOUND")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

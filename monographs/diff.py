"""Section-by-section comparison of two monograph contents, for reviewers and editors.

Word-level marks on the Markdown source (``difflib`` over word tokens), every piece of text
escaped before it is wrapped in ``<del>``/``<ins>``, so what an editor typed can never become
markup in the admin. The rendered side goes through the one sanitizer (``rendering``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .content import MonographContent, Section
from .rendering import render_markdown

# Words, runs of whitespace, and single punctuation marks: a changed comma does not mark
# the whole word next to it, and whitespace changes stay visible but small.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Split text into word, whitespace and punctuation tokens; joining them gives it back."""
    return _TOKEN.findall(text or "")


# --- cost bounds -------------------------------------------------------------------------------
# difflib's matcher costs, in the worst case, the product of the two lengths (two unrelated 34 kB
# texts took 15 s). Here the unchanged start and end are set aside first (linear), the rest is
# compared word by word only while the matcher's work stays under a budget, then line by line
# under the same budget, and a change that is too large for both is shown as one deletion and
# one insertion. Every screen that shows a diff (review, compare, revert, conflict) goes
# through word_diff, so none can take long whatever the two texts are.
WORD_DIFF_MAX_TOKENS = 6_000  # changed part, both sides together, for a word-by-word pass
LINE_DIFF_MAX_LINES = 6_000  # the same for a line-by-line pass
HUNK_WORD_MAX_TOKENS = 2_000  # a changed run of lines is compared word by word below this
MATCH_BUDGET = 400_000  # comparisons difflib may make for one text (a few hundredths of a second)

GRANULARITY_WORD = "word"
GRANULARITY_LINE = "line"
GRANULARITY_WHOLE = "whole"
GRANULARITY_NOTES = {
    GRANULARITY_WORD: "",
    GRANULARITY_LINE: (
        "This change is too large to compare word by word everywhere: some lines are shown "
        "whole, as removed and added."
    ),
    GRANULARITY_WHOLE: (
        "This change is too large to compare: the old text is shown as removed and the new "
        "text as added."
    ),
}


class _OverBudget(Exception):
    pass


class _BudgetedMatcher(difflib.SequenceMatcher):
    """A SequenceMatcher that gives up (``_OverBudget``) once its inner loop could have run
    more than ``budget`` times.

    find_longest_match(alo, ahi, ...) visits, for each a[i] in range, at most every position of
    a[i] in b: a prefix sum of those counts bounds each call's work in O(1).
    """

    def __init__(self, a: list[str], b: list[str], budget: int, junk=None) -> None:
        self._budget = budget
        super().__init__(junk, a, b, autojunk=False)

    def set_seq2(self, b):  # type: ignore[no-untyped-def]
        super().set_seq2(b)
        self._prefix = None

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):  # type: ignore[no-untyped-def]
        if self._prefix is None:
            counts = [len(self.b2j.get(token, ())) for token in self.a]
            prefix = [0]
            for count in counts:
                prefix.append(prefix[-1] + count)
            self._prefix = prefix
        high = len(self.a) if ahi is None else ahi
        self._budget -= self._prefix[high] - self._prefix[alo] + (high - alo) + 1
        if self._budget < 0:
            raise _OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


def _is_blank(token: str) -> bool:
    return not token.strip()


# An operation: ("equal", text, text) or ("change", removed text, added text).
_Op = tuple[str, str, str]


def _ops(a: list[str], b: list[str], budget: list[int]) -> list[_Op]:
    """Operations turning tokens ``a`` into ``b`` (raises _OverBudget)."""
    matcher = _BudgetedMatcher(a, b, budget[0], junk=_is_blank)
    try:
        opcodes = matcher.get_opcodes()
    finally:
        budget[0] = matcher._budget  # noqa: SLF001 - what is left for the next pass
    return [
        ("equal" if op == "equal" else "change", "".join(a[i1:i2]), "".join(b[j1:j2]))
        for op, i1, i2, j1, j2 in opcodes
    ]


def _common_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """Lengths of the common prefix and of the common suffix (not overlapping)."""
    limit = min(len(a), len(b))
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def _line_ops(old: str, new: str, budget: list[int]) -> tuple[list[_Op], str]:
    """Line-by-line operations, with word marks inside small changed runs of lines."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if len(a) + len(b) > LINE_DIFF_MAX_LINES:
        raise _OverBudget
    granularity = GRANULARITY_WORD
    ops: list[_Op] = []
    for op, removed, added in _ops(a, b, budget):
        if op == "equal" or not removed or not added:
            ops.append((op, removed, added))
            continue
        # A token is a character at least: a longer run of lines is not even tokenized.
        small = len(removed) + len(added) <= 8 * HUNK_WORD_MAX_TOKENS
        ta, tb = (tokenize(removed), tokenize(added)) if small else ([], [])
        if small and len(ta) + len(tb) <= HUNK_WORD_MAX_TOKENS:
            try:
                ops.extend(_ops(ta, tb, budget))
                continue
            except _OverBudget:
                budget[0] = max(budget[0], 0)
        ops.append((op, removed, added))
        granularity = GRANULARITY_LINE
    return ops, granularity


def text_diff(old: str, new: str) -> tuple[list[_Op], str]:
    """Operations turning ``old`` into ``new`` and how fine they are: "word" (every change
    marked word by word), "line" (some runs of lines only as whole lines) or "whole" (the
    changed part as one deletion and one insertion). Bounded cost whatever the texts."""
    a, b = tokenize(old), tokenize(new)
    head, tail = _common_ends(a, b)
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    prefix, suffix = "".join(a[:head]), "".join(a[len(a) - tail :])
    ops: list[_Op] = [("equal", prefix, prefix)] if prefix else []
    budget = [MATCH_BUDGET]
    middle: list[_Op] | None = None
    granularity = GRANULARITY_WORD
    if not mid_a or not mid_b:
        middle = [("change", "".join(mid_a), "".join(mid_b))] if mid_a or mid_b else []
    elif len(mid_a) + len(mid_b) <= WORD_DIFF_MAX_TOKENS:
        try:
            middle = _ops(mid_a, mid_b, budget)
        except _OverBudget:
            budget[0] = MATCH_BUDGET  # the line pass gets its own budget
    if middle is None:
        old_middle, new_middle = "".join(mid_a), "".join(mid_b)
        try:
            middle, granularity = _line_ops(old_middle, new_middle, budget)
        except _OverBudget:
            middle, granularity = [("change", old_middle, new_middle)], GRANULARITY_WHOLE
    ops.extend(middle)
    if suffix:
        ops.append(("equal", suffix, suffix))
    return ops, granularity


def word_diff(old: str, new: str) -> SafeString:
    """HTML of ``new`` with words removed since ``old`` in ``<del>`` and added ones in ``<ins>``.

    All text is escaped; the only markup in the result is the ``del``/``ins`` tags (and, for a
    change too large to compare word by word, a ``<p class="ms-diff-note">`` saying so first).
    A change made only of characters that show nothing (spaces, line breaks, zero-width
    characters) is spelled out with visible marks, so a reviewer does not approve a change they
    cannot see (two trailing spaces, for one, make a line break in Markdown).
    """
    ops, granularity = text_diff(old or "", new or "")
    out: list[str] = []
    note = GRANULARITY_NOTES[granularity]
    if note:
        out.append(f'<p class="ms-diff-note" role="note">{escape(note)}</p>')
    for removed, added, same in _chunks(ops):
        if removed:
            out.append(_mark("del", removed))
        if added:
            out.append(_mark("ins", added))
        out.append(escape(same))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def diff_granularity(old: str, new: str) -> str:
    """ "word", "line" or "whole": how finely word_diff(old, new) marks the change."""
    return text_diff(old or "", new or "")[1]


_SHOWN_AS = {" ": "·", "\t": "→", "\n": "↵\n", "\u00a0": "⍽"}


def _invisible(text: str) -> bool:
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs") for ch in text)


def _mark(tag: str, text: str) -> str:
    if not _invisible(text):
        return f"<{tag}>{escape(text)}</{tag}>"
    shown = "".join(_SHOWN_AS.get(ch, f"⟨U+{ord(ch):04X}⟩") for ch in text)
    what = "spaces or line breaks only" if text.isspace() else "invisible characters"
    return f'<{tag} class="ms-invisible" title="{what}">{escape(shown)}</{tag}>'


def diff_chunks(old: str, new: str) -> list[tuple[str, str, str]]:
    """(removed, added, unchanged-after) runs of the bounded diff: exactly what word_diff
    marks, for screens that mark the change their own way."""
    return _chunks(text_diff(old or "", new or "")[0])


def _chunks(ops: list[_Op], b: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(removed, added, unchanged-after) runs. A bare space between two changes is folded
    into them, so a rewritten sentence reads as one deletion and one insertion instead of
    alternating single words.

    ``_chunks(tokens_a, tokens_b)`` (the old form, two token lists) still works and goes
    through the bounded diff; new code calls diff_chunks(old, new)."""
    if b is not None:
        return diff_chunks("".join(ops), "".join(b))  # type: ignore[arg-type]
    merged: list[_Op] = []
    for op in ops:  # adjacent operations of one kind (from different passes) become one
        if merged and merged[-1][0] == op[0]:
            last = merged[-1]
            merged[-1] = (op[0], last[1] + op[1], last[2] + op[2])
        elif op[1] or op[2]:
            merged.append(op)
    chunks: list[list[str]] = [["", "", ""]]
    for index, (op, removed, added) in enumerate(merged):
        current = chunks[-1]
        if op != "equal":
            current[0] += removed
            current[1] += added
            continue
        between_changes = 0 < index < len(merged) - 1 and (current[0] or current[1])
        if between_changes and not removed.strip():
            current[0] += removed
            current[1] += removed
        else:
            current[2] = removed
            chunks.append(["", "", ""])
    return [(r, i, s) for r, i, s in chunks if r or i or s]


def render(text: str) -> SafeString:
    """Sanitized HTML of a section body, with headings nested below the section heading."""
    return mark_safe(render_markdown(text, heading_offset=2))  # noqa: S308 - nh3-sanitized


@dataclass
class FieldChange:
    """One monograph-level field (title, names, disclaimer)."""

    name: str
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def diff_html(self) -> SafeString:
        return word_diff(self.old, self.new)


@dataclass
class SectionChange:
    key: str
    status: str  # "added" | "removed" | "changed" | "unchanged"
    old: Section | None
    new: Section | None

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"

    @property
    def heading(self) -> str:
        return (self.new or self.old).heading  # type: ignore[union-attr]

    @property
    def heading_changed(self) -> bool:
        return bool(self.old and self.new and self.old.heading != self.new.heading)

    @property
    def old_heading(self) -> str:
        return self.old.heading if self.old else ""

    @property
    def heading_diff_html(self) -> SafeString:
        return word_diff(self.old_heading, self.new.heading if self.new else "")

    @property
    def diff_html(self) -> SafeString:
        return word_diff(self.old.body if self.old else "", self.new.body if self.new else "")

    @property
    def rendered_html(self) -> SafeString:
        """The section as the public would see it (the old text for a removed section)."""
        section = self.new or self.old
        return render(section.body if section else "")


@dataclass
class ContentDiff:
    fields: list[FieldChange] = field(default_factory=list)
    sections: list[SectionChange] = field(default_factory=list)
    first_publication: bool = False
    order_changed: bool = False

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def changed_sections(self) -> list[SectionChange]:
        return [s for s in self.sections if s.changed]

    @property
    def unchanged_sections(self) -> list[SectionChange]:
        return [s for s in self.sections if not s.changed]

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_fields or self.changed_sections or self.order_changed)

    @property
    def changed_keys(self) -> list[str]:
        """What changed, as keys: names first, then sections (new order, removed ones
        after), then "disclaimer". A section added, removed, renamed or edited counts; a
        move alone does not."""
        names = [f.name for f in self.changed_fields if f.name != "disclaimer"]
        disclaimer = [f.name for f in self.changed_fields if f.name == "disclaimer"]
        return names + [s.key for s in self.changed_sections] + disclaimer


def changed_keys(old: MonographContent, new: MonographContent) -> list[str]:
    """The one definition of "what changed between two revisions" (the conflict flag's
    ``changed_since`` and the review screens use it): ``compare(old, new).changed_keys``."""
    return compare(old, new).changed_keys


def compare(old: MonographContent | None, new: MonographContent) -> ContentDiff:
    """Compare ``old`` (None: nothing published yet) with ``new``, section by section.

    Sections are matched by key. Changed sections come first (in the new order, removed
    ones after them), then the unchanged ones.
    """
    base = old or MonographContent(title="")
    fields = [
        FieldChange("title", "Title", base.title, new.title),
        FieldChange("generic_name", "Generic name", base.generic_name, new.generic_name),
        FieldChange(
            "other_names", "Other names", "\n".join(base.other_names), "\n".join(new.other_names)
        ),
        FieldChange("disclaimer", "Disclaimer", base.disclaimer, new.disclaimer),
    ]
    old_by_key = {s.key: s for s in base.sections}
    new_keys = {s.key for s in new.sections}
    changes: list[SectionChange] = []
    for section in new.sections:
        before = old_by_key.get(section.key)
        if before is None:
            status = "added"
        elif before.heading != section.heading or before.body != section.body:
            status = "changed"
        else:
            status = "unchanged"
        changes.append(SectionChange(section.key, status, before, section))
    removed = [
        SectionChange(s.key, "removed", s, None) for s in base.sections if s.key not in new_keys
    ]
    ordered = [c for c in changes if c.changed] + removed + [c for c in changes if not c.changed]
    common_old = [s.key for s in base.sections if s.key in new_keys]
    common_new = [s.key for s in new.sections if s.key in old_by_key]
    return ContentDiff(
        fields=fields,
        sections=ordered,
        first_publication=old is None,
        order_changed=common_old != common_new,
    )

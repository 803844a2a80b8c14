"""Clinically significant changes between two versions of a monograph (or of any text).

A moderator must never miss a dose change hidden in a reworded paragraph. This module reads
two texts as a pharmacist would skim them: sentence by sentence (list items and table rows
count as sentences), it picks out the *facts* each one states:

- quantities: a number with a unit (mg, µg/mcg, g, mL, %, IU, units, tablets, hours,
  days, weeks, years...), a range ("4 to 6 hours"), a bare number in a sentence or a
  table cell ("over 65", "| Adults | 20 |");
- frequencies and timings: "once a day", "twice daily", "three times a day", "every 6
  hours", "every other day", "at night", "with food", "as needed";
- instructions: negations and imperatives ("do not", "never", "avoid", "stop", "must
  not", "should not", "contraindicated", "not recommended"), each with the words it
  governs ("do not take two doses").

Then it matches the sentences of both versions and reports the facts that differ. Wording,
typos, Markdown formatting and the order of sentences change no fact, so they report
nothing; "1 g" and "1000 mg", "mcg" and "micrograms", "once daily" and "once a day" are the
same fact.

On top of the text, for a whole monograph (``clinical_changes``): Precautions and Side
Effects list items added or removed, the serious side-effects warning appearing or going,
other names added or removed, FAQ questions added or removed and answers that changed
clinically (facts, or a "Yes" that became a "No").

Everything here is a pure function of its inputs: ``compare_texts(old, new)`` works on two
plain texts (the sources engineer compares FDA label sections with it), ``clinical_changes``
on two ``MonographContent``s.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from .content import FAQ, MonographContent, Section, faq_items

# --- the result ---------------------------------------------------------------------------

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"


@dataclass(frozen=True)
class ClinicalChange:
    """One clinically significant change, readable on its own.

    ``before``/``after`` are the facts that differ ("20 mg" → "40 mg"), empty on the side
    where there was none (an added warning has no ``before``). ``old_text``/``new_text``
    are the sentences they come from, for context.
    """

    section: str  # the section's heading ("Dosage"), or "Other names"
    key: str  # the section's key, "other_names"
    kind: str  # "dose" | "instruction" | "warning" | "side effect" | "name" | "faq"
    change: str  # ADDED | REMOVED | CHANGED
    before: str
    after: str
    old_text: str = ""
    new_text: str = ""

    def __str__(self) -> str:
        return f"{self.section}: {self.before or '(none)'} → {self.after or '(none)'}"

    @property
    def label(self) -> str:
        """A short label for lists: "dose changed", "warning added"."""
        return f"{self.kind} {self.change}"

    def as_dict(self) -> dict[str, str]:
        return {
            "section": self.section,
            "key": self.key,
            "kind": self.kind,
            "change": self.change,
            "before": self.before,
            "after": self.after,
            "old_text": self.old_text,
            "new_text": self.new_text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> ClinicalChange:
        return cls(**{name: str(data.get(name, "")) for name in cls.__dataclass_fields__})


# --- facts --------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "a single": "1",
    "single": "1",
    "half a": "0.5",
    "half": "0.5",
}
_VULGAR = {"½": ".5", "¼": ".25", "¾": ".75", "⅓": ".333", "⅔": ".667"}

# Units: the first spelling is the canonical one. Mass units convert to mg, volumes to mL,
# times to hours, so "1 g" equals "1000 mg" and "48 hours" equals "2 days".
_UNITS: list[tuple[str, list[str], tuple[str, Fraction] | None]] = [
    ("mg", ["mg", "milligrams?", "milligrammes?", "mgs"], ("mass", Fraction(1))),
    (
        "µg",
        ["µg", "μg", "mcg", "ug", "micrograms?", "microgrammes?"],
        ("mass", Fraction(1, 1000)),
    ),
    ("ng", ["ng", "nanograms?"], ("mass", Fraction(1, 1_000_000))),
    ("g", ["g", "grams?", "grammes?", "gm"], ("mass", Fraction(1000))),
    ("kg", ["kg", "kilograms?", "kilos?"], None),
    ("mL", ["ml", "millilitres?", "milliliters?", "cc"], ("volume", Fraction(1))),
    ("L", ["l", "litres?", "liters?"], ("volume", Fraction(1000))),
    ("mmol", ["mmol", "millimoles?"], None),
    ("mol", ["mol", "moles?"], None),
    ("%", ["%", "per ?cent", "percent"], None),
    ("IU", ["iu", "i\\.u\\.", "international units?"], None),
    ("units", ["units?"], None),
    ("mg/kg", ["mg/kg", "mg per kg", "mg per kilogram"], None),
    ("mg/mL", ["mg/ml", "mg per ml"], None),
    ("tablets", ["tablets?", "tabs?"], None),
    ("capsules", ["capsules?", "caps?"], None),
    ("drops", ["drops?"], None),
    ("puffs", ["puffs?", "inhalations?"], None),
    ("sprays", ["sprays?"], None),
    ("doses", ["doses?"], None),
    ("sachets", ["sachets?"], None),
    ("patches", ["patch(?:es)?"], None),
    ("injections", ["injections?"], None),
    ("applications", ["applications?"], None),
    ("teaspoons", ["teaspoons?", "tsp"], None),
    ("tablespoons", ["tablespoons?", "tbsp"], None),
    ("seconds", ["seconds?", "secs?"], ("time", Fraction(1, 3600))),
    ("minutes", ["minutes?", "mins?"], ("time", Fraction(1, 60))),
    ("hours", ["hours?", "hrs?", "h"], ("time", Fraction(1))),
    ("days", ["days?"], ("time", Fraction(24))),
    ("weeks", ["weeks?", "wks?"], ("time", Fraction(24 * 7))),
    ("months", ["months?"], ("time", Fraction(24 * 30))),
    ("years", ["years?", "yrs?", "years? old"], ("time", Fraction(24 * 365))),
    ("times", ["times?"], None),
]
_UNIT_ALTERNATIVES = "|".join(
    sorted((alt for _name, alts, _base in _UNITS for alt in alts), key=len, reverse=True)
)
_UNIT_OF: list[tuple[re.Pattern[str], str, tuple[str, Fraction] | None]] = [
    (re.compile(rf"^(?:{'|'.join(alts)})$", re.IGNORECASE), name, base)
    for name, alts, base in _UNITS
]

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_WORD_NUMBERS = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUM_OR_WORD = rf"(?:{_NUM}|(?:{_WORD_NUMBERS})(?=\s))"
_RANGE = rf"{_NUM_OR_WORD}(?:\s*(?:-|–|—|to|or)\s*{_NUM_OR_WORD})?"
_PER = r"(?:\s*(?:/|per|a|an|each)\s*(?:kg|day|dose|week|hour|m2|m²)\b)?"
# "500 mg to 1 g": a range whose ends have units of their own.
_UNIT_RANGE = re.compile(
    rf"(?<![\w.]){_NUM}\s*(?:{_UNIT_ALTERNATIVES})\s*(?:-|–|—|to)\s*{_NUM}\s*"
    rf"(?:{_UNIT_ALTERNATIVES})(?![\w/]){_PER}",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    rf"(?<![\w.]){_RANGE}\s*(?:{_UNIT_ALTERNATIVES})(?![\w/]){_PER}",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(rf"(?<![\w.]){_NUM}(?![\w])")

_PERIOD = r"(?:day|days|week|weeks|month|months|hour|hours|night|morning|evening|year)"
_FREQUENCY = re.compile(
    r"\b(?:"
    # once a day, twice daily, 3 times a day, 2 times per week
    rf"(?:once|twice|thrice|{_RANGE}\s*times?)\s+(?:(?:a|an|per|each|every)\s+)?"
    rf"(?:day|daily|week|weekly|month|monthly|hour|hourly|night|nightly|{_PERIOD})"
    # every 6 hours, every other day, every 4 to 6 hours, every morning
    rf"|every\s+(?:other\s+|second\s+)?(?:{_RANGE}\s*)?{_PERIOD}"
    r"|(?<!\bat\s)(?:once|twice)|daily|weekly|monthly|nightly|hourly|fortnightly"
    r"|at\s+(?:night|bedtime)|in\s+the\s+(?:morning|evening)"
    r"|as\s+(?:needed|required)|when\s+needed|prn"
    r"|with\s+(?:food|meals?|milk|water)|without\s+food|on\s+an\s+empty\s+stomach"
    r"|(?:before|after)\s+(?:food|meals?|breakfast|bedtime)"
    r")\b",
    re.IGNORECASE,
)

# Negations and imperatives: the words themselves, then (for the comparison) what they
# govern. "contraindicated" and "not recommended" end what they govern.
_INSTRUCTION = re.compile(
    r"\b(?:do\s+not|don't|does\s+not|doesn't|did\s+not|must\s+not|mustn't|should\s+not"
    r"|shouldn't|cannot|can\s+not|can't|may\s+not|never|avoid(?:ing)?|stop(?:ping)?"
    r"|discontinue|not\s+recommended|not\s+to|contraindicated|no\s+more\s+than"
    r"|at\s+most|up\s+to|at\s+least|maximum|max\.?|minimum|only|always|must)\b",
    re.IGNORECASE,
)
_INSTRUCTION_CANONICAL = {
    "don't": "do not",
    "doesn't": "does not",
    "mustn't": "must not",
    "shouldn't": "should not",
    "can't": "cannot",
    "can not": "cannot",
    "avoiding": "avoid",
    "stopping": "stop",
    "discontinue": "stop",
    "max": "maximum",
    "max.": "maximum",
}
# Small words skipped when comparing what an instruction governs.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "your",
        "you",
        "any",
        "and",
        "or",
        "be",
        "is",
        "are",
        "was",
        "were",
        "been",
        "being",
        "if",
        "as",
        "by",
        "from",
        "than",
        "then",
        "so",
    ]
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_GOVERNED_WORDS = 4
_SIMILAR_WORDS = 0.75  # "tkae two doses" is "take two doses"; "drive" is not "drink"


@dataclass(frozen=True)
class Fact:
    kind: str  # "quantity" | "number" | "frequency" | "instruction"
    key: str  # what is compared
    text: str  # what is shown (as written)
    position: int
    end: int = 0  # where what is shown ends (an instruction's clause covers the facts in it)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for char, decimal in _VULGAR.items():
        text = re.sub(rf"(\d*){char}", lambda m, d=decimal: (m[1] or "0") + d, text)
    # NFKC turns the micro sign into a Greek mu: keep the sign editors typed.
    return text.replace("’", "'").replace("\u00a0", " ").replace("\u03bc", "\u00b5")


def _number(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


def _unit(name: str) -> tuple[str, tuple[str, Fraction] | None]:
    compact = " ".join(name.split())
    for pattern, canonical, base in _UNIT_OF:
        if pattern.match(compact):
            return canonical, base
    return compact.lower(), None


_RANGE_SPLIT = re.compile(
    rf"({_NUM_OR_WORD})(?:\s*(?:-|–|—|to|or)\s*({_NUM_OR_WORD}))?", re.IGNORECASE
)


def _as_number(text: str) -> Fraction:
    word = _NUMBER_WORDS.get(" ".join(text.lower().split()))
    return _number(word if word is not None else text)


def _quantity_key(text: str) -> str:
    """ "1 g", "1000 mg" and "1,000 milligrams" have one key; "4 to 6 hours" is "4-6 time"."""
    unit_range = _UNIT_RANGE.fullmatch(text)
    if unit_range:
        first, second = re.split(r"\s*(?:-|–|—|\bto\b)\s*(?=\d)", text, maxsplit=1)
        return f"{_quantity_key(first)}..{_quantity_key(second)}"
    match = _RANGE_SPLIT.match(text)
    assert match is not None  # _QUANTITY starts with a number
    rest = text[match.end() :].strip()
    per = ""
    per_match = re.search(r"\s*(?:/|per|a|an|each)\s*(kg|day|dose|week|hour|m2|m²)$", rest, re.I)
    if per_match:
        per = "/" + per_match[1].lower().replace("²", "2")
        rest = rest[: per_match.start()].strip()
    unit, base = _unit(rest)
    values = [_as_number(v) for v in match.groups() if v]
    if base is not None:
        dimension, factor = base
        values = [v * factor for v in values]
        unit = dimension
    return f"{'-'.join(str(v) for v in values)} {unit}{per}"


def _frequency_key(text: str) -> str:
    key = " ".join(text.lower().split())
    key = re.sub(r"(\d)\s*(?:-|–|—|to|or)\s*(\d)", r"\1-\2", key)
    key = re.sub(r"\b(?:a|an|per|each)\s+(?=day|week|month|hour|night)", "", key)
    key = re.sub(r"\bdaily\b", "day", key)
    key = re.sub(r"\bweekly\b", "week", key)
    key = re.sub(r"\bmonthly\b", "month", key)
    key = re.sub(r"\bnightly\b", "night", key)
    key = re.sub(r"\bhourly\b", "hour", key)
    key = re.sub(rf"\b({_WORD_NUMBERS})(?=\s)", lambda m: _NUMBER_WORDS.get(m[1], m[1]), key)
    key = re.sub(r"\b1\s*times?\b", "once", key)
    key = re.sub(r"\b2\s*times\b", "twice", key)
    key = re.sub(r"\b3\s*times\b|\bthrice\b", "3 times", key)
    key = re.sub(r"\bmeals?\b", "food", key)
    key = re.sub(r"\bas required\b|\bwhen needed\b|\bprn\b", "as needed", key)
    key = re.sub(r"\b(day|week|month|hour|night|morning|evening|year)s\b", r"\1", key)
    key = re.sub(r"\bevery (day|week|month|hour|night)\b", r"once \1", key)
    return key


def _words_after(text: str, start: int, count: int) -> list[str]:
    words: list[str] = []
    for match in _WORD.finditer(text, start):
        word = match[0].lower()
        if word in _STOPWORDS:
            continue
        words.append(word)
        if len(words) == count:
            break
    return words


def _clause_after(text: str, start: int, limit: int = 8) -> str:
    """The instruction as written, up to the end of its clause or ``limit`` words."""
    end = len(text)
    stop = re.compile(r"[.;:!?]|,\s|\s(?:but|unless|because|although)\s")
    found = stop.search(text, start)
    if found:
        end = found.start()
    words = text[start:end].split()
    clause = " ".join(words[:limit])
    return clause + ("…" if len(words) > limit else "")


def facts_of(sentence: str) -> list[Fact]:
    """The facts a sentence states, in reading order."""
    text = _normalise(sentence)
    taken = [False] * len(text)
    facts: list[Fact] = []

    def claim(match: re.Match[str]) -> bool:
        if any(taken[match.start() : match.end()]):
            return False
        for i in range(match.start(), match.end()):
            taken[i] = True
        return True

    for match in _FREQUENCY.finditer(text):
        if claim(match):
            facts.append(Fact("frequency", _frequency_key(match[0]), match[0], match.start()))
    for match in [*_UNIT_RANGE.finditer(text), *_QUANTITY.finditer(text)]:
        if claim(match):
            facts.append(Fact("quantity", _quantity_key(match[0]), match[0], match.start()))
    for match in _BARE_NUMBER.finditer(text):
        if claim(match):
            facts.append(Fact("number", str(_number(match[0])), match[0], match.start()))
    for match in _INSTRUCTION.finditer(text):
        if any(taken[match.start() : match.end()]):
            continue
        word = " ".join(match[0].lower().split())
        word = _INSTRUCTION_CANONICAL.get(word, word)
        governed = " ".join(_words_after(text, match.end(), _GOVERNED_WORDS))
        shown = _clause_after(text, match.start())
        facts.append(
            Fact(
                "instruction",
                f"{word}|{governed}",
                shown,
                match.start(),
                match.start() + len(shown.rstrip("…")),
            )
        )
    facts.sort(key=lambda f: f.position)
    return facts


def _same_fact(a: Fact, b: Fact) -> bool:
    if a.kind != b.kind:
        # A number that gained its unit ("20" → "20 mg") reads the same to a moderator only
        # when nothing else changed; it is a different fact.
        return False
    if a.kind != "instruction":
        return a.key == b.key
    word_a, governed_a = a.key.split("|", 1)
    word_b, governed_b = b.key.split("|", 1)
    if word_a != word_b:
        return False
    if governed_a == governed_b:
        return True
    ratio = difflib.SequenceMatcher(None, governed_a, governed_b, autojunk=False).ratio()
    return ratio >= _SIMILAR_WORDS


def _fact_difference(old: list[Fact], new: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(facts only in old, facts only in new), matching each fact at most once."""
    remaining = list(new)
    only_old: list[Fact] = []
    for fact in old:
        twin = next((f for f in remaining if _same_fact(fact, f)), None)
        if twin is None:
            only_old.append(fact)
        else:
            remaining.remove(twin)
    return only_old, remaining


# --- sentences ----------------------------------------------------------------------------

_LIST_MARKER = re.compile(r"^\s*(?:[*+-]|\d{1,3}[.)])\s+")
_HEADING_MARK = re.compile(r"^\s{0,3}#{1,6}\s*")
_QUOTE_MARK = re.compile(r"^\s*>\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)(?=\S)|(?<=\S)(\*\*|__|\*|_|`|~~)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# A sentence ends at . ! ? followed by a space and something that can start a sentence;
# "e.g. 50 mg" and "12.5 mg" do not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|approx|vs|dr|no|fig|max|min)\.$", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    text: str  # as shown (Markdown marks removed)
    words: tuple[str, ...]  # lower-cased words, for matching
    facts: tuple[Fact, ...]

    @property
    def key(self) -> str:
        return " ".join(self.words)


def _plain(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    line = _HTML_TAG.sub("", line)
    line = _EMPHASIS.sub("", line)
    return " ".join(line.split())


def _split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p for p in (p.strip() for p in pieces) if p]


def sentences_of(text: str) -> list[Sentence]:
    """The text as sentences: prose split at sentence ends, each list item, heading and
    table row on its own (a table row's cells joined with " | ")."""
    blocks: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.extend(_split_sentences(" ".join(paragraph)))
            paragraph.clear()

    for raw in _normalise(text or "").splitlines():
        line = raw.rstrip()
        if not line.strip() or _TABLE_RULE.match(line) or line.strip().startswith(("```", "~~~")):
            flush()
            continue
        if line.lstrip().startswith("|"):
            flush()
            cells = [_plain(c) for c in line.strip().strip("|").split("|")]
            blocks.append(" | ".join(c for c in cells if c))
            continue
        if _LIST_MARKER.match(line) or _HEADING_MARK.match(line):
            flush()
            line = _HEADING_MARK.sub("", _LIST_MARKER.sub("", line))
        paragraph.append(_plain(_QUOTE_MARK.sub("", line)))
    flush()
    out = []
    for block in blocks:
        words = tuple(w.lower() for w in _WORD.findall(block))
        if words or block.strip():
            out.append(Sentence(block, words, tuple(facts_of(block))))
    return out


def _similarity(a: Sentence, b: Sentence) -> float:
    return difflib.SequenceMatcher(None, a.words, b.words, autojunk=False).ratio()


_MIN_PAIR_SIMILARITY = 0.35
_MAX_PAIRING = 60  # sentences per side of one changed block compared pairwise


def _pairs(
    old: list[Sentence], new: list[Sentence]
) -> tuple[list[tuple[Sentence, Sentence]], list[Sentence], list[Sentence]]:
    """Pair changed sentences: (pairs, unpaired old, unpaired new)."""
    matcher = difflib.SequenceMatcher(
        None, [s.key for s in old], [s.key for s in new], autojunk=False
    )
    pairs: list[tuple[Sentence, Sentence]] = []
    lone_old: list[Sentence] = []
    lone_new: list[Sentence] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        block_old, block_new = old[i1:i2], new[j1:j2]
        if not block_old or not block_new:
            lone_old += block_old
            lone_new += block_new
            continue
        if len(block_old) > _MAX_PAIRING or len(block_new) > _MAX_PAIRING:
            # A rewrite too big to compare pairwise: only the facts moved in and out count.
            lone_old += block_old
            lone_new += block_new
            continue
        scored = sorted(
            (
                (_similarity(a, b), i, j)
                for i, a in enumerate(block_old)
                for j, b in enumerate(block_new)
            ),
            reverse=True,
        )
        used_old: set[int] = set()
        used_new: set[int] = set()
        for score, i, j in scored:
            if score < _MIN_PAIR_SIMILARITY:
                break
            if i in used_old or j in used_new:
                continue
            used_old.add(i)
            used_new.add(j)
            pairs.append((block_old[i], block_new[j]))
        lone_old += [s for i, s in enumerate(block_old) if i not in used_old]
        lone_new += [s for j, s in enumerate(block_new) if j not in used_new]
    return pairs, lone_old, lone_new


def _shown(facts: Iterable[Fact]) -> str:
    """The facts as written; facts inside an instruction's clause are shown by it."""
    facts = list(facts)
    clauses = [(f.position, f.end) for f in facts if f.kind == "instruction"]
    shown = [
        f
        for f in facts
        if f.kind == "instruction" or not any(a <= f.position < b for a, b in clauses)
    ]
    return " ".join(" ".join(f.text.split()) for f in shown)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _kind_of(facts: Iterable[Fact]) -> str:
    return "instruction" if any(f.kind == "instruction" for f in facts) else "dose"


def compare_texts(old: str, new: str, *, section: str = "", key: str = "") -> list[ClinicalChange]:
    """The clinically significant changes from text ``old`` to text ``new``.

    Sentences are matched (identical ones, then the most similar of a changed stretch);
    a matched pair reports the facts that differ; a sentence added or removed reports its
    facts. A sentence moved elsewhere, or reworded with the same facts, reports nothing.
    """
    old_sentences = sentences_of(old)
    new_sentences = sentences_of(new)
    pairs, lone_old, lone_new = _pairs(old_sentences, new_sentences)

    # Moved (and perhaps reworded) sentences: the same facts gone here and come there.
    lone_old = [s for s in lone_old if s.facts]
    lone_new = [s for s in lone_new if s.facts]
    for sentence in list(lone_old):
        twin = next(
            (
                s
                for s in lone_new
                if len(s.facts) == len(sentence.facts)
                and _fact_difference(list(sentence.facts), list(s.facts)) == ([], [])
            ),
            None,
        )
        if twin is not None:
            lone_old.remove(sentence)
            lone_new.remove(twin)

    # A fact moved from one sentence of the stretch to another is not a change either.
    pooled_old = [f for s in lone_old for f in s.facts]
    pooled_new = [f for s in lone_new for f in s.facts]
    gone, came = _fact_difference(pooled_old, pooled_new)
    gone_ids = {id(f) for f in gone}
    came_ids = {id(f) for f in came}

    found: list[tuple[int, ClinicalChange]] = []
    order = {id(s): n for n, s in enumerate(new_sentences)}
    order_old = {id(s): n for n, s in enumerate(old_sentences)}
    for before, after in pairs:
        removed, added = _fact_difference(list(before.facts), list(after.facts))
        if not removed and not added:
            continue
        found.append(
            (
                order[id(after)],
                ClinicalChange(
                    section=section,
                    key=key,
                    kind=_kind_of(removed + added),
                    change=CHANGED if removed and added else (ADDED if added else REMOVED),
                    before=_shown(removed),
                    after=_shown(added),
                    old_text=_short(before.text),
                    new_text=_short(after.text),
                ),
            )
        )
    # A sentence only on one side reports the facts that went (removed) or came (added).
    for sentences, ids, positions, change in (
        (lone_old, gone_ids, order_old, REMOVED),
        (lone_new, came_ids, order, ADDED),
    ):
        for sentence in sentences:
            facts = [f for f in sentence.facts if id(f) in ids]
            if not facts:
                continue
            shown, text = _shown(facts), _short(sentence.text)
            removed = change == REMOVED
            found.append(
                (
                    positions[id(sentence)],
                    ClinicalChange(
                        section=section,
                        key=key,
                        kind=_kind_of(facts),
                        change=change,
                        before=shown if removed else "",
                        after="" if removed else shown,
                        old_text=text if removed else "",
                        new_text="" if removed else text,
                    ),
                )
            )
    found.sort(key=lambda item: item[0])
    return [change for _n, change in found]


# --- whole monographs ---------------------------------------------------------------------

_ITEM_LABEL = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)")
_LIST_LINE = re.compile(r"^(\s*)(?:[*+-]|\d{1,3}[.)])\s+(.*)$")
_SAME_ITEM = 0.8  # "Dizzyness" is "Dizziness"


def list_items(body: str) -> list[str]:
    """The top-level list items of a body (their first line, Markdown marks removed)."""
    items = []
    for line in (body or "").splitlines():
        match = _LIST_LINE.match(line)
        if match and len(match[1].expandtabs(4)) < 2:
            items.append(_plain(match[2]))
    return [item for item in items if item]


def _item_name(item: str) -> str:
    """What a list item is about: its bold label ("Opioid dependence") or its first words."""
    label = _ITEM_LABEL.match(item)
    text = label[1] if label else item
    return " ".join(_WORD.findall(text.lower())[:8]).strip(" :")


def _item_changes(
    old_items: list[str], new_items: list[str], *, section: str, key: str, kind: str
) -> list[ClinicalChange]:
    old_names = [(_item_name(i), i) for i in old_items]
    new_names = [(_item_name(i), i) for i in new_items]
    gone = list(old_names)
    came = []
    for name, item in new_names:
        twin = next((g for g in gone if g[0] == name), None)
        if twin is None:
            twin = next(
                (
                    g
                    for g in gone
                    if difflib.SequenceMatcher(None, g[0], name, autojunk=False).ratio()
                    >= _SAME_ITEM
                ),
                None,
            )
        if twin is None:
            came.append((name, item))
        else:
            gone.remove(twin)
    changes = [
        ClinicalChange(section, key, kind, REMOVED, _short(item, 100), "", old_text=_short(item))
        for _name, item in gone
    ]
    changes += [
        ClinicalChange(section, key, kind, ADDED, "", _short(item, 100), new_text=_short(item))
        for _name, item in came
    ]
    return changes


def _serious_block(body: str) -> str | None:
    """The serious side-effects warning of a Side Effects body, as the public page cuts it."""
    try:
        from .page import _blocks, serious_side_effects_span
    except ImportError:  # pragma: no cover - the page module is being reorganised
        return None
    span = serious_side_effects_span(body or "")
    if span is None:
        return None
    return "\n\n".join(_blocks(body)[span[0] : span[1]])


def _side_effect_changes(old: Section, new: Section) -> list[ClinicalChange]:
    changes: list[ClinicalChange] = []
    old_block, new_block = _serious_block(old.body), _serious_block(new.body)
    if (old_block is None) != (new_block is None):
        first = _short(
            (sentences_of(old_block or new_block or "") or [Sentence("", (), ())])[0].text
        )
        changes.append(
            ClinicalChange(
                section=new.heading,
                key=new.key,
                kind="warning",
                change=ADDED if new_block is not None else REMOVED,
                before="serious side-effects warning" if old_block is not None else "",
                after="serious side-effects warning" if new_block is not None else "",
                old_text=first if old_block is not None else "",
                new_text=first if new_block is not None else "",
            )
        )
    changes += _item_changes(
        list_items(old.body),
        list_items(new.body),
        section=new.heading,
        key=new.key,
        kind="side effect",
    )
    return changes


def _faq_key(question: str) -> str:
    return " ".join(_WORD.findall(question.lower()))


_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)


def _faq_changes(old: Section, new: Section) -> list[ClinicalChange]:
    old_faqs = [faq for faq, _lines in faq_items(old.body)]
    new_faqs = [faq for faq, _lines in faq_items(new.body)]
    section, key = new.heading, new.key
    changes: list[ClinicalChange] = []
    unmatched = list(old_faqs)
    for faq in new_faqs:
        twin: FAQ | None = next(
            (f for f in unmatched if _faq_key(f.question) == _faq_key(faq.question)), None
        )
        if twin is None:
            twin = next(
                (
                    f
                    for f in unmatched
                    if difflib.SequenceMatcher(
                        None, _faq_key(f.question), _faq_key(faq.question), autojunk=False
                    ).ratio()
                    >= _SAME_ITEM
                ),
                None,
            )
        if twin is None:
            changes.append(
                ClinicalChange(
                    section,
                    key,
                    "faq",
                    ADDED,
                    "",
                    _short(faq.question, 120),
                    new_text=_short(f"{faq.question} {faq.answer}"),
                )
            )
            continue
        unmatched.remove(twin)
        question = _short(faq.question, 100)
        old_yes = _YES_NO.match(twin.answer)
        new_yes = _YES_NO.match(faq.answer)
        if (old_yes[1].lower() if old_yes else "") != (new_yes[1].lower() if new_yes else ""):
            changes.append(
                ClinicalChange(
                    f"{section} ({question})",
                    key,
                    "faq",
                    CHANGED,
                    old_yes[1].capitalize() if old_yes else "(no yes/no)",
                    new_yes[1].capitalize() if new_yes else "(no yes/no)",
                    old_text=_short(twin.answer),
                    new_text=_short(faq.answer),
                )
            )
        for change in compare_texts(twin.answer, faq.answer, section=section, key=key):
            changes.append(
                ClinicalChange(
                    f"{section} ({question})",
                    key,
                    "faq",
                    change.change,
                    change.before,
                    change.after,
                    change.old_text,
                    change.new_text,
                )
            )
    for faq in unmatched:
        changes.append(
            ClinicalChange(
                section,
                key,
                "faq",
                REMOVED,
                _short(faq.question, 120),
                "",
                old_text=_short(f"{faq.question} {faq.answer}"),
            )
        )
    # Text in the section that is not a question and answer (an introduction, a note).
    rest_old = _non_faq_text(old.body)
    rest_new = _non_faq_text(new.body)
    changes += compare_texts(rest_old, rest_new, section=section, key=key)
    return changes


def _non_faq_text(body: str) -> str:
    taken = {n for _faq, numbers in faq_items(body) for n in numbers}
    return "\n".join(line for n, line in enumerate(body.splitlines()) if n not in taken)


def compare_sections(old: Section | None, new: Section | None) -> list[ClinicalChange]:
    """The clinical changes of one section (either side may be missing: added, removed)."""
    if old is None and new is None:
        return []
    heading = (new or old).heading  # type: ignore[union-attr]
    key = (new or old).key  # type: ignore[union-attr]
    old = old or Section(key=key, heading=heading, body="")
    new = new or Section(key=key, heading=heading, body="")
    if old.body == new.body:
        return []
    if key == "faqs":
        return _faq_changes(old, new)
    changes = compare_texts(old.body, new.body, section=heading, key=key)
    if key == "side_effects":
        items = _side_effect_changes(old, new)
    elif key == "precautions":
        items = _item_changes(
            list_items(old.body), list_items(new.body), section=heading, key=key, kind="warning"
        )
    else:
        return changes
    # A sentence of a list item reported as added or removed is not reported again.
    whole = {ADDED: [c.new_text for c in items], REMOVED: [c.old_text for c in items]}
    own = {ADDED: "new_text", REMOVED: "old_text"}
    return items + [
        c
        for c in changes
        if c.change == CHANGED
        or not any(
            getattr(c, own[c.change]).rstrip("…") in item.rstrip("…") for item in whole[c.change]
        )
    ]


def _names(names: Iterable[str]) -> dict[str, str]:
    return {" ".join(n.casefold().split()): n for n in names}


def clinical_changes(old: MonographContent | None, new: MonographContent) -> list[ClinicalChange]:
    """The clinically significant changes from ``old`` (the live revision) to ``new``.

    None for ``old`` (a first publication) gives no items: there is nothing to compare
    with, and the moderator reads the whole text. Sections are matched by key, in the
    order of ``new`` (removed ones last); other names come first.
    """
    if old is None:
        return []
    changes: list[ClinicalChange] = []
    old_names, new_names = _names(old.other_names), _names(new.other_names)
    for folded, name in new_names.items():
        if folded not in old_names:
            changes.append(ClinicalChange("Other names", "other_names", "name", ADDED, "", name))
    for folded, name in old_names.items():
        if folded not in new_names:
            changes.append(ClinicalChange("Other names", "other_names", "name", REMOVED, name, ""))
    old_by_key = {s.key: s for s in old.sections}
    new_keys = {s.key for s in new.sections}
    for section in new.sections:
        changes += compare_sections(old_by_key.get(section.key), section)
    for section in old.sections:
        if section.key not in new_keys:
            changes += compare_sections(section, None)
    return changes


def summary_counts(changes: list[ClinicalChange]) -> dict[str, int]:
    """How many changes per section heading, in the order they come."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.section] = counts.get(change.section, 0) + 1
    return counts

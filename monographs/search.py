"""Public search over published monographs.

Two parts:

- ``index_fields(content)``: the plain text stored on ``Monograph.search_names`` and
  ``Monograph.search_text`` when a revision is published (workflow.py calls it). Names are
  one per line, so they can be read back (``names_from_index``) without loading the live
  revision.
- ``search(query)``: names first, from the in-process name index (``name_index``: an exact
  name redirects; a name spelt like the query, typos included, ranks first; "did you
  mean" when nothing matched), then words: PostgreSQL full text on the stored document
  (names weighted "A", text "C"), ranking at most ``TEXT_CANDIDATES`` matches together
  with the name matches in one query; on SQLite a simpler word match. Both read
  ``Monograph.objects.published()`` only.

Snippets are built here in Python for both databases: the text is escaped first and only
then wrapped in ``<mark>``, so nothing from the content or the query reaches the page
unescaped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import name_index
from .content import MonographContent
from .models import Monograph
from .rendering import markdown_to_text

MAX_QUERY_LENGTH = 200
DEFAULT_LIMIT = 20
# Must match the stored document of migration 0006 (to_tsvector("english", ...)).
SEARCH_CONFIG = "english"
# Name similarity (rapidfuzz ``fuzz.ratio``, 0-100) from which a name spelt like the query
# counts as a result: one typo in a name of four letters or more ("advyl" 80, "metforman"
# 89); "metfxxxin" (67) does not.
NAME_MATCH_CUTOFF = 70.0
# Only names within this many points of the best match count as matches.
NAME_MATCH_MARGIN = 10.0
# The step between two name matches' places, against the text rank (ts_rank, about 0-1).
NAME_WEIGHT = 10.0
# What each query word that is a name (or a word of one) adds, in a query of several words.
NAME_WORD_BONUS = 0.5
# Lower bar (0-1) for "did you mean" suggestions when nothing matched at all.
SUGGESTION_CUTOFF = 0.6
SNIPPET_CHARS = 200

EMPTY_MESSAGE = "Type the name of a medicine, or a word to look for, in the search box."
TOO_LONG_MESSAGE = (
    f"Your search is longer than {MAX_QUERY_LENGTH} characters. Try a medicine name or a few words."
)
NO_WORDS_MESSAGE = (
    "Your search has no letters or numbers in it. Try the name of a medicine or a word."
)


# --- index fields -------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\u00a0]+")


def monograph_names(content: MonographContent) -> list[str]:
    """Title, generic name and other names, in that order, without repeats or blanks."""
    names: list[str] = []
    seen: set[str] = set()
    for name in [content.title, content.generic_name, *content.other_names]:
        cleaned = _SPACES.sub(" ", str(name or "")).strip()
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            names.append(cleaned)
    return names


def index_fields(content: MonographContent) -> tuple[str, str]:
    """(search_names, search_text) for a revision: names one per line; each section's
    heading and plain text on a line of its own."""
    names = "\n".join(monograph_names(content))
    text = "\n".join(
        f"{section.heading}: {markdown_to_text(section.body)}".strip(": ")
        for section in content.sections
    )
    return names, text


def names_from_index(search_names: str) -> list[str]:
    return [name.strip() for name in search_names.splitlines() if name.strip()]


# --- results -------------------------------------------------------------------------


@dataclass
class SearchResult:
    monograph: Monograph
    names: list[str]  # public names of the live revision: title first
    matched_name: str  # the name the query matched ("" when only the text matched)
    snippet_html: SafeString
    score: float = 0.0

    @property
    def title(self) -> str:
        return self.names[0] if self.names else self.monograph.title

    @property
    def also_known_as(self) -> list[str]:
        return self.names[1:]

    @property
    def matched_other_name(self) -> bool:
        """True when the query found this monograph by one of its other names."""
        return bool(self.matched_name) and self.matched_name.casefold() != self.title.casefold()

    @property
    def url(self) -> str:
        return self.monograph.get_absolute_url()


@dataclass
class Suggestion:
    name: str
    monograph: Monograph


@dataclass
class SearchOutcome:
    query: str  # the query as searched (normalised); "" when there is nothing to search
    raw_query: str  # what the reader typed, to put back in the search box
    results: list[SearchResult] = field(default_factory=list)
    redirect_to: Monograph | None = None  # an exact name match: go straight to the page
    message: str = ""  # why the query was not searched (empty, too long, no words)
    suggestions: list[Suggestion] = field(default_factory=list)  # "did you mean"

    @property
    def searched(self) -> bool:
        return bool(self.query) and not self.message

    @property
    def count(self) -> int:
        return len(self.results)


# --- query handling ------------------------------------------------------------------


def normalise_query(raw: str) -> str:
    """NFKC, control characters (NUL breaks PostgreSQL) dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(text.split())


def _has_word_characters(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str) -> list[str]:
    """Distinct words of the query, longest first (so a longer word wins a highlight)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.casefold()):
        if word not in seen:
            seen[word] = None
    return sorted(seen, key=len, reverse=True)


def _stem(word: str) -> str:
    # A light suffix strip so "injections" highlights "injection" and "injected"; the
    # database's own stemming decides what matches, this only decides what is marked.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _highlight_pattern(words: list[str]) -> re.Pattern[str] | None:
    stems = sorted({_stem(w) for w in words if w}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE
    )


def make_snippet(text: str, words: list[str], *, length: int = SNIPPET_CHARS) -> SafeString:
    """A short extract of ``text`` around the first matched word, escaped, with every
    matched word in ``<mark>``. Without a match: the start of the text."""
    text = " ".join(text.split())
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    pattern = _highlight_pattern(words)
    first = pattern.search(text) if pattern else None
    start = 0
    if first and first.start() > length // 3:
        start = text.rfind(" ", 0, first.start() - length // 3) + 1
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    extract = text[start:end]

    pieces: list[str] = []
    position = 0
    if pattern:
        for match in pattern.finditer(extract):
            pieces.append(escape(extract[position : match.start()]))
            pieces.append(f"<mark>{escape(match.group(0))}</mark>")
            position = match.end()
    pieces.append(escape(extract[position:]))
    html = "".join(pieces)
    if start > 0:
        html = "… " + html
    if end < len(text):
        html += " …"
    return mark_safe(html)  # noqa: S308 - every piece above is escaped


def _best_name(names: list[str], query: str, terms: list[str]) -> str:
    """The name the query most plausibly meant: exact, then containing, then closest."""
    folded = query.casefold()
    for name in names:
        if name.casefold() == folded:
            return name
    for name in names:
        name_folded = name.casefold()
        if folded in name_folded or any(t in _WORD.findall(name_folded) for t in terms):
            return name
    scored = [
        (difflib.SequenceMatcher(None, folded, name.casefold()).ratio(), name) for name in names
    ]
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] >= 0.6 else ""


# --- search --------------------------------------------------------------------------


def search(query: str, *, limit: int = DEFAULT_LIMIT) -> SearchOutcome:
    """Search published monographs. Never raises for odd input: an empty, too long or
    wordless query comes back with ``message`` set and no results."""
    raw = query or ""
    stripped = raw.strip()
    if len(stripped) > MAX_QUERY_LENGTH:
        return SearchOutcome(query="", raw_query=stripped, message=TOO_LONG_MESSAGE)
    normalised = normalise_query(stripped)
    if not normalised:
        return SearchOutcome(query="", raw_query="", message=EMPTY_MESSAGE)
    if not _has_word_characters(normalised):
        return SearchOutcome(query=normalised, raw_query=stripped, message=NO_WORDS_MESSAGE)

    outcome = SearchOutcome(query=normalised, raw_query=stripped)
    index = name_index.get()
    exact = index.exact(normalised)
    if len(exact) == 1:
        # An exact name: straight to its page. Two monographs sharing the name: both listed.
        outcome.redirect_to = exact[0].monograph()
        return outcome

    terms = query_terms(normalised)
    bonus = _name_bonus(index, normalised, terms, exact, limit)
    if connection.vendor == "postgresql":
        ranked = _search_postgresql(normalised, bonus, limit)
    else:
        ranked = _search_simple(normalised, terms, bonus, limit)

    for monograph, score in ranked:
        names = names_from_index(monograph.search_names) or [monograph.title]
        matched = _best_name(names, normalised, terms)
        highlight = terms + (_WORD.findall(matched.casefold()) if matched else [])
        outcome.results.append(
            SearchResult(
                monograph=monograph,
                names=names,
                matched_name=matched,
                snippet_html=make_snippet(monograph.search_text, highlight),
                score=float(score),
            )
        )
    if not outcome.results:
        outcome.suggestions = close_names(normalised, index=index)
    return outcome


def _name_bonus(
    index: name_index.NameIndex,
    query: str,
    terms: list[str],
    exact: list[name_index.NameMatch],
    limit: int,
) -> dict[int, float]:
    """Monographs the names point to, with what a name match adds to their text rank.

    Names spelt like the whole query (at least ``NAME_MATCH_CUTOFF``, and within
    ``NAME_MATCH_MARGIN`` of the best) come first, in the name index's order (similarity,
    then fewest edits): the best gets ``NAME_WEIGHT`` times their number, the next one
    ``NAME_WEIGHT`` less, and so on, so no text rank (at most about 1) reorders them; a
    text match only decides between monographs the names do not tell apart. Each query
    word that is one of a monograph's names, or a word of one, adds ``NAME_WORD_BONUS`` (a
    name ranks above a mention in the text, which ``ts_rank`` alone does not ensure)."""
    ordered: list[int] = [match.monograph_id for match in exact]
    close = index.closest(query, limit=limit, cutoff=NAME_MATCH_CUTOFF)
    for match in close:
        # Names much further from the query than the best one are not what was meant.
        if match.score >= close[0].score - NAME_MATCH_MARGIN and match.monograph_id not in ordered:
            ordered.append(match.monograph_id)
    bonus = {
        monograph_id: NAME_WEIGHT * (len(ordered) - position)
        for position, monograph_id in enumerate(ordered)
    }
    if len(terms) > 1:
        for term in terms:
            for match in index.exact(term) + index.word(term):
                bonus[match.monograph_id] = bonus.get(match.monograph_id, 0.0) + NAME_WORD_BONUS
    return bonus


_RESULT_FIELDS = ("id", "slug", "title", "sort_title", "search_names", "search_text")

# Rows of a word's matches that are ranked: a word found in every monograph must not cost
# ranking all of them (docs/performance.md). Name matches are always ranked besides.
TEXT_CANDIDATES = 200
# Rows having all of a phrase's words that are checked for the phrase itself (word order).
TEXT_SCANNED = 1000

_RANKED_SQL = r"""
WITH names AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(bonus)s::float8[]) AS n(id, bonus)
),
query AS (
    SELECT q, CASE WHEN strpos(q::text, '!') > 0 THEN q
                   ELSE regexp_replace(q::text, '<(\d+|-)>', '&', 'g')::tsquery END AS words
    FROM websearch_to_tsquery(%(config)s::regconfig, %(query)s) AS q
),
candidates AS (
    (SELECT s.id FROM (
        -- A phrase is looked for among the first rows having all its words: checking the
        -- word order needs each row's document, so the rows read are bounded too.
        SELECT m.id, m."search_document" FROM monographs_monograph m
        WHERE m."search_document" @@ (SELECT words FROM query)
          AND m.live_revision_id IS NOT NULL AND m.withdrawn_at IS NULL
        LIMIT %(scanned)s
     ) s
     WHERE s."search_document" @@ (SELECT q FROM query)
     LIMIT %(candidates)s)
    UNION
    SELECT id FROM names
),
ranked AS (
    SELECT c.id, d.sort_title, d.slug,
           ts_rank(d."search_document", websearch_to_tsquery(%(config)s::regconfig, %(query)s))
           + COALESCE(n.bonus, 0) AS score
    FROM candidates c
    -- LIMIT 1 keeps each lookup a primary-key probe (no hash join over every monograph).
    CROSS JOIN LATERAL (
        SELECT m."search_document", m.sort_title, m.slug FROM monographs_monograph m
        WHERE m.id = c.id AND m.live_revision_id IS NOT NULL AND m.withdrawn_at IS NULL
        LIMIT 1
    ) d
    LEFT JOIN names n ON n.id = c.id
    ORDER BY score DESC, d.sort_title, d.slug
    LIMIT %(limit)s
)
SELECT m.id, m.slug, m.title, m.sort_title, m.search_names, m.search_text, r.score
FROM ranked r
CROSS JOIN LATERAL (SELECT * FROM monographs_monograph m WHERE m.id = r.id LIMIT 1) m
ORDER BY r.score DESC, r.sort_title, r.slug
"""


def _search_postgresql(
    query: str, bonus: dict[int, float], limit: int
) -> list[tuple[Monograph, float]]:
    """One query: the first ``TEXT_CANDIDATES`` full-text matches (GIN index on the stored
    document of migration 0006) and the name matches, ranked together by ``ts_rank`` on the
    stored document plus the name bonus; only the best ``limit`` rows' text is read."""
    rows = Monograph.objects.raw(_RANKED_SQL, ranked_query_params(query, bonus, limit))
    return [(monograph, monograph.score) for monograph in rows]


def ranked_query_params(query: str, bonus: dict[int, float], limit: int) -> dict[str, Any]:
    ids = list(bonus)
    return {
        "config": SEARCH_CONFIG,
        "query": query,
        "ids": ids,
        "bonus": [bonus[i] for i in ids],
        "candidates": TEXT_CANDIDATES,
        "scanned": TEXT_SCANNED,
        "limit": limit,
    }


def _search_simple(
    query: str, terms: list[str], bonus: dict[int, float], limit: int
) -> list[tuple[Monograph, float]]:
    """SQLite: every word in the names or the text, plus the name matches."""
    published = Monograph.objects.published()
    condition = Q()
    for term in terms:
        condition &= Q(search_names__icontains=term) | Q(search_text__icontains=term)
    found = published.filter(condition) if terms else published.none()
    if bonus:
        found = (
            published.filter(condition | Q(id__in=list(bonus)))
            if terms
            else (published.filter(id__in=list(bonus)))
        )
    matched = list(found.only(*_RESULT_FIELDS))

    def score(monograph: Monograph) -> float:
        names = monograph.search_names.casefold()
        text = monograph.search_text.casefold()
        value = sum(0.6 for t in terms if t in names)
        value += sum(min(text.count(t), 10) * 0.01 for t in terms)
        return value + bonus.get(monograph.id, 0.0)

    ranked = sorted(matched, key=lambda m: (-score(m), m.sort_title, m.slug))
    return [(m, score(m)) for m in ranked[:limit]]


def close_names(
    query: str,
    *,
    limit: int = 5,
    cutoff: float = SUGGESTION_CUTOFF,
    index: name_index.NameIndex | None = None,
) -> list[Suggestion]:
    """Published monographs' names spelled like the query, best first ("did you mean")."""
    index = index or name_index.get()
    return [
        Suggestion(name=match.name, monograph=match.monograph())
        for match in index.closest(query, limit=limit, cutoff=cutoff * 100)
    ]

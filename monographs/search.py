"""Public search over published monographs.

Two parts:

- ``index_fields(content)``: the plain text stored on ``Monograph.search_names`` and
  ``Monograph.search_text`` when a revision is published (workflow.py calls it). Names are
  one per line, so they can be read back (``names_from_index``) without loading the live
  revision.
- ``search(query)``: PostgreSQL full-text search (names weighted "A", text "C") together
  with trigram word similarity on the names, so misspelled names still match; on SQLite a
  simpler word match plus ``difflib`` over the names. Both read
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

from django.db import connection, transaction
from django.db.models import Expression, ExpressionWrapper, F, FloatField, Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .content import MonographContent
from .models import Monograph
from .rendering import markdown_to_text

MAX_QUERY_LENGTH = 200
DEFAULT_LIMIT = 20
# Must match the stored document of migration 0006 (to_tsvector("english", ...)).
SEARCH_CONFIG = "english"
# Trigram word similarity above which a name counts as a match ("naltrexome" ~ 0.5,
# "metforman" ~ 0.45 against their names; unrelated words stay below 0.3).
NAME_SIMILARITY_THRESHOLD = 0.4
# Lower bar for "did you mean" suggestions when nothing matched at all.
SUGGESTION_SIMILARITY_THRESHOLD = 0.3
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
    exact = _exact_name_match(normalised)
    if exact is not None:
        outcome.redirect_to = exact
        return outcome

    terms = query_terms(normalised)
    if connection.vendor == "postgresql":
        ranked = _search_postgresql(normalised, limit)
    else:
        ranked = _search_simple(normalised, terms, limit)

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
        outcome.suggestions = close_names(normalised)
    return outcome


def _exact_name_match(query: str) -> Monograph | None:
    """The one published monograph with a name equal to the query (case-insensitive).

    Two monographs sharing that name: no redirect, the results list shows both.
    """
    folded = query.casefold()
    found: list[Monograph] = []
    candidates = Monograph.objects.published().filter(search_names__icontains=query)
    for monograph in candidates.only("id", "slug", "search_names")[:50]:
        if any(name.casefold() == folded for name in names_from_index(monograph.search_names)):
            found.append(monograph)
    return found[0] if len(found) == 1 else None


_RESULT_FIELDS = ("id", "slug", "title", "sort_title", "search_names", "search_text")


class StoredDocument(Expression):
    """PostgreSQL's ``monographs_monograph.search_document``: the weighted full-text
    document (names "A", text "C", config "english"), a generated column added by
    migration 0006 and GIN-indexed. Not a model field, so the models stay database-neutral;
    ranking reads it instead of running ``to_tsvector`` on every matching row."""

    def __init__(self) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        table = compiler.quote_name_unless_alias(Monograph._meta.db_table)
        return f"{table}.{connection.ops.quote_name('search_document')}", []


def _search_postgresql(query: str, limit: int) -> list[tuple[Monograph, float]]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

    vector = StoredDocument()
    ts_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    with transaction.atomic():
        # "%>" (trigram_word_similar) is what the GIN trigram index answers; its threshold
        # is a setting, lowered for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                [str(NAME_SIMILARITY_THRESHOLD)],
            )
        rows = (
            Monograph.objects.published()
            .annotate(document=vector)
            .filter(Q(document=ts_query) | Q(search_names__trigram_word_similar=query))
            .annotate(
                rank=SearchRank(vector, ts_query),
                name_similarity=TrigramWordSimilarity(query, "search_names"),
            )
            .annotate(
                score=ExpressionWrapper(F("rank") + F("name_similarity"), output_field=FloatField())
            )
            .order_by("-score", "sort_title", "slug")
            .only(*_RESULT_FIELDS)[:limit]
        )
        return [(monograph, monograph.score) for monograph in rows]


def _search_simple(query: str, terms: list[str], limit: int) -> list[tuple[Monograph, float]]:
    """SQLite: every word in the names or the text, plus close spellings of a name."""
    published = Monograph.objects.published()
    condition = Q()
    for term in terms:
        condition &= Q(search_names__icontains=term) | Q(search_text__icontains=term)
    matched = list(published.filter(condition).only(*_RESULT_FIELDS)) if terms else []
    by_id = {m.id: m for m in matched}

    close_ids = {s.monograph.id for s in close_names(query, cutoff=0.75)}
    missing = close_ids - set(by_id)
    if missing:
        for monograph in published.filter(id__in=missing).only(*_RESULT_FIELDS):
            by_id[monograph.id] = monograph

    def score(monograph: Monograph) -> float:
        names = monograph.search_names.casefold()
        text = monograph.search_text.casefold()
        value = sum(3.0 for t in terms if t in names)
        value += sum(min(text.count(t), 10) * 0.1 for t in terms)
        if monograph.id in close_ids:
            value += 2.0
        return value

    ranked = sorted(by_id.values(), key=lambda m: (-score(m), m.sort_title, m.slug))
    return [(m, score(m)) for m in ranked[:limit]]


def close_names(query: str, *, limit: int = 5, cutoff: float = 0.6) -> list[Suggestion]:
    """Published monographs' names spelled like the query, best first ("did you mean")."""
    folded = query.casefold()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramWordSimilarity

        candidates = list(
            Monograph.objects.published()
            .annotate(similarity=TrigramWordSimilarity(query, "search_names"))
            .filter(similarity__gte=SUGGESTION_SIMILARITY_THRESHOLD)
            .order_by("-similarity", "sort_title")
            .only("id", "slug", "title", "search_names")[: limit * 2]
        )
    else:
        candidates = list(Monograph.objects.published().only("id", "slug", "title", "search_names"))

    # SequenceMatcher caches what it learns about seq2, so the query goes there; the cheap
    # upper bounds skip most names before the real ratio is computed.
    matcher = difflib.SequenceMatcher(None, "", folded)

    def similarity(candidate: str) -> float:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
            return 0.0
        return matcher.ratio()

    scored: list[tuple[float, str, Monograph]] = []
    for monograph in candidates:
        for name in names_from_index(monograph.search_names):
            # Compare with each word too: "vivitrol" against "Vivitrol XR".
            name_folded = name.casefold()
            ratio = max(
                [similarity(name_folded)] + [similarity(w) for w in _WORD.findall(name_folded)]
            )
            if ratio >= cutoff:
                scored.append((ratio, name, monograph))
    scored.sort(key=lambda item: (-item[0], item[1].casefold()))
    suggestions: list[Suggestion] = []
    seen: set[str] = set()
    for _ratio, name, monograph in scored:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            suggestions.append(Suggestion(name=name, monograph=monograph))
        if len(suggestions) >= limit:
            break
    return suggestions

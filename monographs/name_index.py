"""An in-process index of every published monograph's names, for search.

What the readers type most is a name: the generic name, a brand name, or either misspelt.
A database can answer those (trigrams), but slowly and not very well; a plain nearest-name
lookup over all names in memory is both faster (about 2 ms for 30,000 names) and more
accurate. This module keeps that index per process:

- ``exact(query)``: the monographs having a name equal to the query (case-insensitive);
- ``closest(query)``: the monographs whose names are spelt most like the query, scored with
  rapidfuzz's ``fuzz.ratio`` (0-100, the normalised insertion/deletion similarity), ties
  broken by the first letter (kept by most typos), then by the Damerau-Levenshtein
  distance (one typo is one edit, whatever its kind).

Each word of a name of several words is indexed too ("glargine" finds "Insulin glargine"),
``WORD_PENALTY`` below the name itself (a word should not beat a whole name as close).

The index is built from ``Monograph.objects.published()`` in one query, and rebuilt when
its *freshness token* changes: ``caching.site_generation()`` (the site version kept in the
database, moved by every publication, withdrawal and restore, polled by each process at
most every ``MEDSITE_VERSION_POLL_SECONDS``) together with the
newest ``last_published_at`` and ``withdrawn_at`` (two index lookups, migration 0012), so
a change not yet committed in the same transaction is seen too.

Memory: about 10 MB at 10,000 monographs (docs/performance.md); nothing else is kept.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from .models import Monograph

# A word of a longer name scores this much below the same text as a whole name.
WORD_PENALTY = 10.0
_WORD = re.compile(r"\w+", re.UNICODE)
MIN_WORD_LENGTH = 4


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class NameMatch:
    monograph_id: int
    slug: str
    name: str  # the published name that matched, as written
    score: float  # 0-100

    def monograph(self) -> Monograph:
        """A stand-in for the monograph (enough for its URL and equality): no query."""
        return Monograph(pk=self.monograph_id, slug=self.slug)


class NameIndex:
    def __init__(self, rows: list[tuple[int, str, str]], token: Any = None) -> None:
        from .search import names_from_index

        self.token = token
        self.slugs: dict[int, str] = {}
        self.keys: list[str] = []  # folded names and words: what rapidfuzz compares
        self.entries: list[tuple[tuple[int, ...], str, bool]] = []  # (ids, name, is_word)
        position: dict[str, int] = {}
        words: dict[str, tuple[list[int], str]] = {}
        exact: dict[str, list[int]] = {}

        for monograph_id, slug, search_names in rows:
            self.slugs[monograph_id] = slug
            for name in names_from_index(search_names):
                key = fold(name)
                ids = exact.setdefault(key, [])
                if monograph_id not in ids:
                    ids.append(monograph_id)
                if key not in position:
                    position[key] = len(self.keys)
                    self.keys.append(key)
                    self.entries.append(((), name, False))
                found = _WORD.findall(key)
                if len(found) > 1:
                    for word in found:
                        if len(word) >= MIN_WORD_LENGTH:
                            ids_for_word, _ = words.setdefault(word, ([], name))
                            if monograph_id not in ids_for_word:
                                ids_for_word.append(monograph_id)
        for key, index in position.items():
            _, name, _ = self.entries[index]
            self.entries[index] = (tuple(exact[key]), name, False)
        for word, (ids, name) in words.items():
            if word in position:
                continue  # a name of its own already
            self.keys.append(word)
            # Reported as the full name the word came from (the first one).
            self.entries.append((tuple(ids), name, True))
        self.exact_ids: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in exact.items()}
        self.position = position
        self.word_ids: dict[str, tuple[int, ...]] = {w: tuple(ids) for w, (ids, _) in words.items()}
        self.word_names: dict[str, str] = {w: name for w, (_, name) in words.items()}
        self.built_at = time.monotonic()

    def __len__(self) -> int:
        return len(self.keys)

    def exact(self, query: str) -> list[NameMatch]:
        key = fold(query)
        ids = self.exact_ids.get(key, ())
        if not ids:
            return []
        name = self.entries[self.position[key]][1]
        return [NameMatch(i, self.slugs[i], name, 100.0) for i in ids]

    def word(self, term: str) -> list[NameMatch]:
        """The monographs with a name of several words, one of which is ``term``."""
        key = fold(term)
        name = self.word_names.get(key, "")
        return [NameMatch(i, self.slugs[i], name, 100.0) for i in self.word_ids.get(key, ())]

    def closest(self, query: str, *, limit: int = 10, cutoff: float = 60.0) -> list[NameMatch]:
        """The monographs whose names are spelt most like ``query``, best first, one entry
        per monograph, scores at least ``cutoff``."""
        key = fold(query)
        if not key or not self.keys:
            return []
        found = process.extract(
            key,
            self.keys,
            scorer=fuzz.ratio,
            processor=None,
            limit=max(limit * 4, 20),
            score_cutoff=max(cutoff - 0.001, 0),
        )
        scored: list[tuple[float, bool, int, int, str]] = []
        for choice, score, index in found:
            ids, name, is_word = self.entries[index]
            if is_word:
                score -= WORD_PENALTY
                if score < cutoff:
                    continue
            edits = DamerauLevenshtein.distance(key, choice)
            for monograph_id in ids:
                # Ties: a name with the query's first letter (a typo rarely changes that),
                # then the fewest edits.
                other_first = choice[:1] != key[:1]
                scored.append((-score, other_first, edits, monograph_id, name))
        scored.sort(key=lambda item: (item[0], item[1], item[2], item[4].casefold(), item[3]))
        best: dict[int, NameMatch] = {}
        for negative, _first, _edits, monograph_id, name in scored:
            if monograph_id not in best:
                best[monograph_id] = NameMatch(
                    monograph_id, self.slugs[monograph_id], name, -negative
                )
            if len(best) >= limit:
                break
        return list(best.values())


_lock = threading.Lock()
_current: NameIndex | None = None


def freshness_token() -> tuple[Any, ...]:
    from . import caching

    latest = Monograph.objects.aggregate(
        published=Max("last_published_at"), withdrawn=Max("withdrawn_at")
    )
    # site_generation() is read from the database (polled), never from the cache.
    return (caching.site_generation(), latest["published"], latest["withdrawn"])


def build(token: Any = None) -> NameIndex:
    rows = list(Monograph.objects.published().values_list("id", "slug", "search_names"))
    return NameIndex(rows, token)


def _usable(index: NameIndex | None, token: tuple[Any, ...]) -> bool:
    return index is not None and index.token == token


def get() -> NameIndex:
    """The current index, rebuilt first if anything published changed since it was built."""
    global _current
    token = freshness_token()
    if _usable(_current, token):
        return _current  # type: ignore[return-value]
    with _lock:
        if not _usable(_current, token):
            _current = build(token)
        return _current  # type: ignore[return-value]


def clear() -> None:
    """Forget the index (tests that write monographs behind the workflow's back)."""
    global _current
    with _lock:
        _current = None

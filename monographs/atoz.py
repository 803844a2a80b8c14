"""The A to Z's rules: which letter a name is listed under, and in what order.

``workflow.py`` writes one ``PublicName`` row per public name with these (on publish,
withdraw, restore and ``rebuild_published``); the public views only read the rows.
"""

from __future__ import annotations

import string
import unicodedata
from functools import lru_cache

LETTERS = tuple(string.ascii_lowercase)
# Names that start with anything but a Latin letter (digits, symbols, other scripts).
DIGITS = "0-9"
DIGITS_LABEL = "0–9"
# Ids the old single-page A to Z gave each letter's group (kept on the letter index so
# old links such as /medicines/#letter-n still lead on).
DIGITS_ANCHOR = "digits"
CODES = (*LETTERS, DIGITS)


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Accents and case dropped, for sorting and grouping ("Éfavirenz" sorts under E)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def letter_of(name: str) -> str:
    """ "a".."z", or "0-9"."""
    first = fold(name)[:1]
    return first if first in LETTERS else DIGITS


def label(code: str) -> str:
    return DIGITS_LABEL if code == DIGITS else code.upper()


def anchor(code: str) -> str:
    return DIGITS_ANCHOR if code == DIGITS else f"letter-{code}"


def names(title: str, other_names: list[str]) -> list[tuple[str, str, str, str]]:
    """(name, sort name, letter, see) for a monograph's title and each other name, without
    repeats ("see" is the title for another name, "" for the title itself)."""
    rows = [(title, fold(title)[:200], letter_of(title), "")]
    seen = {fold(title)}
    for other in other_names:
        other = str(other).strip()
        if other and fold(other) not in seen:
            seen.add(fold(other))
            rows.append((other, fold(other)[:200], letter_of(other), title))
    return rows

"""PLACEHOLDER (owned by the public-pages work): search and its index fields.

Contract: index_fields(content) -> (names, text): the plain text stored on Monograph
(search_names, search_text) when a revision is published.
"""

from __future__ import annotations

from .content import MonographContent


def index_fields(content: MonographContent) -> tuple[str, str]:
    names = " ".join([content.title, content.generic_name, *content.other_names])
    text = "\n".join(s.body for s in content.sections)
    return names, text

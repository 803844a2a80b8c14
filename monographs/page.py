"""PLACEHOLDER (owned by the public-pages work): builds the public article HTML of a revision.

Contract: build_article_html(content, disclaimer_text) -> str, sanitized HTML of every section
(each with its id), the FAQ list and the disclaimer. workflow.approve() stores it in
Revision.rendered_html; the staff preview calls it at request time.
"""

from __future__ import annotations

from django.utils.html import escape

from .content import MonographContent
from .rendering import render_markdown


def build_article_html(content: MonographContent, disclaimer_text: str) -> str:
    parts = []
    for section in content.sections:
        parts.append(
            f'<section id="{escape(section.key)}"><h2>{escape(section.heading)}</h2>'
            f"{render_markdown(section.body)}</section>"
        )
    parts.append(f'<aside class="disclaimer">{render_markdown(disclaimer_text)}</aside>')
    return "\n".join(parts)

"""PLACEHOLDER: Markdown -> sanitized HTML (replaced by the rendering work)."""

import html


def render_markdown(text: str) -> str:
    return "<pre>" + html.escape(text) + "</pre>"

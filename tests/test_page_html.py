"""page.build_article_html: the article HTML stored on publication (no database needed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from monographs.content import MonographContent, Section
from monographs.page import (
    FALLBACK_DISCLAIMER,
    URGENT_HELP_TITLE,
    build_article_html,
    serious_side_effects_span,
)


class _Outline(HTMLParser):
    """Top-level sections (id, heading text) and the text inside the warning callout."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict[str, str]] = []
        self.depth = 0
        self.in_h2 = False
        self.callout_depth = 0
        self.callout_text: list[str] = []
        self.div_depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.sections.append(
                    {
                        "id": attributes.get("id") or "",
                        "labelledby": attributes.get("aria-labelledby") or "",
                        "heading": "",
                        "heading_id": "",
                    }
                )
        elif tag == "h2" and self.depth == 1:
            self.in_h2 = True
            self.sections[-1]["heading_id"] = attributes.get("id") or ""
        elif tag == "div":
            self.div_depth += 1
            if "callout--warning" in (attributes.get("class") or "") and not self.callout_depth:
                self.callout_depth = self.div_depth

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.depth -= 1
        elif tag == "h2":
            self.in_h2 = False
        elif tag == "div":
            if self.callout_depth == self.div_depth:
                self.callout_depth = 0
            self.div_depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.in_h2:
            self.sections[-1]["heading"] += data
        if self.callout_depth:
            self.callout_text.append(data)


def outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    parser.close()
    return parser


def squash(text: str) -> str:
    return " ".join(text.split())


def content_with(
    *sections: tuple[str, str, str], disclaimer: str = "Ask your doctor."
) -> MonographContent:
    return MonographContent(
        title="Testamol",
        generic_name="testamol",
        sections=[Section(key=k, heading=h, body=b) for k, h, b in sections],
        disclaimer=disclaimer,
    )


SERIOUS_SIDE_EFFECTS = (
    "Common side effects can include:\n\n* Headache\n* Nausea\n\n"
    "Less common but more serious side effects can include:\n\n"
    "* Liver damage\n* Allergic reactions (including anaphylaxis)\n\n"
    "If any adverse effects occur, especially serious ones, consult a professional."
)


def test_each_section_is_a_labelled_section_with_its_key_as_id_in_source_order():
    content = content_with(
        ("usage", "Usage", "Used for pain."),
        ("interactions", "Interactions", "Avoid **alcohol**."),
        ("dosage", "Dosage", "500 mg."),
    )
    parsed = outline(build_article_html(content, "Disclaimer text."))

    assert [s["id"] for s in parsed.sections] == ["usage", "interactions", "dosage", "disclaimer"]
    assert [s["heading"] for s in parsed.sections] == [
        "Usage",
        "Interactions",
        "Dosage",
        "Disclaimer",
    ]
    for section in parsed.sections:
        assert section["labelledby"] == section["heading_id"] != ""


def test_section_bodies_are_markdown_with_headings_below_the_section_h2():
    content = content_with(
        ("usage", "Usage", "# Adults\n\n| Dose | When |\n|---|---|\n| 1 g | daily |")
    )
    html = build_article_html(content, "")

    assert "<h3>Adults</h3>" in html
    assert "<h1" not in html
    assert "<td>1 g</td>" in html and "<th>Dose</th>" in html


def test_headings_and_keys_are_escaped_and_bodies_sanitized():
    content = content_with(
        (
            "usage",
            "Usage <script>alert(1)</script>",
            "<script>alert(2)</script>[x](javascript:alert(3))",
        ),
    )
    html = build_article_html(content, "<img src=x onerror=alert(4)>")

    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "Usage &lt;script&gt;" in html


def test_serious_side_effects_are_in_a_warning_callout_that_says_to_get_urgent_help():
    content = content_with(("side_effects", "Side Effects", SERIOUS_SIDE_EFFECTS))
    parsed = outline(build_article_html(content, ""))
    callout = squash(" ".join(parsed.callout_text))

    assert URGENT_HELP_TITLE in callout
    assert "urgent medical help" in callout.lower()
    assert "Liver damage" in callout
    assert "Allergic reactions (including anaphylaxis)" in callout
    assert "especially serious ones" in callout
    # The common side effects stay outside the warning.
    assert "Headache" not in callout
    assert "Headache" in squash(" ".join(parsed.text))


@pytest.mark.parametrize(
    "body",
    [
        "Common side effects include:\n\n* Nausea\n* Headache",
        "",
        "* Severe headache is listed only as an item",
    ],
)
def test_no_callout_when_the_section_has_no_serious_paragraph(body):
    content = content_with(("side_effects", "Side Effects", body))
    html = build_article_html(content, "")

    assert "callout" not in html
    assert serious_side_effects_span(body) is None


def test_no_callout_when_there_is_no_side_effects_section():
    html = build_article_html(content_with(("usage", "Usage", "Seek advice first.")), "")
    assert "callout" not in html


def test_severe_and_seek_also_introduce_the_warning():
    body = "Mostly mild.\n\nSeek help at once if you notice:\n\n1. Chest pain\n2. Fainting"
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")
    callout = squash(" ".join(outline(html).callout_text))

    assert "Chest pain" in callout and "Fainting" in callout
    assert "Mostly mild" not in callout


def test_faqs_are_a_definition_list_of_questions_and_answers():
    body = (
        "Answers to common questions.\n\n"
        "* **Q: Can I take it with *food*?** A: Yes, with or without food.\n"
        "* **Q: How quickly does it work?** A: Usually within\n  an hour."
    )
    html = build_article_html(content_with(("faqs", "FAQs", body)), "")

    assert '<dl class="faq-list">' in html
    assert "<dt>Can I take it with <em>food</em>?</dt>" in html
    assert "<dd>Yes, with or without food.</dd>" in html
    assert "<dd>Usually within an hour.</dd>" in html
    # Text that is not a question stays, once; the items are not repeated as a list.
    assert html.count("Answers to common questions.") == 1
    assert html.count("How quickly does it work?") == 1
    assert "<li>" not in html


def test_a_faq_section_without_items_is_shown_as_written():
    html = build_article_html(content_with(("faqs", "FAQs", "Ask your pharmacist.")), "")
    assert "<p>Ask your pharmacist.</p>" in html
    assert "faq-list" not in html


def test_the_disclaimer_is_rendered_without_repeating_its_label():
    html = build_article_html(
        content_with(("usage", "Usage", "x")),
        "**Disclaimer:** For education only. See [the leaflet](https://example.org/leaflet).",
    )
    parsed = outline(html)
    disclaimer = parsed.sections[-1]

    assert disclaimer["id"] == "disclaimer"
    assert "For education only." in html
    assert '<a href="https://example.org/leaflet"' in html
    assert "Disclaimer:" not in squash(" ".join(parsed.text))


def test_an_empty_disclaimer_still_shows_a_disclaimer():
    html = build_article_html(content_with(("usage", "Usage", "x")), "   ")
    assert FALLBACK_DISCLAIMER in html
    assert 'id="disclaimer"' in html


def test_seed_sections_in_order(seed_text):
    from monographs import sourcefile

    content = sourcefile.parse(seed_text)
    html = build_article_html(content, content.disclaimer)
    headings = re.findall(r"^### (.+)$", seed_text, flags=re.MULTILINE)
    expected = [h for h in headings if h != "Generic Name"] + ["Disclaimer"]

    assert [s["heading"] for s in outline(html).sections] == expected

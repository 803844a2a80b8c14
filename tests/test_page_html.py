"""page.build_article_html: the article HTML stored on publication (no database needed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from monographs import structured_data
from monographs.content import section_key
from monographs.page import (
    DEFAULT_DISCLAIMER,
    URGENT_HELP_TITLE,
    build_article_html,
    serious_side_effects_span,
)
from tests.workflow_helpers import content_with, read_page


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
            # A blank line: CommonMark reads the rest of a line opened by <script> as HTML.
            "<script>alert(2)</script>\n\n[x](javascript:alert(3))",
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
    assert DEFAULT_DISCLAIMER in html
    assert 'id="disclaimer"' in html


def test_seed_sections_in_order(seed_text):
    from monographs import sourcefile

    content = sourcefile.parse(seed_text)
    html = build_article_html(content, content.disclaimer)
    headings = re.findall(r"^### (.+)$", seed_text, flags=re.MULTILINE)
    expected = [h for h in headings if h != "Generic Name"] + ["Disclaimer"]

    assert [s["heading"] for s in outline(html).sections] == expected


# --- tables, headings, the serious side-effects callout, FAQs written otherwise ----------------


TABLE = "| Age | Dose |\n|---|---:|\n| 2–3 months | 2.5 mL |"


def test_a_table_scrolls_in_its_own_focusable_labelled_region():
    html = build_article_html(content_with(("dosage", "Dosage", TABLE)), "")
    page = read_page(html)
    regions = [attrs for tag, attrs in page.tags if attrs.get("class") == "table-scroll"]

    assert regions == [
        {"class": "table-scroll", "role": "region", "tabindex": "0", "aria-label": "Dosage table"}
    ]
    assert re.search(r'<div class="table-scroll"[^>]*><table>.*?</table></div>', html, re.S)
    assert '<td align="right">2.5 mL</td>' in html


def test_several_tables_are_numbered_and_labels_are_escaped():
    body = f"{TABLE}\n\nText.\n\n{TABLE}"
    html = build_article_html(content_with(("dosage", 'Dose "<b>"', body)), "")
    labels = [a["aria-label"] for _t, a in read_page(html).tags if a.get("class") == "table-scroll"]

    assert labels == ['Dose "<b>" table 1', 'Dose "<b>" table 2']
    assert 'aria-label="Dose &quot;&lt;b&gt;&quot; table 1"' in html


def test_a_table_in_the_side_effects_warning_scrolls_too():
    body = f"Serious side effects:\n\n{TABLE}"
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")
    callout = html.split('class="callout', 1)[1]

    assert '<div class="table-scroll"' in callout.split("</div>\n<p class", 1)[0]


@pytest.mark.parametrize(
    ("body", "levels"),
    [
        ("## Adults\n\nx\n\n### Children\n\ny", ["h3", "h4"]),
        ("# Adults\n\n## Children", ["h3", "h4"]),
        ("#### Adults\n\n##### Children", ["h3", "h4"]),
        ("Adults\n------\n\nx", ["h3"]),  # a setext heading: "---" under a line
    ],
)
def test_the_first_heading_level_in_a_section_is_h3_so_no_level_is_skipped(body, levels):
    html = build_article_html(content_with(("dosage", "Dosage", body)), "")
    found = re.findall(r"<(h[1-6])>", html.split("</h2>", 1)[1].split("</section>")[0])
    assert found == levels


@pytest.mark.parametrize(
    "body",
    [
        "Most side effects are mild and not serious:\n\n* Headache\n* Nausea",
        "These side effects are non-serious and usually pass:\n\n* Headache",
        "Less serious side effects include:\n\n* Headache",
        "They are not usually serious. Common ones:\n\n* Headache",
        "Tell your doctor if these become severe or do not go away:\n\n* Headache",
        "Seek advice from your pharmacist if these bother you:\n\n* Headache",
    ],
)
def test_common_side_effects_are_not_put_under_get_urgent_medical_help(body):
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")

    assert serious_side_effects_span(body) is None
    assert URGENT_HELP_TITLE not in html
    assert "Headache" in html


@pytest.mark.parametrize(
    "intro",
    [
        "If your child has had too much, get urgent medical advice even if they seem well.",
        "Seek immediate medical attention if you notice:",
        "Severe allergic reactions are rare but can happen:",
        "Less common but more serious side effects can include:",
        "Stop taking it and call your doctor if you get severe stomach pain or:",
    ],
)
def test_warnings_in_other_words_still_get_the_callout(intro):
    body = f"Side effects are rare.\n\n{intro}\n\n* Swelling of the face"
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")
    callout = html.split('class="callout', 1)[1].split("</div>", 1)[0]

    assert "Swelling of the face" in callout
    assert "Side effects are rare" not in callout


def test_the_callout_stops_at_a_paragraph_that_says_the_rest_is_not_serious():
    body = (
        "Serious side effects:\n\n* Chest pain\n\n"
        "Other side effects are not serious and usually go away:\n\n* Headache"
    )
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")
    callout = html.split('class="callout', 1)[1].split("</div>", 1)[0]

    assert "Chest pain" in callout
    assert "Headache" not in callout and "usually go away" not in callout
    assert "Headache" in html


@pytest.mark.parametrize(
    "body",
    [
        "* **Q:** Can I drive? **A:** Not until you know how it affects you.",
        "* **Q: Can I drive?** **A:** Not until you know how it affects you.",
        "1. **Q: Can I drive?** A: Not until you know how it affects you.",
        "* **Q: Can I drive?**\n  A: Not until you know\n  how it affects you.",
        "* **Q:** Can I drive?\n  **A:** Not until you know how it affects you.",
    ],
)
def test_faq_items_in_other_common_forms_give_clean_questions_and_answers(body):
    content = content_with(("faqs", "FAQs", f"Read this first.\n\n{body}"))
    questions = structured_data.content_data(content)["questions"]
    html = build_article_html(content, "")

    assert [(q["name"], q["acceptedAnswer"]["text"]) for q in questions] == [
        ("Can I drive?", "Not until you know how it affects you.")
    ]
    assert "<dt>Can I drive?</dt>" in html
    assert "<dd>Not until you know how it affects you.</dd>" in html
    # Each item is shown once, as a question, and the introduction is kept.
    assert html.count("Can I drive?") == 1
    assert "Read this first." in html
    assert "**" not in html and "A:" not in html


@pytest.mark.parametrize("heading", ["Main", "MAIN!", "Disclaimer"])
def test_a_section_never_takes_an_id_the_page_already_uses(heading):
    key = section_key(heading)
    assert key not in {"main", "disclaimer"}
    html = build_article_html(content_with((key, heading, "Text.")), "A disclaimer.")
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "main" not in ids


def test_a_hard_wrapped_answer_stays_with_its_question():
    body = (
        "* **Q: Can I drive?** A: Not until you know how\n"
        "it affects you.\n"
        "* **Q: Can I drink?** A: Best avoided.\n\n"
        "Ask your pharmacist about anything else."
    )
    content = content_with(("faqs", "FAQs", body))
    html = build_article_html(content, "")

    assert [(f.question, f.answer) for f in content.faqs] == [
        ("Can I drive?", "Not until you know how it affects you."),
        ("Can I drink?", "Best avoided."),
    ]
    assert "<dd>Not until you know how it affects you.</dd>" in html
    assert html.count("it affects you") == 1
    assert "<p>Ask your pharmacist about anything else.</p>" in html


def test_a_faq_item_with_a_typo_is_shown_as_written_not_lost():
    body = "* **Q: Can I drive?** A: Yes.\n* **Q: Can I drink? A: Best avoided, no closing stars."
    html = build_article_html(content_with(("faqs", "FAQs", body)), "")

    assert "<dt>Can I drive?</dt>" in html
    assert "Can I drink?" in html and "Best avoided" in html


def test_a_table_of_symptoms_under_the_warning_is_inside_it():
    body = (
        "Common: headache.\n\nSeek urgent medical help if you have:\n\n"
        "| Symptom | Could be |\n|---|---|\n| Yellow skin | liver damage |\n\n"
        "Most people have no side effects."
    )
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")
    callout = html.split('class="callout', 1)[1].split('<p class="callout__action">', 1)[0]

    assert "<td>Yellow skin</td>" in callout
    assert "Most people" not in callout and "Common: headache" not in callout


def test_a_code_block_with_blank_lines_in_side_effects_renders_whole():
    body = "```\nSevere reaction log\n\nline two\n```\n\nSerious side effects:\n\n* Chest pain"
    html = build_article_html(content_with(("side_effects", "Side Effects", body)), "")

    assert "<pre><code>Severe reaction log\n\nline two\n</code></pre>" in html
    assert "```" not in html
    callout = html.split('class="callout', 1)[1]
    assert "Chest pain" in callout and "line two" not in callout

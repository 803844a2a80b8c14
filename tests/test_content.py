"""content.py: what a heading means (section keys) and how FAQ items are read."""

from __future__ import annotations

import pytest

from monographs.content import section_key
from tests.workflow_helpers import content_with

# --- headings worded otherwise, FAQs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("FAQ's", "faqs"),
        ("FAQ’s", "faqs"),
        ("Frequently Asked Questions (FAQs)", "faqs"),
        ("Questions and answers", "faqs"),
        ("Q&A", "faqs"),
        ("Dosage & Administration", "dosage"),
        ("How to take it", "dosage"),
        ("2) Side effects", "side_effects"),
        ("Possible side effects", "side_effects"),
        ("How does it work?", "how_it_works"),
        ("Warnings & Precautions", "precautions"),
        ("Warnings", "precautions"),
        ("What is it used for?", "usage"),
        ("What it's used for", "usage"),
        ("1. Usage", "usage"),
        ("Usage (adults)", "usage"),
        # Not a standard section, whatever it mentions.
        ("A note on usage", "a_note_on_usage"),
        ("Interactions (with food)", "interactions_with_food"),
        ("Overdose", "overdose"),
    ],
)
def test_standard_sections_are_recognised_however_the_heading_is_worded(heading, key):
    assert section_key(heading) == key


def test_the_seed_style_faqs_read_exactly_as_before():
    body = (
        "* **Q: Can I drink alcohol while taking it?** A: No.  Drinking may not prevent "
        "intoxication.\n* **Q: What are the signs of a serious allergic reaction?** A:  "
        "Signs include hives."
    )
    content = content_with(("faqs", "FAQs", body))
    assert [(f.question, f.answer) for f in content.faqs] == [
        ("Can I drink alcohol while taking it?", "No.  Drinking may not prevent intoxication."),
        ("What are the signs of a serious allergic reaction?", "Signs include hives."),
    ]

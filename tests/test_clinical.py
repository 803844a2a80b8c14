"""Clinical change detection (issue 11.1) on before/after pairs written as editors write.

Each clinical pair is checked in both directions (an increase and a decrease, an added and a
removed instruction); each non-clinical edit (typos, rewording, reordering, formatting,
equivalent units) must report nothing.
"""

from __future__ import annotations

import pytest

from monographs.clinical import (
    ADDED,
    CHANGED,
    REMOVED,
    ClinicalChange,
    clinical_changes,
    compare_texts,
    facts_of,
)
from monographs.content import MonographContent
from tests.workflow_helpers import edited, sample_content

MIRROR = {ADDED: REMOVED, REMOVED: ADDED, CHANGED: CHANGED}

# (old, new, what the moderator reads): the text pairs of a Dosage section.
CLINICAL_PAIRS = [
    pytest.param(
        "Adults: take 20 mg once a day with water.",
        "Adults: take 40 mg once a day with water.",
        ["Dosage: 20 mg → 40 mg"],
        id="dose",
    ),
    pytest.param(
        "Take 20 mg once a day.",
        "Take 20 mg twice a day.",
        ["Dosage: once a day → twice a day"],
        id="frequency",
    ),
    pytest.param(
        "Take one tablet every 12 hours.",
        "Take one tablet every 6 hours.",
        ["Dosage: every 12 hours → every 6 hours"],
        id="interval",
    ),
    pytest.param(
        "Take 50 mg daily for 7 days.",
        "Take 50 mg daily for 14 days.",
        ["Dosage: 7 days → 14 days"],
        id="duration",
    ),
    pytest.param(
        "The usual dose is 500 mg twice daily.",
        "The usual dose is 500 µg twice daily.",
        ["Dosage: 500 mg → 500 µg"],
        id="unit-mg-to-microgram",
    ),
    pytest.param(
        "Store it below 25 degrees. Do not take two doses at once.",
        "Store it below 25 degrees.",
        ["Dosage: Do not take two doses at once → (none)"],
        id="do-not-removed",
    ),
    pytest.param(
        "Naltrexone can be taken with or without food.",
        "Naltrexone can be taken with or without food. Do not take it if you are pregnant.",
        ["Dosage: (none) → Do not take it if you are pregnant"],
        id="contraindication-added",
    ),
    pytest.param(
        "Ask your doctor before you stop taking it.",
        "Ask your doctor before you take it.",
        ["Dosage: stop taking it → (none)"],
        id="stop-removed",
    ),
    pytest.param(
        "| Age | Dose | How often |\n|---|---|---|\n| Adults | 20 mg | once a day |\n"
        "| Children 6 to 11 | 10 mg | once a day |",
        "| Age | Dose | How often |\n|---|---|---|\n| Adults | 20 mg | once a day |\n"
        "| Children 6 to 11 | 15 mg | once a day |",
        ["Dosage: 10 mg → 15 mg"],
        id="number-in-a-table",
    ),
    pytest.param(
        "| Weight | Tablets |\n|---|---|\n| under 40 kg | 1 |\n| 40 kg or more | 2 |",
        "| Weight | Tablets |\n|---|---|\n| under 40 kg | 1 |\n| 40 kg or more | 3 |",
        ["Dosage: 2 → 3"],
        id="bare-number-in-a-table",
    ),
    pytest.param(
        "Adults over 65: no more than 2 g a day.",
        "Adults over 65: no more than 3 g a day.",
        ["Dosage: 2 g a day → 3 g a day"],
        id="daily-maximum",
    ),
    pytest.param(
        "Take it in the morning.",
        "Take it at night.",
        ["Dosage: in the morning → at night"],
        id="time-of-day",
    ),
    pytest.param(
        "* 5 mL three times a day",
        "* 10 mL three times a day",
        ["Dosage: 5 mL → 10 mL"],
        id="list-item-volume",
    ),
    pytest.param(
        "Never drink alcohol while you take it.",
        "Drink little alcohol while you take it.",
        ["Dosage: Never drink alcohol while you take it → (none)"],
        id="never-removed",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), CLINICAL_PAIRS)
def test_a_clinical_change_is_reported_with_its_section_before_and_after(old, new, expected):
    changes = compare_texts(old, new, section="Dosage", key="dosage")
    assert [str(c) for c in changes] == expected
    assert all(c.section == "Dosage" and c.key == "dosage" for c in changes)


@pytest.mark.parametrize(("old", "new", "expected"), CLINICAL_PAIRS)
def test_the_same_change_the_other_way_round_is_reported_mirrored(old, new, expected):
    forward = compare_texts(old, new, section="Dosage")
    backward = compare_texts(new, old, section="Dosage")
    assert [(c.after, c.before, MIRROR[c.change]) for c in backward] == [
        (c.before, c.after, c.change) for c in forward
    ]


NON_CLINICAL_PAIRS = [
    pytest.param(
        "Naltrexone is primarily used to treat alcohol use disorder.",
        "Naltrexone is primarly used to treat alcohol use disoder.",
        id="typos",
    ),
    pytest.param(
        "It works by blocking the effects of opioids in the brain.",
        "In the brain, it blocks what opioids do.",
        id="rewording",
    ),
    pytest.param(
        "Take 50 mg once daily. Higher doses increase the risk of liver damage. "
        "Do not take two doses at once.",
        "Do not take two doses at once. Higher doses increase the risk of liver damage. "
        "Take 50 mg once daily.",
        id="reordered-sentences",
    ),
    pytest.param(
        "The typical starting dose is 50 mg once daily.",
        "The usual starting dose is 50 mg once a day.",
        id="reworded-around-the-same-dose",
    ),
    pytest.param(
        "Take 1 g every 4 to 6 hours.", "Take 1000 mg every 4-6 hours.", id="1-g-is-1000-mg"
    ),
    pytest.param("Take 50 mcg daily.", "Take 50 micrograms daily.", id="mcg-is-micrograms"),
    pytest.param("Take two tablets twice a day.", "Take 2 tablets twice daily.", id="number-words"),
    pytest.param("Take **20 mg** once a day.", "Take 20 mg *once a day*.", id="formatting"),
    pytest.param(
        "Do not tkae two doses at once.", "Do not take two doses at once.", id="typo-in-do-not"
    ),
    pytest.param(
        "* Headache\n* Dizziness\n* Nausea",
        "* Nausea\n* Headache\n* Dizziness",
        id="reordered-list",
    ),
    pytest.param(
        "| Age | Dose |\n|---|---|\n| Adults | 20 mg |",
        "| Age group | Dose |\n| --- | --- |\n| Adults | 20 mg |",
        id="table-header-reworded",
    ),
    pytest.param(
        "e.g. 50 mg on weekdays and 100 mg on weekends.",
        "For example, 50 mg on weekdays and 100 mg on weekends.",
        id="abbreviation",
    ),
]


@pytest.mark.parametrize(("old", "new"), NON_CLINICAL_PAIRS)
def test_edits_that_are_not_clinical_report_nothing(old, new):
    assert compare_texts(old, new) == []
    assert compare_texts(new, old) == []


def test_a_sentence_keeps_its_facts_in_reading_order():
    facts = facts_of(
        "Start with 12.5 mg once daily, then 12.5 mg every 3-7 days. Do not exceed 50 mg."
    )
    assert [(f.kind, f.text) for f in facts] == [
        ("quantity", "12.5 mg"),
        ("frequency", "once daily"),
        ("quantity", "12.5 mg"),
        ("frequency", "every 3-7 days"),
        ("instruction", "Do not exceed 50 mg"),
        ("quantity", "50 mg"),
    ]


def test_a_change_names_its_sentence_for_context():
    (change,) = compare_texts("Take 20 mg once a day.", "Take 40 mg once a day.")
    assert change.old_text == "Take 20 mg once a day."
    assert change.new_text == "Take 40 mg once a day."
    assert change.kind == "dose" and change.change == CHANGED
    assert ClinicalChange.from_dict(change.as_dict()) == change


# --- whole monographs ---------------------------------------------------------------------


@pytest.fixture
def live() -> MonographContent:
    return sample_content(
        precautions=(
            "* **Liver disease:** Use with care; your doctor may check your liver.\n"
            "* **Alcohol:** Drinking a lot of alcohol raises the risk of liver damage."
        ),
        faqs=(
            "* **Q: Can I drink alcohol while taking it?** A: No. Alcohol raises the risk.\n"
            "* **Q: What if I miss a dose?** A: Take it when you remember. Do not take two "
            "doses at once."
        ),
    )


def both_ways(old: MonographContent, new: MonographContent) -> tuple[list[str], list[str]]:
    return [str(c) for c in clinical_changes(old, new)], [
        str(c) for c in clinical_changes(new, old)
    ]


def test_a_dose_change_in_the_monograph_is_reported_under_dosage(live):
    new = edited(live, dosage=live.section("dosage").body.replace("500 mg to 1 g", "1 g to 2 g"))
    forward, backward = both_ways(live, new)
    assert forward == ["Dosage: 500 mg to 1 g → 1 g to 2 g"]
    assert backward == ["Dosage: 1 g to 2 g → 500 mg to 1 g"]


def test_a_precaution_added_or_removed_is_a_warning(live):
    body = live.section("precautions").body + (
        "\n* **Pregnancy:** Do not take it if you are pregnant; it is contraindicated."
    )
    new = edited(live, precautions=body)
    changes = clinical_changes(live, new)
    assert [(c.kind, c.change) for c in changes] == [("warning", ADDED)]
    assert changes[0].after.startswith("Pregnancy: Do not take it if you are pregnant")
    back = clinical_changes(new, live)
    assert [(c.kind, c.change, c.section) for c in back] == [("warning", REMOVED, "Precautions")]


def test_a_reworded_precaution_is_not_a_new_warning(live):
    body = live.section("precautions").body.replace("Use with care", "Take care")
    assert clinical_changes(live, edited(live, precautions=body)) == []


def test_the_serious_side_effects_warning_added_or_removed(live):
    body = "Common side effects include:\n\n* Nausea\n* Headache"
    without = edited(live, side_effects=body)
    forward, backward = both_ways(without, live)
    assert "Side Effects: (none) → serious side-effects warning" in forward
    assert "Side Effects: serious side-effects warning → (none)" in backward


def test_a_side_effect_added_to_the_list(live):
    body = live.section("side_effects").body.replace("* Headache", "* Headache\n* Seizures")
    forward, backward = both_ways(live, edited(live, side_effects=body))
    assert forward == ["Side Effects: (none) → Seizures"]
    assert backward == ["Side Effects: Seizures → (none)"]


def test_other_names_added_or_removed(live):
    new = edited(live, other_names=["Revia", "Vivitrol"])
    old = edited(live, other_names=["Revia"])
    forward, backward = both_ways(old, new)
    assert forward == ["Other names: (none) → Vivitrol"]
    assert backward == ["Other names: Vivitrol → (none)"]
    # The same names in another order or case are not a change.
    assert clinical_changes(new, edited(live, other_names=["vivitrol", "REVIA"])) == []


def test_a_faq_answer_that_turns_no_into_yes(live):
    body = live.section("faqs").body.replace("A: No. Alcohol raises", "A: Yes. Alcohol raises")
    forward, backward = both_ways(live, edited(live, faqs=body))
    assert forward == ["FAQs (Can I drink alcohol while taking it?): No → Yes"]
    assert backward == ["FAQs (Can I drink alcohol while taking it?): Yes → No"]


def test_a_do_not_removed_from_a_faq_answer(live):
    body = live.section("faqs").body.replace(" Do not take two doses at once.", "")
    forward, backward = both_ways(live, edited(live, faqs=body))
    assert forward == ["FAQs (What if I miss a dose?): Do not take two doses at once → (none)"]
    assert backward == ["FAQs (What if I miss a dose?): (none) → Do not take two doses at once"]


def test_a_faq_question_added_or_removed(live):
    body = (
        live.section("faqs").body
        + "\n* **Q: Can I drive?** A: Not until you know how it affects you."
    )
    forward, backward = both_ways(live, edited(live, faqs=body))
    assert forward == ["FAQs: (none) → Can I drive?"]
    assert backward == ["FAQs: Can I drive? → (none)"]


def test_a_reworded_faq_answer_is_not_clinical(live):
    body = live.section("faqs").body.replace(
        "Take it when you remember.", "Take it as soon as you remember."
    )
    assert clinical_changes(live, edited(live, faqs=body)) == []


def test_non_clinical_edits_across_the_monograph_report_nothing(live):
    new = edited(
        live,
        usage=live.section("usage").body.replace("mild to moderate", "mild-to-moderate"),
        how_it_works=live.section("how_it_works").body.replace("blocks", "stops"),
        title="Testamol tablets",
        disclaimer="Education only; ask your doctor.",
    )
    assert clinical_changes(live, new) == []


def test_the_seed_against_itself_and_a_first_publication_report_nothing(live):
    assert clinical_changes(live, live) == []
    assert clinical_changes(None, live) == []


def test_a_removed_dosage_section_reports_its_doses(live):
    new = MonographContent.from_dict(live.as_dict())
    new.sections = [s for s in new.sections if s.key != "dosage"]
    changes = clinical_changes(live, new)
    assert changes and all(c.section == "Dosage" and c.change == REMOVED for c in changes)
    assert "500 mg to 1 g" in " ".join(c.before for c in changes)

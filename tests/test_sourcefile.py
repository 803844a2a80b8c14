"""The seed file format: what `sourcefile.parse` reads and what `sourcefile.write` writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monographs import sourcefile
from monographs.content import MonographContent, Section
from monographs.sourcefile import SourceFormatError, parse, write
from tests.workflow_helpers import FIXTURES, source

SOURCES = FIXTURES / "sources"
VALID = sorted((SOURCES / "valid").glob("*.md"))


def normalise(text: str) -> str:
    """The comparison the format promises: blank lines and trailing spaces do not count."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def body_of(text: str) -> str:
    """Everything after the front matter."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    return text.split("\n---\n", 1)[1]


def src(body: str, front: str = "title: Aspirin") -> str:
    return f"---\n{front}\n---\n\n{body}"


def test_fixtures_are_there():
    assert {p.name for p in VALID} == {
        "amoxicillin.md",
        "levothyroxine-crlf-bom.md",
        "metformin.md",
    }


# ------------------------------------------------------------------------------ the seed


class TestSeed:
    @pytest.fixture
    def seed(self, seed_text) -> MonographContent:
        return parse(seed_text)

    def test_names_and_layout(self, seed):
        assert seed.title == "Naltrexone"
        assert seed.generic_name == "Naltrexone"
        assert seed.layout == "minimal-medicine"
        assert seed.other_names == []

    def test_all_six_sections_in_source_order(self, seed):
        assert [(s.key, s.heading) for s in seed.sections] == [
            ("usage", "Usage"),
            ("dosage", "Dosage"),
            ("side_effects", "Side Effects"),
            ("how_it_works", "How it Works"),
            ("precautions", "Precautions"),
            ("faqs", "FAQs"),
        ]

    def test_bodies_are_the_source_text_without_edge_blank_lines(self, seed, seed_text):
        usage = seed.section("usage").body
        assert usage.startswith("Naltrexone is primarily used")
        assert usage.endswith("due to potential side effects.")
        # Interior spacing is untouched: double spaces after full stops, and blank-line runs.
        assert "opioid use disorder.  It works" in usage
        dosage = seed.section("dosage").body
        assert "daily for up to 28 weeks.\n\n\n**Pediatric Use:**  The safety" in dosage
        assert dosage.endswith("Always consult your doctor before adjusting your dosage.")
        for section in seed.sections:
            assert section.body == section.body.strip("\n")
            assert section.body in seed_text

    def test_bold_labels_stay_in_their_section(self, seed):
        dosage = seed.section("dosage").body
        for label in (
            "**Alcohol Use Disorder:**",
            "**Opioid Use Disorder:**",
            "**Cholestatic Pruritus (Off-Label):**",
            "**Pediatric Use:**",
            "**Dosage Adjustments:**",
        ):
            assert label in dosage

    def test_every_list_item_is_in_the_section_it_was_written_in(self, seed, seed_text):
        current = None
        items = 0
        for line in seed_text.splitlines():
            if line.startswith("### "):
                current = line[4:]
            elif line.startswith("* "):
                section = next(s for s in seed.sections if s.heading == current)
                assert line in section.body.splitlines()
                items += 1
        assert items == 30

    def test_five_faq_pairs(self, seed):
        faqs = seed.faqs
        assert len(faqs) == 5
        assert faqs[0].question == (
            "Can I drink alcohol while taking naltrexone for alcohol use disorder?"
        )
        assert faqs[0].answer.startswith("No.  Drinking alcohol while on naltrexone")
        assert [f.question for f in faqs[1:]] == [
            "What should I do if I miss a dose?",
            "How should I store naltrexone?",
            "Can I stop taking naltrexone suddenly?",
            "What are the signs of a serious allergic reaction?",
        ]
        assert faqs[4].answer.endswith("if you experience these symptoms.")

    def test_disclaimer_is_taken_out_of_the_faqs(self, seed):
        assert seed.disclaimer.startswith("This information is intended for educational purposes")
        assert seed.disclaimer.endswith("official prescribing information for complete details.")
        assert "Disclaimer" not in seed.section("faqs").body
        assert seed.section("faqs").body.endswith("if you experience these symptoms.")

    def test_written_back_byte_for_byte(self, seed, seed_text):
        assert write(seed) == seed_text
        assert normalise(write(seed)) == normalise(seed_text)

    def test_parse_of_write_is_the_same_content(self, seed):
        assert parse(write(seed)) == seed

    def test_bytes_and_text_give_the_same_content(self, seed_text):
        assert parse(seed_text.encode("utf-8")) == parse(seed_text)


# ------------------------------------------------------------------------------ variants


def test_tables_numbered_and_nested_lists_are_kept_verbatim():
    text = (SOURCES / "valid" / "metformin.md").read_text(encoding="utf-8")
    content = parse(text)
    dosage = content.section("dosage").body
    assert "| Form | Starting dose | Usual maximum |\n|------|---------------|" in dosage
    assert "| Extended-release tablet | 500 mg once daily with the evening meal |" in dosage
    assert "1. Start with 500 mg once or twice a day.\n2. Increase by 500 mg" in dosage
    # two-space nesting under a bullet
    assert "* 30 to 44:\n  * Do not start metformin.\n  * If already taking it" in dosage
    interactions = content.section("interactions").body
    # four-space nesting under a numbered item
    assert "1. Contrast dyes used for X-rays and scans\n    * Metformin is usually paused" in (
        interactions
    )


def test_an_extra_section_stays_where_the_source_puts_it():
    content = parse((SOURCES / "valid" / "metformin.md").read_bytes())
    assert [s.heading for s in content.sections] == [
        "Usage",
        "Dosage",
        "Interactions",
        "Side Effects",
        "How it Works",
        "Precautions",
        "FAQs",
    ]
    interactions = content.section("interactions")
    assert not interactions.is_standard
    assert interactions.body.startswith("Tell your doctor about every medicine you take")
    assert interactions.body.endswith("keep to low-risk drinking.")


def test_other_names_as_a_block_list():
    content = parse((SOURCES / "valid" / "metformin.md").read_bytes())
    assert content.other_names == ["Glucophage", "Glucophage XR", "Fortamet"]
    assert content.generic_name == "Metformin hydrochloride"
    assert len(content.faqs) == 3


def test_other_names_as_a_flow_list_with_quotes():
    content = parse((SOURCES / "valid" / "amoxicillin.md").read_bytes())
    assert content.title == "Amoxicillin"
    assert content.other_names == ["Amoxil", "Trimox", "Clamoxyl"]


def test_a_missing_faq_section_is_simply_absent():
    content = parse((SOURCES / "valid" / "amoxicillin.md").read_bytes())
    assert content.section("faqs") is None
    assert content.faqs == []
    assert [s.key for s in content.sections][-1] == "precautions"
    assert (
        content.disclaimer == "This information is for education only – it is not medical advice."
    )


def test_non_ascii_text_survives():
    content = parse((SOURCES / "valid" / "amoxicillin.md").read_bytes())
    text = "\n".join(s.body for s in content.sections)
    for fragment in ("250–500 mg", "Neonates ≤ 3 months", "(≈ 0.01–0.05 %", "≥ 80 %", "Naïve"):
        assert fragment in text
    assert "Müller–Hinz" in content.section("precautions").body
    assert "café-table" in content.section("how_it_works").body


def test_crlf_and_bom_read_like_the_same_file_with_lf():
    raw = (SOURCES / "valid" / "levothyroxine-crlf-bom.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the fixture is what it says
    content = parse(raw)
    lf_text = raw[3:].decode("utf-8").replace("\r\n", "\n")
    assert content == parse(lf_text)
    assert content.title == "Levothyroxine"
    assert content.other_names == ["Lévothyrox", "Eltroxin", "Synthroid", "L-thyroxine"]
    assert "\r" not in write(content)
    assert all("\r" not in s.body for s in content.sections)
    assert "| Adults ≥ 50 years or heart disease | 12.5–25 µg daily |" in (
        content.section("dosage").body
    )
    assert content.disclaimer.endswith("Décidez avec votre médecin.")


def test_cr_only_line_ends_are_read_too():
    content = parse(src("# Aspirin\r### Usage\r\rPain.\r\rFever.\r").replace("\n", "\r"))
    assert content.section("usage").body == "Pain.\n\nFever."


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_round_trip_of_every_valid_variant(path: Path):
    raw = path.read_bytes()
    content = parse(raw)
    written = write(content)
    assert parse(written) == content
    # The Markdown after the front matter comes back as written (the front matter may be
    # re-spelled: quotes dropped, lists written as block lists).
    assert normalise(body_of(written)) == normalise(body_of(raw.decode("utf-8-sig")))


def test_a_file_in_the_written_style_round_trips_as_text():
    text = (SOURCES / "valid" / "metformin.md").read_text(encoding="utf-8")
    assert normalise(write(parse(text))) == normalise(text)


class TestTextBeforeTheFirstSection:
    """Text between the title and the first ### becomes a leading "Overview" section."""

    @pytest.fixture
    def ibuprofen(self) -> MonographContent:
        return parse((SOURCES / "normalised" / "ibuprofen.md").read_bytes())

    def test_it_is_kept_as_an_overview_section(self, ibuprofen):
        first = ibuprofen.sections[0]
        assert (first.key, first.heading) == ("overview", "Overview")
        assert first.body.startswith("Ibuprofen is a non-steroidal")
        assert first.body.endswith("so that you do not take it twice.")
        assert "\n\nIt is also found" in first.body

    def test_the_title_line_is_not_part_of_it(self, ibuprofen):
        assert ibuprofen.title == "Ibuprofen"
        assert "# Ibuprofen" not in ibuprofen.sections[0].body

    def test_level_four_headings_stay_in_the_body(self, ibuprofen):
        dosage = ibuprofen.section("dosage").body
        assert dosage.startswith("#### Adults and children 12 and over\n\n* 200–400 mg")
        assert "#### Children under 12" in dosage

    def test_an_alias_heading_keeps_its_wording(self, ibuprofen):
        usage = ibuprofen.section("usage")
        assert usage.heading == "Uses"

    def test_a_disclaimer_section_of_two_paragraphs(self, ibuprofen):
        assert ibuprofen.disclaimer == (
            "This information is for education only and is not medical advice.\n\n"
            "In an emergency, call your local emergency number."
        )
        assert ibuprofen.section("disclaimer") is None

    def test_it_is_written_back_under_an_explicit_heading(self, ibuprofen):
        expected = (SOURCES / "normalised" / "ibuprofen.md.expected").read_text(encoding="utf-8")
        assert write(ibuprofen) == expected
        assert parse(expected) == ibuprofen


# ------------------------------------------------------------------------------ refused files


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-front-matter.md", "no front matter: the file must start with a '---' line"),
        ("unclosed-front-matter.md", "unclosed front matter: no closing '---' line after line 1"),
        ("no-title.md", "no title: give a front-matter 'title' or a '# Title' line"),
        ("not-utf8.md", "not UTF-8 text (invalid byte 0xe9 at position 16)"),
        ("empty.md", "file is empty"),
        (
            "unknown-key.md",
            "front matter line 3: unknown key 'author' (known: layout, title, other_names)",
        ),
        ("empty-heading.md", "line 10: empty '###' heading"),
        (
            "bad-front-matter-line.md",
            "front matter line 3: expected 'key: value', got 'this line is not yaml'",
        ),
    ],
)
def test_malformed_files_are_refused_with_one_line(name: str, message: str):
    with pytest.raises(SourceFormatError) as caught:
        parse((SOURCES / "malformed" / name).read_bytes())
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("\ufeff\n \n", "file is empty"),
        ("# Aspirin\n---\ntitle: x\n---\n", "no front matter"),
        ("---\ntitle: Aspirin\n", "unclosed front matter"),
        (src("### Usage\n\nPain."), None),  # the front-matter title is enough
        (src("### Usage\n\nPain.", front="layout: x"), "no title"),
        (src("### Usage\n\nPain.", front="title:"), "no title"),
        (src("# Aspirin\n###   \n\nx"), "line 6: empty '###' heading"),
        (src("# Aspirin\n### ###\n\nx"), "line 6: empty '###' heading"),
        (src("# Aspirin\n", front="title: Aspirin\ntitle: Aspirin"), "'title' given twice"),
        (src("# Aspirin\n", front="title: [Aspirin]"), "'title' must be a single value"),
        (src("# Aspirin\n", front="title:\n  - Aspirin"), "'title' must be a single value"),
        (src("# Aspirin\n", front="other_names: Disprin"), "'other_names' must be a list"),
        (src("# Aspirin\n", front="other_names: [Disprin"), "must end with ']'"),
        (src("# Aspirin\n", front="other_names: [Disprin,,Anadin]"), "empty list item"),
        (src("# Aspirin\n", front="other_names: [[Disprin]]"), "nested lists"),
        (src("# Aspirin\n", front="other_names:\n  -"), "empty list item"),
        (src("# Aspirin\n", front="- Disprin"), "list item with no 'key:' line"),
        (src("# Aspirin\n", front="title: Aspirin\n  extra: 1"), "nested values"),
        (src("# Aspirin\n", front='title: "Aspirin'), "unclosed or invalid quotes"),
        (src("# Aspirin\n", front="title: {a: b}"), "only plain values and lists"),
        (src("# Aspirin\n", front="title: Aspirin\ndate: 2024-01-01"), "unknown key 'date'"),
        (src("# Asprin\n"), "the front-matter title 'Aspirin' and the '# Asprin' line disagree"),
        (src("# Aspirin\n### Generic Name\nAspirin\nAcetylsalicylic acid\n"), "followed by one"),
        (src("# Aspirin\n### Generic Name\nA\n### Generic Name\nB\n"), "a second '### Generic"),
        (
            src("# Aspirin\n### Disclaimer\nOne.\n### Disclaimer\nTwo.\n"),
            "a second '### Disclaimer'",
        ),
        (
            src("# Aspirin\n### Disclaimer\nOne.\n### Usage\nx\n\n**Disclaimer:** Two.\n"),
            "a '### Disclaimer' section and a closing '**Disclaimer:**' paragraph; keep one",
        ),
        (src("# Aspirin\n### Usage\n```\n### Not a heading\n"), "line 7: code block opened with"),
        (src("# Aspirin\n### Usage\nPain\x00.\n"), "contains a NUL character"),
    ],
)
def test_refusals(text: str, message: str | None):
    if message is None:
        assert parse(text).title == "Aspirin"
        return
    with pytest.raises(SourceFormatError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_utf8_names_the_byte_and_its_position_counting_the_bom():
    with pytest.raises(SourceFormatError, match=r"invalid byte 0xff at position 10\)"):
        parse(b"\xef\xbb\xbf---\ntit\xffle: x\n---\n")


def test_a_format_error_is_a_value_error():
    assert issubclass(SourceFormatError, ValueError)


# ------------------------------------------------------------------------------ details


def test_heading_inside_a_fenced_code_block_is_body_text():
    content = parse(
        src("# Aspirin\n### Usage\n\n```text\n### Not a heading\n```\n\n~~~\n### Nor this\n~~~\n")
    )
    assert [s.heading for s in content.sections] == ["Usage"]
    assert "### Not a heading" in content.section("usage").body
    assert "### Nor this" in content.section("usage").body


def test_a_hash_run_without_a_space_is_text_and_closing_hashes_are_dropped():
    content = parse(src("# Aspirin\n### Usage ###\n\n###not a heading\n"))
    assert [s.heading for s in content.sections] == ["Usage"]
    assert content.section("usage").body == "###not a heading"


def test_generic_name_defaults_to_the_title():
    assert parse(src("# Aspirin\n### Usage\n\nPain.")).generic_name == "Aspirin"
    assert parse(src("# Aspirin\n### Generic Name\n\n### Usage\nx")).generic_name == "Aspirin"


def test_the_title_may_come_from_the_heading_alone():
    content = parse(src("# Aspirin ✓\n### Usage\n\nPain.", front="layout: plain"))
    assert content.title == "Aspirin ✓"
    assert content.layout == "plain"


def test_a_repeated_heading_gets_its_own_key():
    content = parse(src("# Aspirin\n### Notes\n\nA\n\n### Notes\n\nB\n\n### Usage\n\nC\n"))
    assert [(s.key, s.body) for s in content.sections] == [
        ("notes", "A"),
        ("notes_2", "B"),
        ("usage", "C"),
    ]


def test_the_disclaimer_is_only_the_last_paragraph_of_the_file():
    content = parse(
        src(
            "# Aspirin\n### Usage\n\n**Disclaimer:** not the last paragraph.\n\nPain.\n\n"
            "**Disclaimer:** Ask a pharmacist.\nSecond line.\n\n\n"
        )
    )
    assert content.disclaimer == "Ask a pharmacist.\nSecond line."
    assert content.section("usage").body == "**Disclaimer:** not the last paragraph.\n\nPain."


def test_a_disclaimer_section_of_one_paragraph():
    content = parse(src("# Aspirin\n### Usage\n\nPain.\n\n### Disclaimer\n\nAsk a pharmacist.\n"))
    assert content.disclaimer == "Ask a pharmacist."
    assert [s.key for s in content.sections] == ["usage"]
    labelled = parse(src("# Aspirin\n### Usage\nx\n### Disclaimer\n\n**Disclaimer:** Ask.\n"))
    assert labelled.disclaimer == "Ask."


def test_no_disclaimer_is_an_empty_one():
    content = parse(src("# Aspirin\n### Usage\n\nPain.\n"))
    assert content.disclaimer == ""
    assert "Disclaimer" not in write(content)


def test_front_matter_quotes_comments_and_empty_lists():
    content = parse(
        src(
            "# Aspirin: the original\n",
            front=(
                "# a comment line\n"
                "title: 'Aspirin: the original'  # why quotes: the colon\n"
                'layout: "minimal \\"medicine\\""\n'
                "other_names: []\n"
            ),
        )
    )
    assert content.title == "Aspirin: the original"
    assert content.layout == 'minimal "medicine"'
    assert content.other_names == []
    flow = parse(src("# A\n", front="title: A\nother_names: ['O''Brien', \"a, b\", c,]"))
    assert flow.other_names == ["O'Brien", "a, b", "c"]


# ------------------------------------------------------------------------------ write


def _content(**overrides) -> MonographContent:
    data = {
        "title": "Aspirin",
        "generic_name": "Acetylsalicylic acid",
        "other_names": ["Disprin", "Anadin Extra"],
        "layout": "minimal-medicine",
        "sections": [
            Section(key="usage", heading="Usage", body="Pain and fever.\n\n* Headache\n* Fever"),
            Section(key="faqs", heading="FAQs", body="* **Q: With food?** A: Yes."),
        ],
        "disclaimer": "Ask a pharmacist.",
    }
    data.update(overrides)
    return MonographContent(**data)


def test_write_lays_the_file_out_like_the_seed():
    assert write(_content()) == (
        "---\n"
        "layout: minimal-medicine\n"
        "title: Aspirin\n"
        "other_names:\n"
        "  - Disprin\n"
        "  - Anadin Extra\n"
        "---\n"
        "\n"
        "# Aspirin\n"
        "### Generic Name\n"
        "Acetylsalicylic acid\n"
        "\n"
        "### Usage\n"
        "\n"
        "Pain and fever.\n"
        "\n"
        "* Headache\n"
        "* Fever\n"
        "\n"
        "\n"
        "### FAQs\n"
        "\n"
        "* **Q: With food?** A: Yes.\n"
        "\n"
        "\n"
        "**Disclaimer:** Ask a pharmacist.\n"
    )


def test_write_leaves_out_what_is_not_set():
    text = write(_content(layout="", other_names=[], disclaimer="", sections=[]))
    assert text == "---\ntitle: Aspirin\n---\n\n# Aspirin\n### Generic Name\nAcetylsalicylic acid\n"
    assert parse(text) == _content(layout="", other_names=[], disclaimer="", sections=[])


@pytest.mark.parametrize(
    "value",
    ["5-FU: fluorouracil", "true", "123", "'quoted'", '"double"', "[not a list]", "a #b", "end:"],
)
def test_write_quotes_values_yaml_would_misread(value: str):
    content = _content(title=value, generic_name=value, other_names=[value, "plain"])
    text = write(content)
    assert re.search(r'^title: ".*"$', text, re.M)
    assert parse(text) == content


def test_write_normalises_browser_line_ends_and_edge_blank_lines():
    typed = _content(sections=[Section(key="usage", heading="Usage", body="\r\n A\r\nB \r\n\r\n")])
    text = write(typed)
    assert "\r" not in text
    assert parse(text).section("usage").body == " A\nB "


def test_a_disclaimer_of_several_paragraphs_is_written_as_a_section():
    content = _content(disclaimer="First paragraph.\n\nSecond paragraph.")
    text = write(content)
    assert text.endswith("### Disclaimer\n\nFirst paragraph.\n\nSecond paragraph.\n")
    assert parse(text) == content


def test_an_empty_section_round_trips():
    content = _content(sections=[Section(key="dosage", heading="Dosage", body="")])
    assert parse(write(content)) == content


def test_names_and_headings_are_single_spaced():
    content = parse(
        src("# Aspirin\n### Generic  Name\nAcetyl  salicylic\n\n### How  it   Works\n\nx")
    )
    assert content.generic_name == "Acetyl salicylic"
    assert [(s.key, s.heading) for s in content.sections] == [("how_it_works", "How it Works")]


def test_a_disclaimer_paragraph_right_after_a_heading_line_is_still_the_disclaimer():
    content = parse(src("# Aspirin\n### Usage\n\nPain.\n\n#### Note\n**Disclaimer:** Ask.\n"))
    assert content.disclaimer == "Ask."
    assert content.section("usage").body == "Pain.\n\n#### Note"


def test_a_closing_disclaimer_section_is_the_disclaimer_as_a_whole():
    content = parse(
        src("# Aspirin\n### Usage\nx\n### Disclaimer\n\nFirst.\n\n**Disclaimer:** Two.\n")
    )
    assert content.disclaimer == "First.\n\n**Disclaimer:** Two."
    assert parse(write(content)) == content


@pytest.mark.parametrize(
    "generic_name", ["```python", "~~~", "### Not a heading", "**Disclaimer:** no", "\\back"]
)
def test_a_generic_name_markdown_would_misread_is_written_escaped(generic_name: str):
    content = _content(generic_name=generic_name, sections=[], disclaimer="")
    text = write(content)
    assert f"### Generic Name\n\\{generic_name}\n" in text
    assert parse(text) == content


def test_headings_ending_in_hashes_keep_them():
    content = _content(
        title="Vitamin #",
        sections=[Section(key="notes", heading="Notes ##", body="x")],
    )
    text = write(content)
    assert "# Vitamin # #\n" in text
    assert "### Notes ## #\n" in text
    assert parse(text) == content


def test_a_disclaimer_that_is_not_one_paragraph_is_written_as_a_section():
    for disclaimer in ("Ask.\n#### Really", "Ask.\n```\ncode\n```"):
        content = _content(disclaimer=disclaimer)
        text = write(content)
        assert "### Disclaimer\n\n" in text
        assert parse(text) == content


def test_a_last_section_ending_in_a_disclaimer_label_is_not_read_back_as_the_disclaimer():
    body = "Pain.\n\n**Disclaimer:** part of the usage text"
    content = _content(sections=[Section(key="usage", heading="Usage", body=body)], disclaimer="")
    text = write(content)
    assert text.endswith("**Disclaimer:** part of the usage text\n\n\n### Disclaimer\n")
    assert parse(text) == content


# --- hostile files: invisible characters, size, encodings, long names --------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (source('title: "Asp\\u0000irin"'), "the title contains an invisible character, U+0000"),
        (
            source('title: "Aspirin\\u202egnirts"'),
            "the title contains an invisible character, U+202E (RIGHT-TO-LEFT OVERRIDE)",
        ),
        (
            source("title: Aspirin\nother_names: [Disp\u200brin]"),
            "the other name 'Disp\\u200brin' contains an invisible character, U+200B",
        ),
        (
            source(body="### Generic Name\nAcetyl\u2066salicylic\n"),
            "the generic name contains an invisible character, U+2066",
        ),
        (source(body="### Us\u00adage\n\nPain.\n"), "U+00AD (SOFT HYPHEN)"),
        (source(body="### Usage\x1b[31m\n\nPain.\n"), "U+001B"),
        (source('title: Aspirin\nlayout: "a\\u0007b"'), "the layout contains an invisible"),
    ],
)
def test_names_with_invisible_characters_are_refused_in_one_line(text, message):
    with pytest.raises(sourcefile.SourceFormatError) as caught:
        sourcefile.parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_joiners_that_spell_real_words_and_invisible_characters_in_bodies_are_kept():
    # Persian "mi-khoram" is written with a zero-width non-joiner; bodies are free text.
    content = sourcefile.parse(
        source(
            "title: Aspirin\nother_names: [\u0645\u06cc\u200c\u062e\u0648\u0631\u0645]",
            "### Usage\n\nzero\u200bwidth and \u202eRTL\u202c in text.\n",
        )
    )
    assert content.other_names == ["\u0645\u06cc\u200c\u062e\u0648\u0631\u0645"]
    assert "\u202eRTL\u202c" in content.sections[0].body


def test_a_file_over_the_size_limit_is_refused_as_too_large():
    data = source(body="### Usage\n\n" + "word " * (sourcefile.MAX_SOURCE_BYTES // 5)).encode()
    with pytest.raises(sourcefile.SourceFormatError, match=r"^too large \(2\.0 MB; a monograph"):
        sourcefile.parse(data)
    with pytest.raises(sourcefile.SourceFormatError, match=r"^too large"):
        sourcefile.parse(data.decode())


def test_a_long_monograph_under_the_limit_is_read():
    body = "### Side Effects\n\nSerious side effects:\n\n" + "".join(
        f"* item {i}\n" for i in range(5000)
    )
    content = sourcefile.parse(source(body=body))
    assert content.sections[0].body.count("\n* item") == 5000


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_refused_with_a_hint(encoding):
    data = source().encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(sourcefile.SourceFormatError) as caught:
        sourcefile.parse(data)
    assert str(caught.value) == "UTF-16 text, not UTF-8: save the file as UTF-8"


def test_a_windows_1252_file_names_the_first_bad_byte():
    data = source(body="### Usage\n\nIt’s “quoted”.\n").encode("cp1252")
    with pytest.raises(sourcefile.SourceFormatError, match=r"^not UTF-8 text \(invalid byte 0x92"):
        sourcefile.parse(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (source("title: Aspirin\nother_names: [" + "N" * 500 + "]"), "is 500 characters long"),
        (source(body="### " + "H" * 300 + "\n\nok\n"), "the heading 'HHHH"),
        (source(body="### Usage\n\nok\n\n### " + "I" * 201 + "\n\nok\n"), "is 201 characters"),
    ],
)
def test_names_and_headings_longer_than_the_admin_allows_are_refused(text, message):
    with pytest.raises(sourcefile.SourceFormatError) as caught:
        sourcefile.parse(text)
    assert message in str(caught.value)
    assert "at most 200 are allowed" in str(caught.value)
    assert len(str(caught.value)) < 120


# --- fuzzing (issue 9.6) ---------------------------------------------------------------------
# Text assembled from the shapes the format cares about (front matter, headings, fences, the
# disclaimer label, names) and from noise (controls, invisible characters, CR, tabs, BOM).
_FUZZ_LINES = st.sampled_from(
    [
        "---", "--- ", "layout: minimal-medicine", "title: Naltrexone", "title: 'Quoted: yes'",
        'title: "a\\tb"', 'title: "\\u202e"', "title:", "title: [x]",
        "other_names: [Revia, Vivitrol]",
        "other_names: []", "other_names: [a, 'b, c', \"d\"]", "other_names:", "  - Revia",
        "  -", "- x", "# comment", "author: x", "key value", ": no key", "# Naltrexone", "#",
        "# Other", "### Usage", "###", "### Generic Name", "### Disclaimer", "### FAQs",
        "###   Spaced   heading  ###", "#### Sub", "## Two", "```", "~~~", "```python",
        "    ### indented code", "**Disclaimer:** Ask a doctor.", "**Disclaimer**: x",
        "* **Q: Can I?** A: Yes.", "* item", "| a | b |", "|---|---|", "", " ", "\t",
        "text", "Naltrexone", "x" * 250,
    ]
)  # fmt: skip
_FUZZ_NOISE = st.text(
    alphabet=st.sampled_from(
        list("abc #-:[]'\",*`~|\\\t\r") + ["\x00", "\x0b", "\u200b", "\u202e", "\ufeff", "é", "µ"]
    ),
    max_size=12,
)
_FUZZ_SOURCES = st.lists(
    st.one_of(_FUZZ_LINES, _FUZZ_NOISE, st.tuples(_FUZZ_LINES, _FUZZ_NOISE).map("".join)),
    max_size=30,
).map("\n".join)


def _accepts(data) -> MonographContent | None:
    try:
        return parse(data)
    except SourceFormatError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_FUZZ_SOURCES, _FUZZ_SOURCES.map(lambda text: "---\ntitle: T\n---\n" + text)))
def test_fuzz_parse_raises_only_its_own_error_and_round_trips_what_it_accepts(text):
    content = _accepts(text)
    if content is None:
        return
    assert parse(write(content)) == content


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_fuzz_parse_of_arbitrary_bytes_and_text_raises_only_its_own_error(data):
    content = _accepts(data)
    if content is not None:
        assert parse(write(content)) == content


# --- the front matter, read with PyYAML ---------------------------------------------------


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: !!python/object:os.system x", "front matter line 2: only plain values"),
        ("title: Aspirin\nother_names: [a, !!int 3]", "got the YAML tag 'tag:yaml.org,2002:int'"),
        ("title: Aspirin\nlayout: a\x07b", "front matter line 3: contains an invisible character"),
        ("title: [a, *b]", "front matter line 2: found undefined alias 'b'"),
        ("title: a: b", "front matter line 2: mapping values are not allowed here"),
    ],
)
def test_yaml_that_is_not_plain_values_and_lists_is_refused_in_one_line(front, message):
    with pytest.raises(SourceFormatError) as caught:
        parse(src("### Usage\n\nPain.\n", front=front))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_front_matter_values_are_the_text_written_not_yaml_numbers_or_booleans():
    content = parse(src("### Usage\n\nx\n", front="title: 1.10\nother_names: [true, 2024-01-01]"))
    assert content.title == "1.10"
    assert content.other_names == ["true", "2024-01-01"]
    assert parse(write(content)) == content

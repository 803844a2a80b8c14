"""Content in and out, as a reviewer found it: realistic monographs other than the seed
(tests/fixtures/sources/qa: units tables, an Interactions section, INR numbers, nested and
numbered lists, mL doses with ≥/≤/µg, headings worded differently, a link list, a table
with escaped pipes, no FAQs), and hostile input (invisible characters, huge files, markup
that sanitizes to nothing)."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from monographs import sourcefile, structured_data, workflow
from monographs.content import MonographContent, Section, section_key
from monographs.models import Monograph, Revision
from monographs.page import URGENT_HELP_TITLE, build_article_html, serious_side_effects_span
from monographs.rendering import render_markdown
from tests.conftest import FIXTURES

QA_SOURCES = FIXTURES / "sources" / "qa"
QA_FILES = sorted(QA_SOURCES.glob("*.md"))


def test_there_are_six_realistic_monographs():
    assert len(QA_FILES) >= 6


# --------------------------------------------------------------------------- helpers


class _Page(HTMLParser):
    """Visible text of the <main> element, and the tags met, with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    # Inline elements join their text to the words around them; anything else separates.
    INLINE = {"a", "strong", "em", "b", "i", "code", "sup", "sub", "abbr", "mark", "span"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "main":
            self.in_main += 1
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            self._in_jsonld = True
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main -= 1
        self._in_jsonld = False
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)
        elif self.in_main:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def read_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def plain(markdown_text: str) -> str:
    """What a reader sees of one line of Markdown: no emphasis, link targets or escapes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown_text)  # [text](url)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)  # [text][ref]
    text = re.sub(r"<(?:mailto:)?([^>\s]+)>", r"\1", text)  # <autolink>
    text = text.replace("**", "").replace("`", "")
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)
    return " ".join(text.split())


def list_items(body: str) -> list[str]:
    return [
        plain(match[1])
        for match in re.finditer(r"^\s*(?:[*+-]|\d+\.)\s+(.+)$", body, re.M)
        if not re.match(r"\s*\*\*\s*Q:", match[1])  # FAQ items are shown as questions
    ]


def table_cells(body: str) -> list[str]:
    cells: list[str] = []
    for line in body.splitlines():
        line = line.strip()
        if not line.startswith("|") or re.fullmatch(r"[|:\- ]+", line):
            continue
        # Split on pipes that are neither escaped nor inside a code span.
        current, in_code, row = "", False, []
        index = 0
        while index < len(line):
            char = line[index]
            if char == "\\" and index + 1 < len(line):
                current += line[index : index + 2]
                index += 2
                continue
            if char == "`":
                in_code = not in_code
            if char == "|" and not in_code:
                row.append(current)
                current = ""
            else:
                current += char
            index += 1
        row.append(current)
        cells += [plain(cell) for cell in row[1:-1] if cell.strip()]
    return cells


def bold_labels(body: str) -> list[str]:
    return [plain(m[1]) for m in re.finditer(r"\*\*(?!Q:)(.+?)\*\*", body)]


def link_texts(body: str) -> list[str]:
    return [plain(m[1]) for m in re.finditer(r"(?<!!)\[([^\]]+)\](?:\(|\[)", body)]


def run(command: str, *args: str) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error.returncode
    return out.getvalue(), err.getvalue(), 0


def normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


# ------------------------------------------------------ realistic monographs, end to end


@pytest.fixture
def imported(db) -> dict[str, Monograph]:
    cache.clear()
    out, err, status = run("import_monographs", str(QA_SOURCES))
    assert status == 0, err
    return {
        path.name: Monograph.objects.get(
            slug=re.search(rf"created (\S+) \({re.escape(str(path))}\)", out)[1]
        )
        for path in QA_FILES
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", QA_FILES, ids=lambda p: p.stem)
def test_every_list_item_table_cell_bold_label_and_link_text_is_on_the_page(
    client, imported, path: Path
):
    content = sourcefile.parse(path.read_bytes())
    response = client.get(imported[path.name].get_absolute_url())
    assert response.status_code == 200
    page = read_page(response.content.decode())

    expected: list[str] = []
    for section in content.sections:
        expected += [section.heading]
        expected += list_items(section.body) + table_cells(section.body)
        expected += bold_labels(section.body) + link_texts(section.body)
    for faq in content.faqs:
        expected += [plain(faq.question), plain(faq.answer)]
    assert expected, "the fixture has something to look for"
    missing = [text for text in expected if text not in page.text]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", QA_FILES, ids=lambda p: p.stem)
def test_import_then_export_gives_the_same_text_and_reimports_unchanged(
    tmp_path, imported, path: Path
):
    out, err, status = run("export_monographs", str(tmp_path))
    assert status == 0, err
    exported = (tmp_path / f"{imported[path.name].slug}.md").read_text(encoding="utf-8")

    text = path.read_text(encoding="utf-8")
    assert sourcefile.parse(exported) == sourcefile.parse(text)
    if sourcefile.parse(text).sections[0].heading != sourcefile.OVERVIEW_HEADING:
        # Everything after the front matter comes back as written, blank lines aside (an
        # overview comes back under an explicit heading, flow lists as block lists).
        body = text.split("\n### Generic Name", 1)[1]
        assert normalised(exported.split("\n### Generic Name", 1)[1]) == normalised(body)

    revisions = Revision.objects.count()
    out, err, status = run("import_monographs", str(tmp_path))
    assert status == 0 and "0 created, 0 updated" in out
    assert Revision.objects.count() == revisions


@pytest.mark.django_db
def test_json_ld_names_routes_and_faqs_of_the_new_monographs(client, imported):
    def jsonld(name: str) -> dict:
        response = client.get(imported[name].get_absolute_url())
        return json.loads("".join(read_page(response.content.decode()).jsonld))

    insulin = jsonld("insulin-glargine.md")
    # "It must never be given intravenously" names a route the drug does not have.
    assert insulin["about"]["administrationRoute"] == "subcutaneous"
    assert insulin["about"]["alternateName"] == ["Lantus", "Toujeo", "Abasaglar", "Semglee"]
    assert [q["name"] for q in insulin["hasPart"]["mainEntity"]] == [
        "Can I mix insulin glargine with other insulins?",
        "Where should I store unopened pens?",
    ]
    assert jsonld("salbutamol.md")["about"]["administrationRoute"] == "inhaled"
    assert jsonld("warfarin.md")["about"]["nonProprietaryName"] == "Warfarin sodium"
    assert jsonld("metoclopramide.md")["about"]["administrationRoute"] == [
        "oral",
        "intramuscular",
        "intravenous",
    ]
    # No FAQs section: no FAQPage at all rather than an empty one.
    assert "hasPart" not in jsonld("paracetamol-oral-suspension.md")
    # A multi-line answer is one text.
    sertraline = jsonld("sertraline.md")["hasPart"]["mainEntity"]
    assert sertraline[1]["acceptedAnswer"]["text"] == (
        'No. Some people feel emotionally "flat"; tell your doctor.'
    )


@pytest.mark.django_db
def test_on_this_page_lists_every_section_with_the_authors_wording(client, imported):
    response = client.get(imported["salbutamol.md"].get_absolute_url())
    html = response.content.decode()
    nav = html.split('<nav class="on-this-page"', 1)[1].split("</nav>", 1)[0]
    entries = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', nav)

    assert entries == [
        ("usage", "What it is used for"),
        ("dosage", "Dosage and administration"),
        ("side_effects", "Side effects"),
        ("how_it_works", "Mechanism of action"),
        ("faqs", "Frequently Asked Questions"),
        ("disclaimer", "Disclaimer"),
    ]
    for anchor, _heading in entries:
        assert f'id="{anchor}"' in html


# ---------------------------------------------------------------- tables and headings


def content_with(*sections: tuple[str, str, str]) -> MonographContent:
    return MonographContent(
        title="Testamol",
        generic_name="testamol",
        sections=[Section(key=k, heading=h, body=b) for k, h, b in sections],
    )


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


# ---------------------------------------------------------------------- images


def test_an_image_the_sanitizer_empties_is_dropped_not_left_without_a_text_alternative():
    html = render_markdown('Before <img src=x onerror="alert(1)"> after')
    assert "<img" not in html
    assert html == "<p>Before  after</p>"


def test_an_allowed_image_without_alt_gets_an_empty_one_and_keeps_its_address():
    html = render_markdown('<img src="https://example.org/pill.png">')
    assert html == '<p><img src="https://example.org/pill.png" alt=""></p>'


def test_an_image_with_alt_text_keeps_it():
    html = render_markdown("![Pill, actual size](https://example.org/pill.png)")
    assert 'alt="Pill, actual size"' in html and 'src="https://example.org/pill.png"' in html


# ------------------------------------------------------ the serious side-effects callout


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


# ---------------------------------------------------------------------- JSON-LD


def test_a_faq_whose_question_is_only_markup_is_left_out_of_the_json_ld():
    body = (
        "* **Q: <img src=x onerror=alert(1)>** A: Something.\n"
        "* **Q: Real question?** A: <script>x</script>\n"
        "* **Q: Can I drive?** A: Not until you know how it affects you."
    )
    content = content_with(("faqs", "FAQs", body))
    questions = structured_data.content_data(content)["questions"]

    assert [q["name"] for q in questions] == ["Can I drive?"]
    assert all(q["acceptedAnswer"]["text"] for q in questions)


# -------------------------------------------------------- hostile files: invisible chars


def source(front: str = "title: Aspirin", body: str = "### Usage\n\nPain.\n") -> str:
    return f"---\n{front}\n---\n\n{body}"


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


@pytest.mark.django_db
def test_an_invisible_character_in_a_name_is_refused_by_the_import_on_every_database(tmp_path):
    # SQLite stored the NUL, PostgreSQL refused it: now neither gets that far.
    path = tmp_path / "nul.md"
    path.write_text(source('title: "A\\u0000B"'), encoding="utf-8")
    out, err, status = run("import_monographs", str(path))

    assert status == 2
    assert err.splitlines()[0].startswith(f"error: {path}: the title contains an invisible")
    assert Monograph.objects.count() == 0


# --------------------------------------------------------------- hostile files: size


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


@pytest.mark.django_db
def test_the_import_refuses_a_10_mb_file_in_one_line_and_writes_nothing(tmp_path):
    huge = tmp_path / "huge.md"
    huge.write_text(source(body="### Usage\n\n" + ("word " * 20 + "\n") * 100_000))
    good = tmp_path / "good.md"
    good.write_text(source("title: Goodamol"))
    out, err, status = run("import_monographs", str(huge), str(good))

    assert status == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    megabytes = huge.stat().st_size / 1024 / 1024
    assert megabytes > 9
    assert errors == [
        f"error: {huge}: too large ({megabytes:.1f} MB; a monograph file may be at most 2 MB)"
    ]
    assert list(Monograph.objects.values_list("slug", flat=True)) == ["goodamol"]


@pytest.mark.django_db
def test_a_file_named_with_spaces_and_accents_and_a_folder_named_md(tmp_path):
    folder = tmp_path / "monographs.md"
    folder.mkdir()
    (folder / "Ibuprofène 200 mg.md").write_text(source("title: Ibuprofène"), encoding="utf-8")
    out, err, status = run("import_monographs", str(tmp_path))

    assert status == 0, err
    assert f"created ibuprofene ({folder / 'Ibuprofène 200 mg.md'})" in out


# ------------------------------------------------------------ headings worded otherwise


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


@pytest.mark.django_db
def test_a_faqs_heading_spelt_with_an_apostrophe_still_gives_questions_and_answers(client):
    cache.clear()
    content = sourcefile.parse(
        source(
            "title: Apostrophamol",
            "### Possible side effects\n\nSeek urgent medical help if you notice:\n\n"
            "* Yellow skin\n\n### FAQ's\n\n* **Q: Can I drive?** A: Yes.\n",
        )
    )
    monograph = workflow.import_source(content=content, filename="a.md").monograph
    html = client.get(monograph.get_absolute_url()).content.decode()
    data = json.loads("".join(read_page(html).jsonld))

    assert [q["name"] for q in data["hasPart"]["mainEntity"]] == ["Can I drive?"]
    assert '<dl class="faq-list">' in html
    assert "Yellow skin" in html.split('class="callout', 1)[1].split("</div>", 1)[0]


# --------------------------------------------------------------- FAQs written otherwise


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


@pytest.mark.parametrize("heading", ["Main", "MAIN!", "Disclaimer"])
def test_a_section_never_takes_an_id_the_page_already_uses(heading):
    key = section_key(heading)
    assert key not in {"main", "disclaimer"}
    html = build_article_html(content_with((key, heading, "Text.")), "A disclaimer.")
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "main" not in ids


# ------------------------------------------------------------- routes in the JSON-LD


@pytest.mark.parametrize(
    ("text", "routes"),
    [
        ("Use a continuous subcutaneous insulin infusion (pump) or injections.", ["subcutaneous"]),
        ("Insert one vaginal tablet at night for 3 nights.", ["vaginal"]),
        ("Place one sublingual tablet under the tongue.", ["sublingual"]),
        (
            "Inhale one capsule a day; the capsules for inhalation must not be swallowed.",
            ["inhaled"],
        ),
        # A form word on its own still names its route.
        ("Give by IV infusion over 30 minutes.", ["intravenous"]),
        ("Take the tablets, or the infusion in hospital.", ["oral", "intravenous"]),
        (
            "Take one tablet at night. A vaginal cream is also available.",
            ["oral", "vaginal", "topical"],
        ),
    ],
)
def test_a_dosage_form_of_another_route_does_not_add_a_route(text, routes):
    assert structured_data.administration_routes(text) == routes


# ------------------------------------------------- two files for one monograph in a run


@pytest.mark.django_db
def test_a_second_file_for_the_same_monograph_is_refused_and_reruns_change_nothing(tmp_path):
    (tmp_path / "a.md").write_text(source("title: Dupamol", "### Usage\n\nOne.\n"))
    (tmp_path / "b.md").write_text(source("title: DUPAMOL", "### Usage\n\nTwo.\n"))
    out, err, status = run("import_monographs", str(tmp_path))

    assert status == 2
    assert f"created dupamol ({tmp_path / 'a.md'})" in out
    assert err.splitlines()[0] == (
        f"error: {tmp_path / 'b.md'}: the same monograph as {tmp_path / 'a.md'} (dupamol); "
        "give each monograph one file"
    )
    monograph = Monograph.objects.get(slug="dupamol")
    assert monograph.live_revision.data.sections[0].body == "One."
    revisions = Revision.objects.count()

    # Before, every run published a.md then b.md again: two new revisions each time.
    out, err, status = run("import_monographs", str(tmp_path))
    assert "unchanged dupamol" in out
    assert Revision.objects.count() == revisions


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


@pytest.mark.django_db
def test_a_named_pipe_is_refused_instead_of_hanging_the_import(tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    out, err, status = run("import_monographs", str(pipe))

    assert status == 2
    assert err.splitlines()[0] == f"error: {pipe}: not a regular file"


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

"""A monograph's sources: the References section read as a list, shown and exported."""

from __future__ import annotations

import json
import re

import pytest

from monographs import references, sourcefile, workflow
from monographs.content import Section
from monographs.references import Reference

REFERENCES = (
    "* [Naltrexone tablets label](https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=1); "
    "U.S. Food and Drug Administration; published 2023-01-26\n"
    "* [Opioid use disorder](https://www.nice.org.uk/guidance/x); NICE; accessed 2026-11-30\n"
    "* Goodman & Gilman's Pharmacological Basis of Therapeutics; McGraw Hill; published 2023"
)


def with_references(seed_text: str, body: str = REFERENCES) -> str:
    return seed_text.replace("**Disclaimer:**", f"### References\n\n{body}\n\n\n**Disclaimer:**")


def test_reference_items_are_read() -> None:
    assert references.parse(REFERENCES) == [
        Reference(
            "Naltrexone tablets label",
            "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=1",
            "U.S. Food and Drug Administration",
            "2023-01-26",
            "published",
        ),
        Reference(
            "Opioid use disorder",
            "https://www.nice.org.uk/guidance/x",
            "NICE",
            "2026-11-30",
            "accessed",
        ),
        Reference(
            "Goodman & Gilman's Pharmacological Basis of Therapeutics",
            "",
            "McGraw Hill",
            "2023",
            "published",
        ),
    ]
    assert references.problems(REFERENCES) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("* [x](javascript:alert(1))", "must start with http:// or https://"),
        ("* [x](ftp://example.org/a)", "must start with http:// or https://"),
        ("* [x](/relative/page)", "must start with http:// or https://"),
        ("Just a line of text", "line 2 is not a list item"),
        ("* [x](https://a.org); Pub; published 2023-02-30", "is not a date"),
        ("* [x](https://a.org); Pub; published last week", "write the date as"),
        ("* [x](https://a.org); Pub; Other; accessed 2020-01-01", "separated by “;”"),
        ("* [x](https://a.org); published 2020; accessed 2021", "one date"),
    ],
)
def test_unreadable_references_are_named_by_line(body: str, problem: str) -> None:
    found = references.problems("* [ok](https://ok.org)\n" + body)
    assert len(found) == 1 and problem in found[0], found
    assert found[0].startswith("line 2")


def test_a_reference_is_added_once_per_url() -> None:
    sections = [Section("usage", "Usage", "Text")]
    ref = Reference("Label v1", "https://dailymed.example/x", "FDA", "2020-01-01", "published")
    sections = references.add_reference(sections, ref)
    newer = Reference("Label v2", "https://dailymed.example/x", "FDA", "2021-01-01", "published")
    sections = references.add_reference(sections, newer)
    body = sections[-1].body
    assert sections[-1].key == "references" and sections[-1].heading == "References"
    assert references.parse(body) == [newer]


@pytest.mark.django_db
def test_references_round_trip_through_the_file_format(seed_text) -> None:
    text = with_references(seed_text)
    content = sourcefile.parse(text)
    section = content.section("references")
    assert section is not None and section.heading == "References"
    stored = content.as_dict()["sections"][-1]
    assert stored["references"][1]["title"] == "Opioid use disorder"
    again = sourcefile.parse(sourcefile.write(content))
    assert again == content
    assert sourcefile.write(again) == sourcefile.write(content)


def test_files_without_references_keep_their_content_hash(seed_text) -> None:
    content = sourcefile.parse(seed_text)
    assert all("references" not in s for s in content.as_dict()["sections"])
    assert content.section("references") is None


@pytest.mark.django_db
def test_sources_are_shown_on_the_page_and_in_the_json_ld(client, seed_text) -> None:
    workflow.import_source(content=sourcefile.parse(with_references(seed_text)), filename="n.md")
    html = client.get("/medicines/naltrexone/").content.decode()
    section = html[html.index('<section id="references"') :]
    section = section[: section.index("</section>")]
    assert '<h2 id="references-heading">Sources</h2>' in section
    assert (
        '<cite><a href="https://www.nice.org.uk/guidance/x" rel="external noopener">'
        "Opioid use disorder</a></cite>. NICE. Accessed 30 November 2026." in section
    )
    assert "<cite>Goodman &amp; Gilman&#x27;s" in section
    jsonld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    citations = jsonld["citation"]
    assert citations[0] == {
        "@type": "CreativeWork",
        "name": "Naltrexone tablets label",
        "url": "https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=1",
        "publisher": {"@type": "Organization", "name": "U.S. Food and Drug Administration"},
        "datePublished": "2023-01-26",
    }
    assert "datePublished" not in citations[1]  # an access date is not a publication date


@pytest.mark.django_db
def test_the_workflow_refuses_a_reference_that_is_not_http(editor, seed_text) -> None:
    from monographs.models import Monograph

    bad = with_references(seed_text, "* [Click me](javascript:alert(1)); Evil; published 2020")
    with pytest.raises(sourcefile.SourceFormatError, match="must start with http:// or https://"):
        sourcefile.parse(bad)  # the importer says so for the file
    content = sourcefile.parse(seed_text)
    content.sections.append(Section("references", "References", "* [x](javascript:alert(1))"))
    with pytest.raises(workflow.InvalidInput, match="must start with http:// or https://"):
        workflow.import_source(content=content, filename="bad.md")
    content.sections[-1] = Section("references", "References", "Just text, not a list")
    with pytest.raises(workflow.InvalidInput, match="line 1 is not a list item"):
        workflow.create_monograph(content=content, by=editor, summary="New")
    assert not Monograph.objects.exists()


@pytest.mark.django_db
def test_the_edit_form_shows_the_reference_problem_by_its_field(client, editor) -> None:
    from django.urls import reverse

    from .workflow_helpers import form_data, sample_content

    content = sample_content(title="Aspirin")
    content.sections.append(Section("references", "References", "* [x](ftp://files.example/a)"))
    client.force_login(editor)
    response = client.post(
        reverse("admin:monographs_monograph_add"), form_data(content, based_on=None, summary="New")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "a reference link must start with http:// or https://" in html
    assert "ftp://files.example/a" in html  # what was typed is still there


def test_a_second_references_section_is_refused() -> None:
    from monographs import validation

    from .workflow_helpers import sample_content

    content = sample_content(title="Aspirin")
    content.sections += [
        Section("references", "References", "* [a](https://a.example)"),
        Section("references_2", "Sources", "* [x](ftp://a)"),
    ]
    [problem] = validation.problems(content)
    assert problem.field == f"section-{len(content.sections) - 1}-heading"
    assert "already has a References section" in problem.message

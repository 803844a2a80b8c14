"""validation.py: the one content validator, and the section size limit (issue 9.2) that the
workflow enforces for every save and import."""

from __future__ import annotations

import pytest

from monographs import sourcefile, validation, workflow
from monographs.content import Section
from monographs.models import Monograph, Revision
from tests.workflow_helpers import (
    change_url,
    edited,
    form_data,
    publish_new,
    run,
    sample_content,
    source,
)


def test_good_content_has_no_problems():
    assert validation.problems(sample_content()) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": " "}, "title", "a monograph needs a title"),
        ({"title": "A" * 201}, "title", "the title is longer than 200 characters"),
        ({"generic_name": "x\u202ey"}, "generic_name", "the generic name contains an invisible"),
        ({"other_names": ["N" * 201]}, "other_names", "is 201 characters long"),
        ({"layout": "a\x07b"}, "layout", "the layout contains an invisible character, U+0007"),
        ({"disclaimer": "Ask.\n\n```\nopen"}, "disclaimer", "in the disclaimer, line 3"),
    ],
)
def test_each_problem_names_its_field(change, field, message):
    content = edited(sample_content(), **change)
    [problem] = validation.problems(content)
    assert problem.field == field
    assert problem.message.startswith(message) or message in problem.message
    assert problem.sentence[0].isupper() and problem.sentence.endswith(".")
    assert "\n" not in problem.message


def test_section_rules():
    content = sample_content()
    content.sections += [
        Section(key="usage", heading="Usage again", body="x"),
        Section(key="notes", heading=" ", body="x"),
        Section(key="disclaimer_2", heading="Disclaimer", body="x"),
        Section(key="extra", heading="Extra", body="### A heading\n\ntext"),
    ]
    found = [(p.field, p.message) for p in validation.problems(content)]
    assert found == [
        ("section-6-heading", 'two sections have the same key "usage"'),
        ("section-7-heading", "every section needs a heading"),
        (
            "section-8-heading",
            "a section cannot be called “Disclaimer”: the monograph file would read it as "
            "something else. Use the Disclaimer box instead, or another heading",
        ),
        (
            "section-9-body",
            "in “Extra”, line 1 ('### A heading') would start a new section: use “Add a "
            "section” for that, or #### for a sub-heading",
        ),
    ]


def test_a_line_break_in_a_name_is_whitespace_not_an_invisible_character():
    assert validation.invisible_character("Two\nlines\tand") is None
    assert validation.invisible_character("Zero\u200bwidth") == "\u200b"
    assert validation.invisible_character("\u0645\u06cc\u200c\u062e") is None  # a joiner


# --- the section size limit -------------------------------------------------------------


@pytest.fixture
def small_limit(settings):
    settings.MEDSITE_MAX_SECTION_CHARS = 1000
    return 1000


def test_a_section_over_the_limit_is_named_in_one_line(small_limit):
    content = sample_content(dosage="x" * 1001)
    [problem] = validation.problems(content)
    assert problem.field == "section-1-body"
    assert problem.message == (
        "the section “Dosage” is 1,001 characters long; at most 1,000 are allowed in one "
        "section: shorten it or split it into sections"
    )


def test_the_default_limit_is_100_000_characters(settings):
    del settings.MEDSITE_MAX_SECTION_CHARS
    assert validation.max_section_chars() == 100_000
    assert validation.problems(sample_content(usage="x" * 100_000)) == []
    assert validation.problems(sample_content(usage="x" * 100_001))


@pytest.mark.django_db
def test_the_workflow_refuses_a_save_over_the_limit_and_writes_nothing(
    small_limit, editor, moderator
):
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    with pytest.raises(workflow.InvalidInput, match="^The section “Usage” is 2,400 characters"):
        workflow.save_draft(
            monograph=monograph,
            content=edited(monograph.live_revision.data, usage="y" * 2400),
            by=editor,
            summary="Long",
            based_on=None,
        )
    with pytest.raises(workflow.InvalidInput, match="at most 1,000"):
        workflow.create_monograph(
            content=sample_content("Other", usage="z" * 1001), by=editor, summary="New"
        )
    assert Revision.objects.count() == 1


@pytest.mark.django_db
def test_the_workflow_refuses_an_import_over_the_limit_in_its_own_words(small_limit):
    # Content that did not come through sourcefile.parse (which refuses it too).
    with pytest.raises(workflow.InvalidInput, match="^The section “Usage” is 1,001"):
        workflow.import_source(content=sample_content(usage="u" * 1001), filename="big.md")
    assert Monograph.objects.count() == 0


@pytest.mark.django_db
def test_the_import_command_reports_the_section_and_imports_the_rest(small_limit, tmp_path):
    (tmp_path / "big.md").write_text(source(body="### Usage\n\n" + "w" * 1500 + "\n"))
    (tmp_path / "good.md").write_text(source("title: Goodamol"))
    outcome = run("import_monographs", str(tmp_path))
    assert outcome.status == 2
    assert outcome.errors[0] == (
        f"error: {tmp_path / 'big.md'}: the section “Usage” is 1,500 characters long; at most "
        "1,000 are allowed in one section: shorten it or split it into sections"
    )
    assert list(Monograph.objects.values_list("slug", flat=True)) == ["goodamol"]


def test_the_source_reader_refuses_it_with_the_same_message(small_limit):
    with pytest.raises(sourcefile.SourceFormatError, match="^the section “Usage” is 1,500"):
        sourcefile.parse(source(body="### Usage\n\n" + "w" * 1500 + "\n"))


@pytest.mark.django_db
def test_the_edit_form_shows_it_next_to_the_section_and_keeps_the_text(
    small_limit, client, editor, moderator
):
    monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
    client.force_login(editor)
    content = edited(monograph.live_revision.data, dosage="d" * 1200)
    response = client.post(change_url(monograph), form_data(content, based_on=None))
    assert response.status_code == 200
    assert response.context["form"].errors["section-1-body"] == [
        "The section “Dosage” is 1,200 characters long; at most 1,000 are allowed in one "
        "section: shorten it or split it into sections."
    ]
    assert "d" * 1200 in response.content.decode()
    assert Revision.objects.filter(monograph=monograph).count() == 1

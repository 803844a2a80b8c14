"""Drafts from official drug labels (openFDA JSON) and label change monitoring."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from monographs import labels, workflow
from monographs.models import AuditEntry, LabelVersion, Monograph, Revision
from tests.workflow_helpers import ROOT

from .workflow_helpers import sample_content

LABELS = ROOT.parent / "shared" / "data" / "fda-labels"
LABEL_FILES = sorted(LABELS.glob("*.json"))
NEXIUM = LABELS / "NDA021153.json"

pytestmark = pytest.mark.skipif(
    not LABEL_FILES, reason="shared/data/fda-labels is not beside the repo"
)

# A dose: a number with a unit of amount ("20 mg", "0.5 mg/kg", "1,000 mg", "2 mL").
DOSE = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)\s*(?:mg|mcg|µg|g|mL|units?|IU|mEq|mmol)\b", re.IGNORECASE
)


def plain(markdown: str) -> str:
    """What a reader sees of Markdown written by labels.py (escapes and table bars gone)."""
    return " ".join(re.sub(r"\\(.)", r"\1", markdown).replace("|", " ").split())


def counts() -> tuple[int, int, int, int]:
    return (
        Monograph.objects.count(),
        Revision.objects.count(),
        AuditEntry.objects.count(),
        LabelVersion.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", LABEL_FILES, ids=lambda p: p.stem)
def test_every_shared_label_becomes_a_draft_for_review(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))["results"][0]
    result = workflow.draft_from_label(label=labels.read_label_file(path), filename=path.name)

    monograph = Monograph.objects.get(pk=result.monograph.pk)
    revision = result.revision
    assert result.action == "created"
    assert revision.status == Revision.Status.DRAFT  # never a publication
    assert revision.source == Revision.Source.LABEL
    assert monograph.live_revision_id is None
    assert not Monograph.objects.published().exists()
    content = revision.data
    assert content.title and content.generic_name
    for key, label_fields in labels.SECTION_FIELDS.items():
        if any(raw.get(name) for name in label_fields):
            section = content.section(key)
            assert section is not None and section.body.strip(), key
    # The label's own headings are gone ("1 INDICATIONS AND USAGE").
    usage = content.section("usage").body
    assert not re.match(r"\s*\d*\s*INDICATIONS\s*(AND|&)\s*USAGE", usage, re.IGNORECASE)
    # Every dose the label's dosage text names is in the draft.
    if raw.get("dosage_and_administration"):
        draft = plain(content.section("dosage").body)
        label_text = " ".join(raw["dosage_and_administration"])
        for number in {m.group(1) for m in DOSE.finditer(label_text)}:
            assert re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d])", draft), number
    # The label itself is a reference: set id, version, effective date.
    reference = content.section("references").body
    assert raw["set_id"] in reference and f"version {raw['version']}" in reference
    assert monograph.label_set_id == raw["set_id"] and monograph.label_version == raw["version"]
    audit = AuditEntry.objects.get(action=AuditEntry.Action.LABEL_DRAFT)
    assert audit.revision_id == revision.pk and audit.details["set_id"] == raw["set_id"]


@pytest.mark.django_db
def test_label_text_is_cleaned_not_rewritten() -> None:
    label = labels.read_label_file(NEXIUM)
    content = labels.label_content(label)
    usage = content.section("usage").body
    assert usage.startswith("NEXIUM is a proton pump inhibitor (PPI).")
    assert "( 1.1 )" not in usage and "(1.1)" not in usage  # cross-references dropped
    assert content.title == "Esomeprazole magnesium" and content.other_names == ["Nexium"]
    dosage = content.section("dosage").body
    # Tables are Markdown tables, the flattened copy of the table is not repeated.
    assert "| Adult Indication |" in dosage or "| Population |" in dosage
    assert dosage.count("Table 1: Recommended Dosage of NEXIUM in Adults by Indication") == 1
    assert "[see" not in plain(content.section("precautions").body)


def test_boxed_warning_starts_the_serious_side_effects_block() -> None:
    path = LABELS / "NDA021880.json"  # Revlimid: boxed warning
    content = labels.label_content(labels.read_label_file(path))
    side_effects = content.section("side_effects").body
    assert side_effects.startswith("**Serious side effects (boxed warning):** **")
    from monographs.page import serious_side_effects_span

    assert serious_side_effects_span(side_effects)[0] == 0


def test_table_markdown_keeps_rows_spans_and_footnotes() -> None:
    html = (
        "<table><caption>Table 2: Doses</caption><thead><tr><th>Age</th><th>Dose</th></tr>"
        "</thead><tbody><tr><td rowspan='2'>Adults</td><td>20 mg <footnote>max 40 mg</footnote>"
        "</td></tr><tr><td>10 mg|daily</td></tr><tr><td colspan='2'>Note</td></tr></tbody></table>"
    )
    assert labels.table_markdown(html) == (
        "**Table 2: Doses**\n\n"
        "| Age | Dose |\n|---|---|\n| Adults | 20 mg \\[1\\] |\n|   | 10 mg\\|daily |\n"
        "| Note |   |\n\n1. max 40 mg"
    )


@pytest.mark.django_db
def test_an_existing_monograph_gets_a_new_draft_not_a_second_monograph(editor, moderator) -> None:
    from .workflow_helpers import publish_new

    content = sample_content(title="Esomeprazole magnesium")
    content.other_names = ["Esomeprazole"]
    monograph = publish_new(content, editor=editor, moderator=moderator)
    live = monograph.live_revision_id

    result = workflow.draft_from_label(label=labels.read_label_file(NEXIUM), filename="nexium.json")

    assert Monograph.objects.count() == 1 and result.action == "updated"
    monograph.refresh_from_db()
    assert monograph.live_revision_id == live  # the public page is untouched
    draft = result.revision.data
    assert draft.section("usage").body.startswith("NEXIUM is a proton pump inhibitor")
    assert draft.section("faqs").body == content.section("faqs").body  # kept
    assert draft.other_names == ["Esomeprazole", "Nexium"]
    assert result.revision.based_on_id == live
    # The same label again changes nothing.
    again = workflow.draft_from_label(label=labels.read_label_file(NEXIUM), filename="nexium.json")
    assert again.action == "unchanged" and again.revision is None


@pytest.mark.django_db
def test_draft_from_label_command(capsys) -> None:
    call_command("draft_from_label", str(NEXIUM))
    out = capsys.readouterr().out
    assert "created esomeprazole-magnesium: draft #1 for review" in out
    assert Revision.objects.get().status == Revision.Status.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "is not JSON (line 1"),
        (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
        (b'{"meta": {}, "results": []}', "holds 0 labels"),
        (b'{"hello": "world"}', "not an openFDA drug label"),
        (b"[1, 2, 3]", "not an openFDA drug label"),
        (
            b'{"set_id": "abcdef12-3456", "openfda": {"generic_name": ["X"]}, '
            b'"description": ["y"]}',
            "has none of the sections a monograph uses",
        ),
        (
            b'{"set_id": "abcdef12-3456", "openfda": {}, "indications_and_usage": ["y"]}',
            "no generic name",
        ),
    ],
    ids=["text", "binary", "empty", "other-json", "list", "no-sections", "no-name"],
)
def test_bad_label_files_get_one_line_and_write_nothing(tmp_path, capsys, data, message) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    before = counts()
    with pytest.raises(CommandError) as raised:
        call_command("draft_from_label", str(path))
    assert raised.value.returncode == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and "bad.json" in err
    assert counts() == before


@pytest.mark.django_db
def test_a_50_mb_file_is_refused_without_reading_it(tmp_path, capsys) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(CommandError):
        call_command("draft_from_label", str(path), str(NEXIUM))
    assert "huge.json is 50.0 MB; a drug label is at most 5 MB." in capsys.readouterr().err
    assert Monograph.objects.count() == 1  # the good file still went in


# --- label change monitoring ---------------------------------------------------------------


def _newer_copy(folder: Path, *, dose_from: str = "20 mg", dose_to: str = "40 mg") -> Path:
    data = json.loads(NEXIUM.read_text(encoding="utf-8"))
    label = data["results"][0]
    label["version"] = str(int(label["version"]) + 1)
    label["effective_time"] = "20250101"
    # A new maintenance dose, in the text and in the tables alike (as a real new version).
    for key in ("dosage_and_administration", "dosage_and_administration_table"):
        label[key] = [
            text.replace(f"{dose_from} once daily", f"{dose_to} once daily") for text in label[key]
        ]
    label["contraindications"] = [
        label["contraindications"][0] + " Do not use in patients taking methotrexate."
    ]
    path = folder / NEXIUM.name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_check_labels_lists_a_changed_label_once_and_leaves_unchanged_ones(tmp_path, capsys):
    workflow.draft_from_label(label=labels.read_label_file(NEXIUM), filename="nexium.json")
    monograph = Monograph.objects.get()
    unchanged = tmp_path / "same"
    unchanged.mkdir()
    shutil.copy(NEXIUM, unchanged / NEXIUM.name)
    call_command("check_labels", str(unchanged))
    monograph.refresh_from_db()
    assert monograph.label_change == {}
    assert "0 monographs newly listed" in capsys.readouterr().out

    newer = tmp_path / "newer"
    newer.mkdir()
    _newer_copy(newer)
    call_command("check_labels", str(newer))
    monograph.refresh_from_db()
    change = monograph.label_change
    assert change["version"] == "5" and change["from_version"] == "4"
    fields = {section["field"]: section for section in change["sections"]}
    assert set(fields) == {"dosage_and_administration", "contraindications"}
    dosage_items = [item["text"] for item in fields["dosage_and_administration"]["clinical"]]
    assert any("20 mg" in text and "40 mg" in text for text in dosage_items), dosage_items
    assert fields["contraindications"]["clinical"]  # the new "do not use" is reported
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LABEL_CHANGED).count() == 1
    assert "changed esomeprazole-magnesium: label version 5" in capsys.readouterr().out

    call_command("check_labels", str(newer))  # again: nothing new
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LABEL_CHANGED).count() == 1


@pytest.mark.django_db
def test_marking_a_label_change_checked_is_audited(tmp_path, editor) -> None:
    workflow.draft_from_label(label=labels.read_label_file(NEXIUM), filename="nexium.json")
    _newer_copy(tmp_path)
    call_command("check_labels", str(tmp_path))
    monograph = Monograph.objects.get()

    workflow.mark_label_checked(monograph=monograph, by=editor, note="Dose already updated")

    monograph.refresh_from_db()
    assert monograph.label_change == {} and monograph.label_version == "5"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LABEL_CHECKED)
    assert entry.actor == editor and entry.to_state == "label v5"
    assert entry.details["change"]["version"] == "5"
    with pytest.raises(workflow.InvalidTransition):
        workflow.mark_label_checked(monograph=monograph, by=editor)


@pytest.mark.django_db
def test_a_dose_changed_in_the_text_only_is_reported_as_that_dose(tmp_path) -> None:
    """A newer label whose text changed but whose table field did not (seen in the wild:
    the flattened text and the tables need not agree) still reads as one dose change."""
    workflow.draft_from_label(label=labels.read_label_file(NEXIUM), filename="nexium.json")
    data = json.loads(NEXIUM.read_text(encoding="utf-8"))
    label = data["results"][0]
    label["version"] = "5"
    label["dosage_and_administration"] = [
        label["dosage_and_administration"][0].replace("20 mg", "80 mg", 1)
    ]
    path = tmp_path / "nexium.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("check_labels", str(tmp_path))
    change = Monograph.objects.get().label_change
    [dosage] = change["sections"]
    assert [item["text"] for item in dosage["clinical"]] == [
        "Dosage and administration: 20 mg → 80 mg"
    ]

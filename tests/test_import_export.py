"""`manage.py import_monographs` and `manage.py export_monographs`."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from monographs import sourcefile, workflow
from monographs.models import AuditEntry, Monograph, Revision
from monographs.sourcefile import parse
from tests.workflow_helpers import FIXTURES, QA_FILES, SEED_PATH, run, source

pytestmark = pytest.mark.django_db

SOURCES = FIXTURES / "sources"
VALID = sorted((SOURCES / "valid").glob("*.md"))


def normalise(text: str) -> str:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def body_of(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n---\n", 1)[1]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A content folder holding the seed."""
    root = tmp_path / "content"
    root.mkdir()
    shutil.copyfile(SEED_PATH, root / "naltrexone.md")
    return root


# ------------------------------------------------------------------------------ import


def test_a_folder_with_a_good_and_a_bad_file(folder: Path):
    (folder / "aspirin.md").write_text("---\nlayout: minimal-medicine\n---\n\n### Usage\n\nPain.\n")

    result = run("import_monographs", str(folder))

    assert result.status == 2
    assert f"created naltrexone ({folder}/naltrexone.md)" in result.lines
    assert result.lines[-1] == "2 files: 1 created, 0 updated, 0 unchanged (published), 1 failed"
    assert result.errors[0] == (
        f"error: {folder}/aspirin.md: no title: give a front-matter 'title' or a '# Title' line"
    )
    assert len(result.errors) == 2  # the file's one line, then the exit reason
    assert result.errors[1].startswith("CommandError: 1 of 2 files could not be imported")
    assert "Traceback" not in result.stderr
    # The good file is public, exactly as parsed; nothing of the bad one exists.
    monograph = Monograph.objects.published().get()
    assert monograph.slug == "naltrexone"
    assert monograph.live_revision.content == parse(SEED_PATH.read_bytes()).as_dict()
    assert Revision.objects.count() == 1


def test_every_malformed_file_is_refused_in_one_line_naming_it():
    malformed = sorted((SOURCES / "malformed").glob("*.md"))
    result = run("import_monographs", str(SOURCES / "malformed"))

    assert result.status == 2
    file_errors = [line for line in result.errors if line.startswith("error: ")]
    assert [line.split(": ", 2)[1] for line in file_errors] == [str(p) for p in malformed]
    messages = dict(line.split(": ", 2)[1:] for line in file_errors)
    assert messages[str(SOURCES / "malformed" / "empty.md")] == "file is empty"
    assert messages[str(SOURCES / "malformed" / "not-utf8.md")].startswith("not UTF-8 text")
    assert messages[str(SOURCES / "malformed" / "unclosed-front-matter.md")].startswith(
        "unclosed front matter"
    )
    assert messages[str(SOURCES / "malformed" / "no-front-matter.md")].startswith("no front matter")
    assert Monograph.objects.count() == 0
    assert Revision.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_file_the_workflow_refuses_leaves_nothing_behind(folder: Path):
    # A title longer than the model allows: the content rules (validation.py) refuse it as
    # the file is read, in the workflow's words, and the other files are imported.
    (folder / "long.md").write_text(f"---\ntitle: {'A' * 201}\n---\n\n### Usage\n\nNothing.\n")

    result = run("import_monographs", str(folder))

    assert result.status == 2
    assert result.errors[0] == (f"error: {folder}/long.md: the title is longer than 200 characters")
    assert list(Monograph.objects.values_list("slug", flat=True)) == ["naltrexone"]
    assert Revision.objects.count() == 1
    assert AuditEntry.objects.count() == 1


def test_an_import_the_workflow_refuses_leaves_nothing_behind():
    # Content that did not come through the file reader: the workflow refuses it itself.
    content = parse(SEED_PATH.read_text(encoding="utf-8"))
    content.title = "A" * 201
    with pytest.raises(workflow.InvalidInput, match="^The title is longer than 200 characters.$"):
        workflow.import_source(content=content, filename="long.md")
    assert Monograph.objects.count() == 0
    assert Revision.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_title_without_latin_letters_gets_a_stable_web_address(folder: Path):
    (folder / "jp.md").write_text(
        "---\ntitle: ナルトレキソン\n---\n\n### Usage\n\nテキスト\n", encoding="utf-8"
    )
    (folder / "dash.md").write_text("---\ntitle: —\n---\n\n### Usage\n\nNothing.\n")

    first = run("import_monographs", str(folder))
    again = run("import_monographs", str(folder))

    assert first.status == 0 and again.status == 0
    slugs = set(Monograph.objects.values_list("slug", flat=True)) - {"naltrexone"}
    assert len(slugs) == 2 and all(re.fullmatch(r"medicine-[0-9a-f]{10}", s) for s in slugs)
    assert "3 unchanged" in again.stdout
    japanese = Monograph.objects.get(title="ナルトレキソン")
    assert japanese.is_published


def test_a_missing_path_is_reported_and_the_rest_still_imports(folder: Path, tmp_path: Path):
    missing = tmp_path / "nowhere.md"
    result = run("import_monographs", str(missing), str(folder / "naltrexone.md"))

    assert result.status == 2
    assert result.errors[0] == f"error: {missing}: no such file or folder"
    assert Monograph.objects.published().filter(slug="naltrexone").exists()


def test_an_unreadable_file_is_reported(folder: Path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    bad = folder / "locked.md"
    shutil.copyfile(SEED_PATH, bad)
    bad.chmod(0)
    result = run("import_monographs", str(bad))
    assert result.errors[0] == f"error: {bad}: cannot read the file (Permission denied)"
    assert result.status == 2


def test_the_import_is_published_and_audited_as_an_import_with_its_file_name(folder: Path):
    result = run("import_monographs", str(folder))

    assert result.status == 0
    assert result.stderr == ""
    monograph = Monograph.objects.get(slug="naltrexone")
    revision = monograph.live_revision
    assert revision.source == Revision.Source.IMPORT
    assert revision.import_filename == f"{folder}/naltrexone.md"
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.IMPORT
    assert entry.actor is None
    assert entry.revision == revision
    assert entry.details["filename"] == f"{folder}/naltrexone.md"


def test_re_importing_an_unchanged_file_writes_nothing(folder: Path):
    run("import_monographs", str(folder))
    revisions, entries = Revision.objects.count(), AuditEntry.objects.count()
    live = Monograph.objects.get().live_revision_id

    result = run("import_monographs", str(folder))

    assert result.status == 0
    assert result.lines == [
        f"unchanged naltrexone ({folder}/naltrexone.md)",
        "1 file: 0 created, 0 updated, 1 unchanged (published), 0 failed",
    ]
    assert Revision.objects.count() == revisions == 1
    assert AuditEntry.objects.count() == entries == 1
    assert Monograph.objects.get().live_revision_id == live


def test_line_endings_and_blank_lines_alone_are_no_change(folder: Path):
    run("import_monographs", str(folder))
    seed = SEED_PATH.read_bytes()
    (folder / "naltrexone.md").write_bytes(b"\xef\xbb\xbf" + seed.replace(b"\n", b"\r\n"))

    result = run("import_monographs", str(folder))

    assert result.lines[0].startswith("unchanged naltrexone")
    assert Revision.objects.count() == 1


def test_a_changed_file_makes_one_new_published_revision(folder: Path):
    run("import_monographs", str(folder))
    first = Monograph.objects.get().live_revision
    path = folder / "naltrexone.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("* Insomnia\n", "* Insomnia\n* Muscle cramps\n"),
        encoding="utf-8",
    )

    result = run("import_monographs", str(folder))

    assert result.lines[0] == f"updated naltrexone ({path})"
    assert Revision.objects.count() == 2
    monograph = Monograph.objects.get()
    assert monograph.live_revision != first
    assert "* Muscle cramps" in monograph.live_revision.data.section("side_effects").body
    assert monograph.live_revision.based_on == first
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 2


def test_draft_imports_are_not_public(folder: Path, client):
    result = run("import_monographs", "--draft", str(folder))

    assert result.status == 0
    assert result.lines == [
        f"created naltrexone ({folder}/naltrexone.md)",
        "1 file: 1 created, 0 updated, 0 unchanged (as drafts), 0 failed",
    ]
    monograph = Monograph.objects.get(slug="naltrexone")
    assert not Monograph.objects.published().exists()
    revision = monograph.latest_revision
    assert revision.status == Revision.Status.DRAFT
    assert revision.published_at is None
    assert (
        client.get(reverse("monographs:detail", kwargs={"slug": "naltrexone"})).status_code == 404
    )


def test_a_changed_file_as_draft_leaves_the_public_version_alone(folder: Path):
    run("import_monographs", str(folder))
    live = Monograph.objects.get().live_revision
    path = folder / "naltrexone.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nExtra line.\n", encoding="utf-8")

    result = run("import_monographs", "--draft", str(path))

    assert result.lines[0] == f"updated naltrexone ({path})"
    monograph = Monograph.objects.get()
    assert monograph.live_revision == live
    assert monograph.latest_revision.status == Revision.Status.DRAFT


def test_folders_are_searched_recursively_in_name_order_and_each_file_imported_once(
    tmp_path: Path,
):
    root = tmp_path / "content"
    (root / "m").mkdir(parents=True)
    shutil.copyfile(SOURCES / "valid" / "metformin.md", root / "m" / "metformin.md")
    shutil.copyfile(SOURCES / "valid" / "amoxicillin.md", root / "amoxicillin.md")
    (root / "notes.txt").write_text("not a monograph")

    result = run("import_monographs", str(root), str(root / "amoxicillin.md"))

    assert result.status == 0
    assert result.lines == [
        f"created amoxicillin ({root}/amoxicillin.md)",
        f"created metformin ({root}/m/metformin.md)",
        "2 files: 2 created, 0 updated, 0 unchanged (published), 0 failed",
    ]


def test_a_folder_without_source_files_is_an_error(tmp_path: Path):
    result = run("import_monographs", str(tmp_path))
    assert result.errors[0] == f"error: {tmp_path}: no .md files in this folder"
    assert result.status == 2


def test_paths_are_shown_as_given(folder: Path, monkeypatch):
    monkeypatch.chdir(folder.parent)
    result = run("import_monographs", "content/")
    assert result.lines[0] == "created naltrexone (content/naltrexone.md)"
    assert Revision.objects.get().import_filename == "content/naltrexone.md"


def test_every_valid_variant_imports_with_its_sections_in_order():
    result = run("import_monographs", *map(str, VALID))

    assert result.status == 0
    metformin = Monograph.objects.get(slug="metformin").live_revision.data
    assert [s.key for s in metformin.sections][:4] == [
        "usage",
        "dosage",
        "interactions",
        "side_effects",
    ]
    assert Monograph.objects.get(slug="levothyroxine").other_names[0] == "Lévothyrox"
    assert Monograph.objects.get(slug="amoxicillin").live_revision.data.faqs == []


# ------------------------------------------------------------------------------ export


def test_export_writes_each_published_monograph_as_its_source(tmp_path: Path):
    sources = [SEED_PATH, *VALID]
    run("import_monographs", *map(str, sources))
    out = tmp_path / "export" / "nested"

    result = run("export_monographs", str(out))

    assert result.status == 0
    slugs = ["amoxicillin", "levothyroxine", "metformin", "naltrexone"]
    assert result.lines == [f"wrote {out}/{slug}.md" for slug in slugs] + [
        f"exported 4 published monographs to {out}"
    ]
    assert sorted(p.name for p in out.iterdir()) == [f"{slug}.md" for slug in slugs]
    # The seed comes back byte for byte; every file comes back as the same content,
    # and its Markdown as the same text (blank lines and trailing spaces aside).
    assert (out / "naltrexone.md").read_bytes() == SEED_PATH.read_bytes()
    for file_path in sources:
        slug = "levothyroxine" if file_path.name.startswith("levothyroxine") else file_path.stem
        exported = (out / f"{slug}.md").read_text(encoding="utf-8")
        original = file_path.read_bytes().decode("utf-8-sig")
        assert normalise(body_of(exported)) == normalise(body_of(original)), file_path.name
        assert parse(exported) == parse(original), file_path.name
    metformin = (out / "metformin.md").read_text(encoding="utf-8")
    assert normalise(metformin) == normalise((SOURCES / "valid" / "metformin.md").read_text())


def test_exported_files_import_as_unchanged(tmp_path: Path):
    run("import_monographs", str(SEED_PATH), *map(str, VALID))
    revisions = Revision.objects.count()
    run("export_monographs", str(tmp_path / "out"))

    result = run("import_monographs", str(tmp_path / "out"))

    assert result.lines[-1] == "4 files: 0 created, 0 updated, 4 unchanged (published), 0 failed"
    assert Revision.objects.count() == revisions


def test_export_writes_the_live_revision_not_a_pending_draft(folder: Path, tmp_path: Path):
    run("import_monographs", str(folder))
    path = folder / "naltrexone.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nDraft only.\n", encoding="utf-8")
    run("import_monographs", "--draft", str(path))

    run("export_monographs", str(tmp_path / "out"))

    assert (tmp_path / "out" / "naltrexone.md").read_bytes() == SEED_PATH.read_bytes()


def test_export_leaves_out_drafts_and_withdrawn_monographs(tmp_path: Path, moderator):
    run("import_monographs", "--draft", str(SOURCES / "valid" / "metformin.md"))
    run("import_monographs", str(SOURCES / "valid" / "amoxicillin.md"), str(SEED_PATH))
    workflow.withdraw(
        monograph=Monograph.objects.get(slug="amoxicillin"), by=moderator, reason="Recalled"
    )

    result = run("export_monographs", str(tmp_path / "out"))

    assert [p.name for p in (tmp_path / "out").iterdir()] == ["naltrexone.md"]
    assert result.lines[-1] == f"exported 1 published monograph to {tmp_path / 'out'}"


def test_export_into_a_path_that_is_a_file_is_refused(tmp_path: Path):
    run("import_monographs", str(SEED_PATH))
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")

    result = run("export_monographs", str(blocker))
    assert result.status != 0
    assert result.errors == [f"CommandError: {blocker} exists and is not a folder."]

    result = run("export_monographs", str(blocker / "sub"))
    assert result.status != 0
    assert result.errors[0].startswith(f"CommandError: cannot create the folder {blocker}/sub (")
    assert "Traceback" not in result.stderr


def test_export_into_a_read_only_folder_is_refused(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    run("import_monographs", str(SEED_PATH))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("export_monographs", str(locked))
    finally:
        locked.chmod(0o700)
    assert result.status != 0
    assert result.errors[0].startswith(f"CommandError: cannot write to {locked} (")
    assert list(locked.iterdir()) == []


def test_export_replaces_an_existing_file(tmp_path: Path):
    run("import_monographs", str(SEED_PATH))
    out = tmp_path / "out"
    out.mkdir()
    (out / "naltrexone.md").write_text("old")

    run("export_monographs", str(out))

    assert (out / "naltrexone.md").read_bytes() == SEED_PATH.read_bytes()
    assert [p.name for p in out.iterdir()] == ["naltrexone.md"]  # no temporary file left


# --- realistic monographs and hostile files ----------------------------------------------------


def test_there_are_six_realistic_monographs():
    assert len(QA_FILES) >= 6


@pytest.mark.django_db
@pytest.mark.parametrize("path", QA_FILES, ids=lambda p: p.stem)
def test_import_then_export_gives_the_same_text_and_reimports_unchanged(
    tmp_path, imported, path: Path
):
    outcome = run("export_monographs", str(tmp_path))
    assert outcome.status == 0, outcome.stderr
    exported = (tmp_path / f"{imported[path.name].slug}.md").read_text(encoding="utf-8")

    text = path.read_text(encoding="utf-8")
    assert sourcefile.parse(exported) == sourcefile.parse(text)
    if sourcefile.parse(text).sections[0].heading != sourcefile.OVERVIEW_HEADING:
        # Everything after the front matter comes back as written, blank lines aside (an
        # overview comes back under an explicit heading, flow lists as block lists).
        body = text.split("\n### Generic Name", 1)[1]
        assert normalise(exported.split("\n### Generic Name", 1)[1]) == normalise(body)

    revisions = Revision.objects.count()
    outcome = run("import_monographs", str(tmp_path))
    assert outcome.status == 0 and "0 created, 0 updated" in outcome.stdout
    assert Revision.objects.count() == revisions


@pytest.mark.django_db
def test_an_invisible_character_in_a_name_is_refused_by_the_import_on_every_database(tmp_path):
    # SQLite stored the NUL, PostgreSQL refused it: now neither gets that far.
    path = tmp_path / "nul.md"
    path.write_text(source('title: "A\\u0000B"'), encoding="utf-8")
    outcome = run("import_monographs", str(path))

    assert outcome.status == 2
    assert outcome.stderr.splitlines()[0].startswith(
        f"error: {path}: the title contains an invisible"
    )
    assert Monograph.objects.count() == 0


@pytest.mark.django_db
def test_the_import_refuses_a_10_mb_file_in_one_line_and_writes_nothing(tmp_path):
    huge = tmp_path / "huge.md"
    huge.write_text(source(body="### Usage\n\n" + ("word " * 20 + "\n") * 100_000))
    good = tmp_path / "good.md"
    good.write_text(source("title: Goodamol"))
    outcome = run("import_monographs", str(huge), str(good))

    assert outcome.status == 2
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error:")]
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
    outcome = run("import_monographs", str(tmp_path))

    assert outcome.status == 0, outcome.stderr
    assert f"created ibuprofene ({folder / 'Ibuprofène 200 mg.md'})" in outcome.stdout


@pytest.mark.django_db
def test_a_second_file_for_the_same_monograph_is_refused_and_reruns_change_nothing(tmp_path):
    (tmp_path / "a.md").write_text(source("title: Dupamol", "### Usage\n\nOne.\n"))
    (tmp_path / "b.md").write_text(source("title: DUPAMOL", "### Usage\n\nTwo.\n"))
    outcome = run("import_monographs", str(tmp_path))

    assert outcome.status == 2
    assert f"created dupamol ({tmp_path / 'a.md'})" in outcome.stdout
    assert outcome.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'b.md'}: the same monograph as {tmp_path / 'a.md'} (dupamol); "
        "give each monograph one file"
    )
    monograph = Monograph.objects.get(slug="dupamol")
    assert monograph.live_revision.data.sections[0].body == "One."
    revisions = Revision.objects.count()

    # Before, every run published a.md then b.md again: two new revisions each time.
    outcome = run("import_monographs", str(tmp_path))
    assert "unchanged dupamol" in outcome.stdout
    assert Revision.objects.count() == revisions


@pytest.mark.django_db
def test_a_named_pipe_is_refused_instead_of_hanging_the_import(tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    outcome = run("import_monographs", str(pipe))

    assert outcome.status == 2
    assert outcome.stderr.splitlines()[0] == f"error: {pipe}: not a regular file"

"""Backups: `manage.py backup` / `restore` (make backup / make restore).

The drill (PostgreSQL, as CI runs it): fill a database of its own through the workflow,
back it up, drop it, restore into a new empty database and compare what the site holds:
the export of every published monograph, revision / review / audit counts and the uploaded
files, byte for byte. It uses throw-away databases named after DATABASE_URL's
(``<name>_drill_<random>``), never the test database, and drops them at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

FILL = r"""
import os, django
django.setup()
from pathlib import Path
from django.contrib.auth.models import Group, User
from monographs import sourcefile, workflow
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

def staff(name, group):
    user = User.objects.create_user(
        name, f"{name}@example.org", "pw", is_staff=True, first_name="Drill", last_name=group
    )
    user.groups.add(Group.objects.get(name=group))
    return user

editor, moderator = staff("drill-editor", "Editors"), staff("drill-moderator", "Moderators")
seed = (Path("content") / "naltrexone.md").read_text(encoding="utf-8")
workflow.import_source(content=sourcefile.parse(seed), filename="content/naltrexone.md")
drill = publish_new(
    sample_content("Drillamol", other_names=["Drillex"]), editor=editor, moderator=moderator
)
edit_and_publish(drill, edited(drill.live_revision.data, usage="Drillamol treats drills. é ü —"),
                 editor=editor, moderator=moderator)
pending = workflow.create_monograph(content=sample_content("Pendingol"), by=editor, summary="New")
workflow.submit(revision=pending, by=editor)
workflow.request_changes(revision=pending, by=moderator, comment="Please cite a source.")
media = Path(os.environ["DJANGO_MEDIA_ROOT"]) / "uploads" / "2026" / "12"
media.mkdir(parents=True, exist_ok=True)
(media / "5f1c.png").write_bytes(bytes(range(256)) * 40)
(media / "a b é.webp").write_bytes(os.urandom(3000))
"""

COUNT = r"""
import django, json
django.setup()
from monographs.models import AuditEntry, Monograph, ReviewDecision, Revision
print("COUNTS", json.dumps({
    "monographs": Monograph.objects.count(),
    "revisions": Revision.objects.count(),
    "reviews": ReviewDecision.objects.count(),
    "audit": AuditEntry.objects.count(),
    "audit_last": list(AuditEntry.objects.order_by("-id").values_list("action", flat=True)[:3]),
}))
"""

TABLES = r"""
import django
django.setup()
from django.db import connection
print(" ".join(connection.introspection.table_names()))
"""


def _admin_sql(base: dict, sql: str, dbname: str = "postgres") -> None:
    import psycopg

    conninfo = {
        "host": base.get("HOST") or "127.0.0.1",
        "port": base.get("PORT") or 5432,
        "user": base.get("USER") or None,
        "password": base.get("PASSWORD") or None,
        "dbname": dbname,
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        conn.execute(sql)


def _url(base: dict, name: str) -> str:
    auth = base.get("USER") or ""
    if base.get("PASSWORD"):
        auth += ":" + base["PASSWORD"]
    host = f"{base.get('HOST') or '127.0.0.1'}:{base.get('PORT') or 5432}"
    return f"postgres://{auth + '@' if auth else ''}{host}/{name}"


def _run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _counts(env: dict) -> dict:
    out = _run(env, "-c", COUNT).stdout
    return json.loads(out.split("COUNTS", 1)[1])


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the drill runs on PostgreSQL")
def test_backup_drill_restores_everything_into_a_new_database(tmp_path: Path) -> None:
    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    tag = secrets.token_hex(4)
    source_db, target_db, busy_db = (f"{base['NAME']}_drill_{tag}_{n}" for n in "abc")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "REDIS_URL", "DATABASE_URL", "MEDSITE_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="medsite.settings", DJANGO_DEBUG="1")
    source = {
        **env,
        "DATABASE_URL": _url(base, source_db),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "m1"),
    }
    target = {
        **env,
        "DATABASE_URL": _url(base, target_db),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "m2"),
    }
    busy = {**env, "DATABASE_URL": _url(base, busy_db), "DJANGO_MEDIA_ROOT": str(tmp_path / "m3")}
    for name in (source_db, target_db, busy_db):
        _admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        _run(source, "manage.py", "migrate", "--noinput", "-v0")
        _run(source, "-c", FILL)
        before = _counts(source)
        assert before["monographs"] == 3 and before["reviews"] == 3 and before["revisions"] == 4
        _run(source, "manage.py", "export_monographs", str(tmp_path / "export-before"))
        media_before = _tree(tmp_path / "m1")
        assert len(media_before) == 2

        made = _run(source, "manage.py", "backup", "--output-dir", str(tmp_path / "backups"))
        assert "3 monographs, 4 revisions, 3 review decisions" in made.stdout
        (folder,) = (tmp_path / "backups").iterdir()
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["schema"]["monographs"].startswith(
            max(p.name[:4] for p in (ROOT / "monographs" / "migrations").glob("0*.py"))
        )
        assert manifest["counts"]["monographs.auditentry"] == before["audit"]
        assert sorted(manifest["media"]) == sorted(media_before)

        _admin_sql(base, f'DROP DATABASE "{source_db}" WITH (FORCE)')
        restored = _run(target, "manage.py", "restore", str(folder))
        assert "Counts and schema match the manifest" in restored.stdout

        assert _counts(target) == before
        _run(target, "manage.py", "export_monographs", str(tmp_path / "export-after"))
        assert _tree(tmp_path / "export-after") == _tree(tmp_path / "export-before")
        assert len(_tree(tmp_path / "export-after")) == 2  # the two published monographs
        assert _tree(tmp_path / "m2") == media_before

        # A database that is not empty is refused, and left as it was.
        _admin_sql(base, f'CREATE TABLE "{busy_db}_kept" (id int)', dbname=busy_db)
        refused = _run(busy, "manage.py", "restore", str(folder), check=False)
        assert refused.returncode != 0
        assert "is not empty" in refused.stderr and "Nothing was changed" in refused.stderr
        assert "Traceback" not in refused.stderr
        tables = _run(busy, "-c", TABLES).stdout.split()
        assert tables == [f"{busy_db}_kept"]
        assert not (tmp_path / "m3").exists()
    finally:
        for name in (source_db, target_db, busy_db):
            _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="not a medsite backup folder"):
        call_command("restore", str(tmp_path))


def test_restore_refuses_a_damaged_backup(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    (tmp_path / "database.dump").write_bytes(b"half a dump")
    (tmp_path / "media.tar").write_bytes(b"")
    manifest = {
        "format": 1,
        "files": {"database.dump": "0" * 64, "media.tar": hashlib.sha256(b"").hexdigest()},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="database.dump does not match its manifest"):
        call_command("restore", str(tmp_path))

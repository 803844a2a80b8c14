"""Backups of the whole site: the database and the uploaded media, with a manifest.

``manage.py backup`` (``make backup``) writes a folder ``backups/medsite-<UTC time>/``:

- ``database.dump``: ``pg_dump -Fc`` of the PostgreSQL database (or ``database.sqlite3``, a
  consistent copy made with SQLite's backup API, for the zero-setup default);
- ``media.tar``: every file under ``MEDIA_ROOT`` (editors' uploaded images);
- ``manifest.json``: when, from which database, the schema version (the last applied
  migration of each app), the number of rows of every model, the media files with their
  SHA-256, and the SHA-256 of the two files above.

On PostgreSQL the counts and the dump come from one snapshot (``pg_export_snapshot``), so
the manifest describes exactly what the dump holds even while the site keeps writing.

``manage.py restore <folder>`` (``make restore BACKUP=<folder>``) checks the files against the
manifest, refuses a database that is not empty (restoring over a live site would mix two
sites), restores with ``pg_restore --single-transaction`` (all or nothing), unpacks the
media into ``MEDIA_ROOT`` (refusing to overwrite a different file of the same name), then
compares the schema and the counts with the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

FORMAT = 1
DUMP_PG = "database.dump"
DUMP_SQLITE = "database.sqlite3"
MEDIA_TAR = "media.tar"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; str() says why and what to do."""


# --- what a site holds -----------------------------------------------------------------------
def schema_version() -> dict[str, str]:
    """The last applied migration of each app (by the order they were applied)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        last: dict[str, str] = {}
        for app, name in cursor.fetchall():
            last[app] = name
    return dict(sorted(last.items()))


def row_counts() -> dict[str, int]:
    """Rows of every installed model's table (``app_label.model``)."""
    tables = set(connection.introspection.table_names())
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        if model._meta.db_table in tables:
            counts[model._meta.label_lower] = model._base_manager.using("default").count()
    return dict(sorted(counts.items()))


def media_files(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every regular file under ``root``."""
    found = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = sha256_file(path)
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- PostgreSQL client tools -----------------------------------------------------------------
def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    env["PGDATABASE"] = db["NAME"]
    return env


def _run(cmd: list[str], what: str) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client).")
    result = subprocess.run(cmd, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")


def _vendor() -> str:
    if connection.vendor not in {"postgresql", "sqlite"}:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


# --- backup ----------------------------------------------------------------------------------
def backup(output_dir: Path, *, now: datetime | None = None) -> Path:
    """Write a backup folder under ``output_dir``; return its path."""
    vendor = _vendor()
    now = now or datetime.now(UTC)
    name = "medsite-" + now.strftime("%Y%m%dT%H%M%SZ")
    final = output_dir / name
    if final.exists():
        raise BackupError(f"{final} already exists.")
    partial = output_dir / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        if vendor == "postgresql":
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
                schema, counts = schema_version(), row_counts()
                # The dump sees exactly what the counts saw (the snapshot lives as long as
                # this transaction does).
                _run(
                    [
                        "pg_dump",
                        "-Fc",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        "-f",
                        str(partial / DUMP_PG),
                    ],
                    "pg_dump",
                )
            dump = DUMP_PG
        else:
            schema, counts = schema_version(), row_counts()
            connection.ensure_connection()
            target = sqlite3.connect(partial / DUMP_SQLITE)
            with target:
                connection.connection.backup(target)
            target.close()
            dump = DUMP_SQLITE
        media_root = Path(settings.MEDIA_ROOT)
        media = media_files(media_root)
        with tarfile.open(partial / MEDIA_TAR, "w", format=tarfile.PAX_FORMAT) as tar:
            for relative in media:
                tar.add(media_root / relative, arcname=relative, recursive=False)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": {"vendor": vendor, "name": str(settings.DATABASES["default"]["NAME"])},
            "schema": schema,
            "counts": counts,
            "media": media,
            "files": {
                dump: sha256_file(partial / dump),
                MEDIA_TAR: sha256_file(partial / MEDIA_TAR),
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


# --- restore ---------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(f"{folder} has no {MANIFEST}: not a medsite backup folder.") from error
    except (OSError, ValueError) as error:
        raise BackupError(f"cannot read {folder / MANIFEST} ({error}).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: unknown backup format {manifest.get('format')!r}.")
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{folder}: {name} is missing.")
        if sha256_file(path) != digest:
            raise BackupError(f"{folder}: {name} does not match its manifest (damaged copy?).")
    return manifest


def existing_tables() -> list[str]:
    return sorted(connection.introspection.table_names())


def restore(folder: Path) -> dict[str, Any]:
    """Restore ``folder`` into the (empty) configured database and MEDIA_ROOT."""
    manifest = read_manifest(folder)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"this backup is of a {manifest['database']['vendor']} database; "
            f"DATABASE_URL names a {vendor} one."
        )
    name = settings.DATABASES["default"]["NAME"]
    tables = existing_tables()
    if tables:
        raise BackupError(
            f"the database {name} is not empty ({len(tables)} tables, e.g. {tables[0]}): "
            "restore only into an empty database (for PostgreSQL: createdb a new one and point "
            "DATABASE_URL at it). Nothing was changed."
        )
    media_root = Path(settings.MEDIA_ROOT)
    clashes = [
        rel
        for rel, digest in manifest["media"].items()
        if (media_root / rel).exists() and sha256_file(media_root / rel) != digest
    ]
    if clashes:
        raise BackupError(
            f"{media_root} already holds {len(clashes)} different file(s) with the backup's "
            f"names (e.g. {clashes[0]}): restore into an empty MEDIA_ROOT. Nothing was changed."
        )
    if vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                name,
                str(folder / DUMP_PG),
            ],
            "pg_restore",
        )
    else:
        connection.ensure_connection()
        source = sqlite3.connect(folder / DUMP_SQLITE)
        with source:
            source.backup(connection.connection)
        source.close()
    connection.close()  # see the restored schema afresh
    with tarfile.open(folder / MEDIA_TAR) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            target = media_root / member.name
            if target.resolve().is_relative_to(media_root.resolve()) is False:
                raise BackupError(f"{MEDIA_TAR} names a file outside MEDIA_ROOT: {member.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source_file, target.open("wb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(source_file, out)
    restored = {
        "schema": schema_version(),
        "counts": row_counts(),
        "media": media_files(media_root),
    }
    problems = []
    if restored["schema"] != manifest["schema"]:
        problems.append("the schema version differs from the manifest")
    if restored["counts"] != manifest["counts"]:
        diff = {
            k: (manifest["counts"].get(k), restored["counts"].get(k))
            for k in set(manifest["counts"]) | set(restored["counts"])
            if manifest["counts"].get(k) != restored["counts"].get(k)
        }
        problems.append(f"row counts differ from the manifest: {diff}")
    missing = [
        rel for rel, digest in manifest["media"].items() if restored["media"].get(rel) != digest
    ]
    if missing:
        problems.append(f"{len(missing)} media file(s) differ, e.g. {missing[0]}")
    if problems:
        raise BackupError("restored, but " + "; ".join(problems) + ".")
    return manifest


def summary(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    out = io.StringIO()
    out.write(
        f"{counts.get('monographs.monograph', 0)} monographs, "
        f"{counts.get('monographs.revision', 0)} revisions, "
        f"{counts.get('monographs.reviewdecision', 0)} review decisions, "
        f"{counts.get('monographs.auditentry', 0)} audit entries, "
        f"{len(manifest['media'])} media files; schema "
        + ", ".join(
            f"{app} {name}" for app, name in manifest["schema"].items() if app == "monographs"
        )
    )
    return out.getvalue()

"""Export every published monograph in the seed format: ``manage.py export_monographs DIR``.

Each monograph's live revision (what the public sees, not a pending draft) is written to
``DIR/<slug>.md``. Files are replaced atomically, so an interrupted export never leaves a
half-written file; files in DIR that belong to no published monograph are left alone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from monographs import sourcefile
from monographs.models import Monograph


class Command(BaseCommand):
    help = "Write each published monograph (its live revision) to DIR/<slug>.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="folder to write into (created)")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{directory} exists and is not a folder.")
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(
                f"cannot create the folder {directory} ({error.strerror or error})."
            ) from error

        monographs = (
            Monograph.objects.published()
            .select_related("live_revision")
            .order_by("slug")
            .iterator(chunk_size=200)
        )
        written = 0
        try:
            for monograph in monographs:
                path = target / f"{monograph.slug}.md"
                _write_atomically(path, sourcefile.write(monograph.live_revision.data))
                written += 1
                self.stdout.write(f"wrote {path}")
        except DatabaseError as error:
            raise CommandError(
                f"cannot read the monographs from the database ({' '.join(str(error).split())})."
            ) from error
        self.stdout.write(
            f"exported {written} published monograph{'s' if written != 1 else ''} to {directory}"
        )


def _write_atomically(path: Path, text: str) -> None:
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise CommandError(f"cannot write to {path.parent} ({error.strerror or error}).") from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temp_name, 0o644)  # mkstemp makes the file private; an export is for sharing
        os.replace(temp_name, path)
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        raise CommandError(f"cannot write {path} ({error.strerror or error}).") from error

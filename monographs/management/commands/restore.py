"""``manage.py restore <backup folder>``: into an EMPTY database and MEDIA_ROOT.

See ``monographs/backups.py``. ``make restore BACKUP=backups/medsite-...`` runs it. A database
that already has tables is refused (nothing is changed); the restored schema and row counts
are checked against the manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monographs import backups


class Command(BaseCommand):
    help = "Restore a backup folder (made by `backup`) into an empty database and MEDIA_ROOT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", metavar="BACKUP", help="a folder written by `backup`")

    def handle(self, *args: Any, folder: str, **options: Any) -> None:
        try:
            manifest = backups.restore(Path(folder))
        except backups.BackupError as error:
            raise CommandError(f"restore: {error}") from error
        self.stdout.write(
            f"Restored {folder} (made {manifest['created_at']}): {backups.summary(manifest)}. "
            "Counts and schema match the manifest."
        )

"""``manage.py backup [--output-dir backups]``: the database, the uploaded media and a manifest.

See ``monographs/backups.py`` for what the folder holds. ``make backup`` runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monographs import backups


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc, or a SQLite copy) and MEDIA_ROOT, with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output-dir",
            default="backups",
            help="folder the backup folder is written into (default: backups/)",
        )

    def handle(self, *args: Any, output_dir: str, **options: Any) -> None:
        try:
            folder = backups.backup(Path(output_dir))
        except backups.BackupError as error:
            raise CommandError(f"backup failed: {error}") from error
        manifest = backups.read_manifest(folder)
        self.stdout.write(f"Backed up to {folder}: {backups.summary(manifest)}")

"""Notice when an official label changes: ``manage.py check_labels DIR`` (run daily by a timer).

Every ``*.json`` label in DIR is compared with the label version each monograph that
follows it (same set id) was last checked against. A newer version puts the monograph on
the "Source label changed" list (dashboard and review queue) with the label sections that
changed and their clinically relevant differences, until someone marks it checked.
Running it again changes nothing more. Unreadable files are reported in one line each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monographs import labels, workflow
from monographs.models import Monograph

FAILED_EXIT_STATUS = 2


class Command(BaseCommand):
    help = "Compare label files with the label versions their monographs were checked against."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", metavar="DIR", help="a folder of openFDA label JSON files")

    def handle(self, *args: Any, folder: str, **options: Any) -> None:
        path = Path(folder)
        if not path.is_dir():
            raise CommandError(f"{folder}: no such folder", returncode=FAILED_EXIT_STATUS)
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        listed = failed = 0
        for file in files:
            try:
                label = labels.read_label_file(file)
            except labels.LabelError as error:
                failed += 1
                self.stderr.write(f"error: {error}")
                continue
            for monograph in Monograph.objects.filter(label_set_id=label.set_id):
                if workflow.record_label_change(
                    monograph=monograph, label=label, filename=str(file)
                ):
                    listed += 1
                    self.stdout.write(
                        f"changed {monograph.slug}: label version {label.version} "
                        f"(checked against {monograph.label_version or 'none'})"
                    )
        self.stdout.write(
            f"{len(files)} label files: {listed} monographs newly listed as changed, "
            f"{failed} unreadable"
        )
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} files could not be read; see the errors above.",
                returncode=FAILED_EXIT_STATUS,
            )

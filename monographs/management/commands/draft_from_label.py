"""Start drafts from official drug labels: ``manage.py draft_from_label FILE.json ...``.

Each openFDA drug label file becomes a DRAFT revision for review (never a publication):
a new monograph, or a new draft of the monograph that already follows that label (same set
id) or has its generic name. A bad file is reported in one line and writes nothing; the
others still go in, and the exit status says whether all of them did.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monographs import labels, workflow

FAILED_EXIT_STATUS = 2


class Command(BaseCommand):
    help = "Create draft monographs for review from openFDA drug label JSON files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE.json", help="an openFDA label")

    def handle(self, *args: Any, files: list[str], **options: Any) -> None:
        failed = 0
        for name in files:
            try:
                label = labels.read_label_file(name)
                result = workflow.draft_from_label(label=label, filename=name)
            except (labels.LabelError, workflow.WorkflowError) as error:
                failed += 1
                message = str(error)
                self.stderr.write(f"error: {message if name in message else f'{name}: {message}'}")
                continue
            if result.revision is None:
                self.stdout.write(f"unchanged {result.monograph.slug} ({name})")
            else:
                self.stdout.write(
                    f"{result.action} {result.monograph.slug}: draft #{result.revision.number} "
                    f"for review ({name}, {label.describe()})"
                )
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} files could not be used; see the errors above.",
                returncode=FAILED_EXIT_STATUS,
            )

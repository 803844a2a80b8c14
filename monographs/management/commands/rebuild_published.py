"""Rebuild the stored parts of every live revision (``workflow.rebuild_published``).

Run it after a change to the rendering (``rendering.py``, ``page.py``, ``structured_data.py``)
or to what a publication stores; ``--missing`` only fills revisions published before their
parts were stored, and stores again the complete pages that are missing or were stored by
other code (templates, static files, site URL: ``stored_pages.py``). ``make run`` and a
deployment run it; it costs two queries when there is nothing to do.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monographs import workflow


class Command(BaseCommand):
    help = (
        "Rebuild the stored page parts (article, disclaimer, contents, meta description, "
        "JSON-LD, A to Z names) of every published monograph, without new revisions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing",
            action="store_true",
            help=(
                "Only live revisions that have no stored parts yet, and pages stored by "
                "other code or not at all."
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=workflow.REBUILD_BATCH,
            help=f"Monographs per transaction (default {workflow.REBUILD_BATCH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")

        def progress(done: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done} rebuilt")

        result = workflow.rebuild_published(
            missing_only=options["missing"], batch_size=batch_size, progress=progress
        )
        if result.rebuilt or not options["missing"]:
            self.stdout.write(
                self.style.SUCCESS(f"Rebuilt the pages of {result.rebuilt} published monograph(s).")
            )
        elif options["verbosity"] > 1:
            self.stdout.write("Every published monograph has its stored parts.")
        if result.pages:
            self.stdout.write(
                self.style.SUCCESS(f"Stored the current page of {result.pages} monograph(s).")
            )

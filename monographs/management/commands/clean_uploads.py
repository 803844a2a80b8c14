"""Remove uploaded images that no revision refers to, after a grace period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from monographs import uploads


class Command(BaseCommand):
    help = (
        "Remove uploaded images no revision refers to once they are older than the grace "
        "period (an image just uploaded may be in a form not saved yet)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--grace-days",
            type=float,
            default=7.0,
            help="Keep unreferenced files younger than this many days (default 7).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        grace_days = options["grace_days"]
        if grace_days < 0:
            raise CommandError("--grace-days cannot be negative.")
        result = uploads.clean(grace_days=grace_days, dry_run=options["dry_run"])
        if options["verbosity"] >= 2 or options["dry_run"]:
            for name in result.removed:
                self.stdout.write(("would remove " if options["dry_run"] else "removed ") + name)
        self.stdout.write(result.summary())

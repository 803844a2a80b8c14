"""Publish what is due: ``manage.py publish_scheduled`` (every minute, by cron or a timer).

Safe to run on several servers at once (see ``workflow.publish_due``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from monographs import workflow


class Command(BaseCommand):
    help = "Publish the approved revisions whose scheduled time has come."

    def handle(self, *args: Any, **options: Any) -> None:
        published = workflow.publish_due()
        for revision in published:
            self.stdout.write(f"published {revision.monograph.slug} #{revision.number}")
        self.stdout.write(f"{len(published)} scheduled publications made")

"""Mail moderators the reviews that are due: ``manage.py send_review_reminders`` (daily).

Each moderator gets at most one mail a day listing the published monographs whose review
is overdue or due within ``--days`` (30); running it twice the same day sends nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from monographs import notifications


class Command(BaseCommand):
    help = "Mail each moderator (once a day at most) the reviews due within 30 days or overdue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="how far ahead (default 30)")

    def handle(self, *args: Any, days: int = 30, **options: Any) -> None:
        sent, due = notifications.send_review_reminders(days=days)
        self.stdout.write(f"{due} reviews due within {days} days or overdue; {sent} reminders sent")

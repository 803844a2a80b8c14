"""Print the page cache's shared counters as JSON (``--reset`` sets them back to zero).

``renders``: pages the page cache had to build (misses); ``stale_served``: requests answered
with the previous copy of a listing while one request rebuilt it (no stampede). The counters
live in the cache, so they add up every app server sharing Redis (each process adds its
counts at most ``MEDSITE_VERSION_POLL_SECONDS`` after them, on its next page request); with
the local-memory cache they are per process and this command (a process of its own) sees
none.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from monographs import caching


class Command(BaseCommand):
    help = "Print the page cache's counters (renders, stale copies served) as JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true", help="set the counters to zero")

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        if reset:
            caching.reset_stats()
        counters = caching.stats()
        counters.pop("process")  # this command's own: always zero
        self.stdout.write(json.dumps(counters))

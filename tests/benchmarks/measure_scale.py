"""Time the public pages on an existing, populated database (see populate_scale.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medsite_scale \
        .venv/bin/python tests/benchmarks/measure_scale.py [REQUESTS]

In-process (Django's test client, DEBUG off, local-memory page cache): for each page the
response size, the number of SQL queries on a cold request (page cache cleared) and the
median / p95 time cold and warm. Nothing is written to the database.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_SETTINGS_MODULE"] = "medsite.settings_test"
(ROOT / "staticfiles").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from monographs.models import Monograph  # noqa: E402


def pages() -> list[tuple[str, str]]:
    last = Monograph.objects.published().order_by("-id").first()
    brand = next(m for m in Monograph.objects.published().order_by("-id") if m.other_names)
    typo = last.title[:-1] + ("x" if last.title[-1] != "x" else "y")
    letter = last.title[0].lower()
    return [
        ("home", "/"),
        ("A to Z (letter index)", "/medicines/"),
        (f"A to Z (letter {letter})", f"/medicines/{letter}/"),
        ("monograph page", last.get_absolute_url()),
        ("monograph history", f"/medicines/{last.slug}/history/"),
        ("search (word)", "/search/?q=cravings"),
        ("search (rare word)", "/search/?q=scaleword00042"),
        ("search (typo)", f"/search/?q={typo}"),
        ("search (brand)", f"/search/?q={brand.other_names[0]}"),
        ("search (nothing)", "/search/?q=qqqqzzzz"),
        ("sitemap.xml (index)", "/sitemap.xml"),
        ("sitemap (monographs)", "/sitemap-monographs.xml"),
    ]


def timed(client: Client, url: str, n: int, *, cold: bool) -> tuple[float, float, int]:
    samples = []
    status = 0
    for _ in range(n):
        if cold:
            cache.clear()
        start = time.perf_counter()
        status = client.get(url).status_code
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)], status


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    client = Client()
    print(f"{Monograph.objects.published().count()} published monographs, {connection.vendor}")
    header = f"{'page':<24}{'status':>7}{'KB':>8}{'queries':>8}"
    header += f"{'cold med':>10}{'cold p95':>10}{'warm med':>10}{'warm p95':>10}"
    print(header + "  (ms)")
    for label, url in pages():
        cache.clear()
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # noqa: ANN001, ANN202
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        size = len(response.content) / 1024
        cold = timed(client, url, n, cold=True)
        warm = timed(client, url, n, cold=False)
        print(
            f"{label:<24}{response.status_code:>7}{size:>8.0f}{len(queries):>8}"
            f"{cold[0]:>10.1f}{cold[1]:>10.1f}{warm[0]:>10.1f}{warm[1]:>10.1f}"
        )


if __name__ == "__main__":
    main()

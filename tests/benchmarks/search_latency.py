"""Search latency per kind of query, one query at a time, on a populated database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medsite_scale \
        .venv/bin/python tests/benchmarks/search_latency.py [QUERIES_PER_KIND] [--explain]

Fill the database first with ``populate_scale.py 10000 20``. In-process, ``DEBUG`` off: for
each kind of query, ``QUERIES_PER_KIND`` (default 50) *different* queries go through the
search view with the page cache bypassed (a miss: name index, SQL, snippets, template),
then the same queries again through the cached view (a hit). Prints median and p95 per
kind in milliseconds (wall clock, and this process's CPU time for a miss: on a loaded
machine the wall clock mostly measures waiting), the SQL queries of one miss, the name
index's build time and size and the process's resident memory. ``--explain`` also prints
``EXPLAIN ANALYZE`` of the ranked full-text query for a common word, a phrase and a
misspelt name.

Kinds: an exact generic name, an exact brand name (both redirects), a generic name and a
brand name with one typo, a common word (in every monograph: "cravings"), a phrase in
every monograph, a rare word (in 1 % of them), and a misspelling too far off to match
(nothing found, "did you mean" computed). Nothing is written to the database.
"""

from __future__ import annotations

import inspect
import os
import random
import statistics
import sys
import time
import tracemalloc
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
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from monographs import name_index, search, search_views  # noqa: E402
from monographs.models import Monograph  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(name: str, rng: random.Random, edits: int = 1) -> str:
    for _ in range(edits):
        i = rng.randrange(1, len(name))
        name = name[:i] + rng.choice(LETTERS) + name[i + 1 :]
    return name


def query_kinds(n: int) -> dict[str, list[str]]:
    rng = random.Random(20261201)
    rows = list(Monograph.objects.published().values_list("title", "other_names"))
    rng.shuffle(rows)
    titles = [t for t, _ in rows]
    brands = [o[0] for _, o in rows if o]
    return {
        "exact name": titles[:n],
        "brand name": brands[:n],
        "misspelt name": [typo(t, rng) for t in titles[n : 2 * n]],
        "misspelt brand": [typo(b, rng) for b in brands[n : 2 * n]],
        "common word": ["cravings", "alcohol", "naltrexone", "liver", "nausea"] * (n // 5),
        "phrase": ['"alcohol use disorder"', '"liver damage"', '"once daily"'] * (n // 3),
        "rare word": [f"scaleword{rng.randrange(1, 100):05d}" for _ in range(n)],
        "nothing (did you mean)": [typo(t, rng, 4) + "qz" for t in titles[2 * n : 3 * n]],
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 50
    explain = "--explain" in sys.argv
    factory = RequestFactory()
    uncached = inspect.unwrap(search_views.search)  # the view without the page cache
    cached = search_views.search

    name_index.get()  # connection, generation
    start = time.perf_counter()
    name_index.build()
    build_ms = (time.perf_counter() - start) * 1000
    tracemalloc.start()
    index = name_index.build()
    size_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    print(
        f"{Monograph.objects.published().count()} published monographs on "
        f"{connection.vendor}; name index: {len(index)} names and words, built in "
        f"{build_ms:.0f} ms, {size_mb:.1f} MB"
    )

    kinds = query_kinds(n)
    for queries in kinds.values():  # warm up connections, the index, code paths
        uncached(factory.get("/search/", {"q": queries[0]}))
    print(
        f"\n{'kind':<24}{'status':>7}{'queries':>8}{'miss med':>10}{'miss p95':>10}"
        f"{'hit med':>9}{'hit p95':>9}{'cpu med':>9}{'cpu p95':>9}"
        f"   (ms, {n} different queries each; cpu: this process's CPU time of a miss)"
    )
    cache.clear()
    for kind, queries in kinds.items():
        with CaptureQueriesContext(connection) as captured:
            response = uncached(factory.get("/search/", {"q": queries[0]}))
        misses, hits, cpu = [], [], []
        for query in queries:
            request = factory.get("/search/", {"q": query})
            t, c = time.perf_counter(), time.process_time()
            uncached(request)
            misses.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        for query in queries:
            cached(factory.get("/search/", {"q": query}))  # fill
        for query in queries:
            request = factory.get("/search/", {"q": query})
            t = time.perf_counter()
            cached(request)
            hits.append((time.perf_counter() - t) * 1000)
        print(
            f"{kind:<24}{response.status_code:>7}{len(captured.captured_queries):>8}"
            f"{statistics.median(misses):>10.1f}{percentile(misses, 0.95):>10.1f}"
            f"{statistics.median(hits):>9.2f}{percentile(hits, 0.95):>9.2f}"
            f"{statistics.median(cpu):>9.1f}{percentile(cpu, 0.95):>9.1f}"
        )

    if explain and connection.vendor == "postgresql":
        for label, query, bonus in [
            ("common word", "cravings", {}),
            ("phrase", '"alcohol use disorder"', {}),
            ("misspelt name", kinds["misspelt name"][0], _bonus(kinds["misspelt name"][0])),
        ]:
            print(f"\nEXPLAIN ANALYZE, {label} ({query}):")
            with connection.cursor() as cursor:
                cursor.execute(
                    "EXPLAIN ANALYZE " + search._RANKED_SQL,
                    search.ranked_query_params(query, bonus, 20),
                )
                for (line,) in cursor.fetchall():
                    print("   ", line)
        with connection.cursor() as cursor:
            print("\nEXPLAIN ANALYZE, the name index's freshness check:")
            cursor.execute(
                "EXPLAIN ANALYZE SELECT MAX(last_published_at), MAX(withdrawn_at) "
                "FROM monographs_monograph"
            )
            for (line,) in cursor.fetchall():
                print("   ", line)

    try:
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        print(f"\nresident memory of this process: {rss / 1e6:.0f} MB")
    except OSError:
        pass


def _bonus(query: str) -> dict[int, float]:
    index = name_index.get()
    return search._name_bonus(index, query, search.query_terms(query), [], 20)


if __name__ == "__main__":
    main()

"""`make bench`: how fast are the public pages, against a bare Django view?

Builds a throw-away database (SQLite in a temp dir, or the one DATABASE_URL names, whose
tables must be empty), imports BENCH_MONOGRAPHS monographs through the real import path
(rendered and stored HTML, search fields), then times each page in-process with Django's
test client: the median and p95 of BENCH_REQUESTS requests, with the server-side page
cache warm and with it bypassed (cache cleared before each request).
Prints the bare view's time, then a table with each page's time and its multiple of the
bare view's; exits non-zero only if a page does not answer 200. For a site-sized catalogue
on PostgreSQL see populate_scale.py and measure_scale.py (docs/performance.md).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

N_MONOGRAPHS = int(os.environ.get("BENCH_MONOGRAPHS", "300"))
N_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))

tmp = tempfile.mkdtemp(prefix="medsite-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
os.environ["DJANGO_DEBUG"] = "0"  # no query logging, as in production
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_SETTINGS_MODULE"] = "medsite.settings_test"
(ROOT / "staticfiles").mkdir(exist_ok=True)  # whitenoise wants STATIC_ROOT when DEBUG is off

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from monographs import sourcefile, workflow  # noqa: E402
from monographs.models import Monograph  # noqa: E402


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bare/", bare), path("", include("medsite.urls"))]


def populate() -> None:
    call_command("migrate", verbosity=0)
    if Monograph.objects.exists():
        sys.exit("The benchmark database is not empty; point DATABASE_URL at an empty one.")
    seed = (ROOT / "content" / "naltrexone.md").read_text(encoding="utf-8")
    base = sourcefile.parse(seed)
    workflow.import_source(content=base, filename="content/naltrexone.md")
    for i in range(1, N_MONOGRAPHS):
        content = sourcefile.parse(seed)
        content.title = f"Benchmarkine {i:05d}"
        content.generic_name = content.title
        workflow.import_source(content=content, filename=f"bench/{i}.md")


def timed(client: Client, url: str, *, cold: bool) -> tuple[float, float]:
    samples = []
    for _ in range(N_REQUESTS):
        if cold:
            cache.clear()
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    print(f"Populating {N_MONOGRAPHS} monographs ({os.environ['DATABASE_URL'].split(':')[0]})...")
    start = time.perf_counter()
    populate()
    print(f"  imported in {time.perf_counter() - start:.1f} s")
    client = Client()
    rows = [
        ("monograph page", "/medicines/naltrexone/"),
        ("monograph history", "/medicines/naltrexone/history/"),
        ("home", "/"),
        ("A to Z", "/medicines/"),
        ("search (word)", "/search/?q=cravings"),
        ("search (typo)", "/search/?q=naltrexon"),
        ("sitemap.xml", "/sitemap.xml"),
    ]
    with override_settings(ROOT_URLCONF=__name__):
        bare_warm = timed(client, "/bare/", cold=False)
        bare_cold = timed(client, "/bare/", cold=True)
        print(
            f"\nBare Django view (HttpResponse('ok') through the same middleware): "
            f"median {bare_warm[0]:.2f} ms, p95 {bare_warm[1]:.2f} ms."
        )
        print(
            "Each page: median and p95 in ms, and the median as a multiple of the bare view's\n"
            "(warm: served from the page cache; cold: cache cleared before every request).\n"
        )
        header = (
            f"{'page':<20}{'warm med':>10}{'p95':>8}{'x bare':>8}"
            f"{'cold med':>11}{'p95':>8}{'x bare':>8}"
        )
        print(header)
        for label, url in rows:
            warm = timed(client, url, cold=False)
            cold = timed(client, url, cold=True)
            print(
                f"{label:<20}{warm[0]:>10.2f}{warm[1]:>8.2f}{warm[0] / bare_warm[0]:>7.1f}x"
                f"{cold[0]:>11.2f}{cold[1]:>8.2f}{cold[0] / bare_cold[0]:>7.1f}x"
            )


if __name__ == "__main__":
    main()

"""`make bench-http`: the public pages over real HTTP, each as a ratio of a bare Django view.

    make bench-http          # or: .venv/bin/python tests/benchmarks/bench_http.py

What it does (every process on 127.0.0.1, every wait bounded, every process stopped by PID):

1. A PostgreSQL database filled by ``populate_scale.py MONOGRAPHS REVISIONS`` (10,000 x 20),
   reused when it already holds exactly that many monographs (pending migrations are applied
   to it, as in a deployment), otherwise (or with BENCH_REFILL=1) dropped and filled again
   (only a database whose name contains "bench").
2. gunicorn, 2 workers, ``DJANGO_DEBUG=0`` (plain HTTP on loopback: no SSL redirect, no HSTS,
   no secure-only cookies), the page cache in Redis under a key prefix of its own, and the
   site's URLs plus a bare view (``bench_settings``/``bench_urls``: only in this run) that
   returns the bytes of a monograph page through the same middleware.
3. wrk (``-t1 -cCONNECTIONS``) on each page for BENCH_SECONDS, in BENCH_ROUNDS rounds that
   alternate the bare view and the pages (bare view, page, bare view, next page...). A
   page's ratio in a round is its requests per second over the bare view's just before it;
   the table gives the median ratio and the median p50/p95 latency over the rounds.
   "monograph misses" walks the slugs, each asked once over the whole run (the slugs are
   split between the rounds; the cache is emptied first).
4. The SQL queries of one miss of each page (in-process, ``CaptureQueriesContext``), a
   publication under load (how many times the home page was rebuilt), and each gunicorn
   worker's resident memory at the end (``VmRSS`` from /proc).

Environment (defaults in brackets):
  BENCH_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/medsite_bench]
  BENCH_REDIS_URL     [$REDIS_URL, else redis://127.0.0.1:6379/0]; only keys under this run's
                      prefix are written and deleted
  BENCH_CACHE [redis]  "local": the site's default local-memory cache instead of Redis (each
                      worker its own; the misses are still pages never asked before)
  BENCH_PORT [8765]  BENCH_ROUNDS [3]  BENCH_SECONDS [5]  BENCH_CONNECTIONS [8]
  BENCH_MONOGRAPHS [10000]  BENCH_REVISIONS [20]  BENCH_WORKERS [2]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medsite_bench"
)
LOCAL_CACHE = os.environ.get("BENCH_CACHE", "redis") == "local"
REDIS_URL = (
    ""
    if LOCAL_CACHE
    else os.environ.get(
        "BENCH_REDIS_URL", os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
)
PORT = int(os.environ.get("BENCH_PORT", "8765"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
MONOGRAPHS = int(os.environ.get("BENCH_MONOGRAPHS", "10000"))
REVISIONS = int(os.environ.get("BENCH_REVISIONS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
BASE = f"http://127.0.0.1:{PORT}"
PREFIX = f"medsite-bench-{os.getpid()}"


def log(message: str) -> None:
    print(message, flush=True)


def django_env(**extra: str) -> dict[str, str]:
    """The environment of a production-like process on plain-HTTP loopback."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MEDSITE_", "REDIS_URL", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DJANGO_CACHE_PREFIX=PREFIX,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        MEDSITE_SITE_URL=BASE,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def django_run(args: list[str], *, timeout: float, **env: str) -> str:
    """Run ``python <args>`` from the repository with the site's settings; its stdout."""
    return subprocess.run(
        [PY, *args],
        cwd=ROOT,
        env=django_env(DJANGO_SETTINGS_MODULE="medsite.settings", **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout


# --- the database ----------------------------------------------------------------------------
def _db_name() -> str:
    return DATABASE_URL.rsplit("/", 1)[1].split("?")[0]


def _admin_psql(sql: str, *params: str) -> str:
    import psycopg

    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        row = cursor.fetchone() if cursor.description else None
        return "" if row is None else str(row[0])


def _state() -> tuple[int, bool]:
    """(published monographs, whether migrations are pending) of the bench database."""
    code = (
        "import django, json; django.setup();"
        "from django.db import connection;"
        "from django.db.migrations.executor import MigrationExecutor;"
        "ex = MigrationExecutor(connection);"
        "pending = bool(ex.migration_plan(ex.loader.graph.leaf_nodes()));"
        "from monographs.models import Monograph;"
        "tables = connection.introspection.table_names();"
        "n = Monograph.objects.count() if 'monographs_monograph' in tables else 0;"
        "print('STATE', json.dumps([n, pending]))"
    )
    out = django_run(["-c", code], timeout=300)
    n, pending = json.loads(out.split("STATE", 1)[1])
    return n, pending


def prepare_database() -> None:
    name = _db_name()
    if not _admin_psql("SELECT 1 FROM pg_database WHERE datname = %s", name):
        _admin_psql(f'CREATE DATABASE "{name}"')
    count, pending = _state()
    refill = os.environ.get("BENCH_REFILL") == "1"
    if count == MONOGRAPHS and not refill:
        if pending:
            # As a deployment would: the new migrations run on the filled database.
            log(f"Reusing {name} ({count} monographs); applying the pending migrations...")
            start = time.perf_counter()
            django_run(["manage.py", "migrate", "--noinput"], timeout=3600, REDIS_URL="")
            log(f"  migrated in {time.perf_counter() - start:.0f} s")
        else:
            log(f"Reusing {name}: {count} monographs, migrations up to date.")
        return
    if count:
        if "bench" not in name:
            sys.exit(
                f"{name} holds {count} monographs (wanted {MONOGRAPHS}); the benchmark only "
                "drops databases named *bench*."
            )
        log(f"Dropping {name} ({count} monographs).")
        _admin_psql(f'DROP DATABASE "{name}" WITH (FORCE)')
        _admin_psql(f'CREATE DATABASE "{name}"')
    log(f"Filling {name} with {MONOGRAPHS} monographs x {REVISIONS} revisions...")
    start = time.perf_counter()
    args = [str(HERE / "populate_scale.py"), str(MONOGRAPHS), str(REVISIONS)]
    log(django_run(args, timeout=3600, DJANGO_DEBUG="1").rstrip())
    log(f"  filled in {time.perf_counter() - start:.0f} s")


def store_pages() -> None:
    """Store every monograph page as this code and these settings render it, as a deployment
    does (``rebuild_published --missing``: nothing to do when they are current)."""
    start = time.perf_counter()
    out = django_run(["manage.py", "rebuild_published", "--missing"], timeout=3600, REDIS_URL="")
    out = out.strip()
    log(f"{out or 'Every stored page is current.'} ({time.perf_counter() - start:.0f} s)")


# --- gunicorn --------------------------------------------------------------------------------
class Server:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.bare_file = workdir / "bare.html"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        logfile = (self.workdir / "gunicorn.log").open("ab")
        env = django_env(
            DJANGO_SETTINGS_MODULE="bench_settings", BENCH_BARE_FILE=str(self.bare_file)
        )
        self.proc = subprocess.Popen(
            [
                GUNICORN,
                "medsite.wsgi",
                "--pythonpath",
                f"{ROOT},{HERE}",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                *_no_control_socket(),
            ],
            cwd=ROOT,
            env=env,
            stdout=logfile,
            stderr=logfile,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited; see {self.workdir / 'gunicorn.log'}")
            try:
                urllib.request.urlopen(f"{BASE}/robots.txt", timeout=5).read()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        sys.exit("gunicorn did not answer within 60 s")

    def workers(self) -> list[int]:
        assert self.proc
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def _no_control_socket() -> list[str]:
    """gunicorn 24+ opens a control socket at a fixed path shared by every gunicorn on the
    machine; the benchmark needs none."""
    help_text = subprocess.run([GUNICORN, "--help"], capture_output=True, text=True).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- Redis -----------------------------------------------------------------------------------
def clear_cache() -> int:
    """Delete this run's keys (and only them)."""
    if LOCAL_CACHE:
        return 0  # in the workers: their pages under keys never asked again
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


# --- wrk -------------------------------------------------------------------------------------
def wrk(
    path: str,
    *,
    seconds: int,
    connections: int = CONNECTIONS,
    settle: bool = True,
    paths_file: Path | None = None,
) -> dict:
    """wrk on one page for ``seconds``; with ``paths_file``, each of its paths once instead
    (``wrk_stats.lua``: the rate is over the time the paths took, not ``seconds``, which
    is then only the most it may take)."""
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(HERE / "wrk_stats.lua"),
        BASE + path,
    ]
    if paths_file is None:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    else:
        out = _walk_with_wrk([*cmd, "--", str(paths_file)], seconds + 60)
    match = re.search(r"WRK_JSON (\{.*\})", out)
    if not match:
        sys.exit(f"wrk printed no figures for {path}:\n{out}")
    figures = json.loads(match.group(1))
    if settle:
        drain()
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return figures


def _walk_with_wrk(cmd: list[str], limit: float) -> str:
    """Run wrk until its script says every path has answered, then interrupt its sleep."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("WRK_WALK_DONE"):
                proc.send_signal(signal.SIGINT)
        proc.wait()
    finally:
        timer.cancel()
    if proc.returncode not in (0, -signal.SIGINT):
        sys.exit(f"wrk exited with {proc.returncode}:\n{''.join(lines)}")
    return "".join(lines)


def walk(paths: list[str], workdir: Path) -> dict:
    """Ask each path once, CONNECTIONS at a time, with wrk (``wrk_stats.lua``).

    Driven by wrk like every other row: a client in Python (the benchmark's first version)
    spent more CPU per request than the server's cache miss, on the same two cores."""
    paths_file = workdir / "miss-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    figures = wrk("/bench-bare/", seconds=600, paths_file=paths_file)
    if figures["requests"] < 0.99 * len(paths) or figures["errors"]:
        sys.exit(f"the miss walk answered {figures['requests']} of {len(paths)} paths")
    return figures


def drain(limit: float = 180) -> None:
    """Wait until the server has finished what wrk left queued (slow pages pile up).

    wrk stops on time with requests still queued in gunicorn; the next measurement must not
    pay for them. Idle means two bare-view answers in a row within 0.2 s.
    """
    deadline = time.monotonic() + limit
    quick = 0
    while quick < 2 and time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            urllib.request.urlopen(f"{BASE}/bench-bare/", timeout=60).read()
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
            continue
        quick = quick + 1 if time.perf_counter() - start < 0.2 else 0


def fetch(path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(BASE + path)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- the pages -------------------------------------------------------------------------------
def site_facts() -> dict:
    """Slugs and names to ask for, read from the bench database."""
    code = (
        "import django, json; django.setup();"
        "from monographs.models import Monograph;"
        "qs = Monograph.objects.published().order_by('id');"
        "rows = list(qs.values_list('slug', 'title'));"
        "print('FACTS', json.dumps(rows))"
    )
    out = django_run(["-c", code], timeout=300)
    rows = json.loads(out.split("FACTS", 1)[1])
    return {"slugs": [r[0] for r in rows], "titles": [r[1] for r in rows]}


def pages(facts: dict) -> list[tuple[str, str]]:
    hit_slug = facts["slugs"][len(facts["slugs"]) // 2]
    name = facts["titles"][-1]
    typo = name[:3] + name[4:] if len(name) > 5 else name + "x"  # one letter dropped
    letter = name[0].lower()
    letter_path = f"/medicines/{letter}/"
    status, _ = fetch(letter_path)
    if status != 200:
        log(f"({letter_path} answered {status}: the A to Z row uses /medicines/ instead)")
        letter_path = "/medicines/"
    return [
        ("monograph, cache hit", f"/medicines/{hit_slug}/"),
        ("monograph, cache misses", "MISSES"),
        ("home", "/"),
        (f"A to Z ({letter_path})", letter_path),
        ("search, common word", "/search/?q=cravings"),
        (f"search, misspelt ({typo})", f"/search/?q={typo}"),
        ("sitemap.xml", "/sitemap.xml"),
        *sitemap_sections(),
    ]


def sitemap_sections() -> list[tuple[str, str]]:
    """When /sitemap.xml is a sitemap index, its largest section (the monographs) too."""
    status, body = fetch("/sitemap.xml")
    if status != 200 or b"<sitemapindex" not in body:
        return []
    locs = re.findall(r"<loc>([^<]+)</loc>", body.decode("utf-8", "replace"))
    paths = [urllib.parse.urlsplit(loc) for loc in locs]
    paths_ = [p.path + (f"?{p.query}" if p.query else "") for p in paths]
    monographs = [p for p in paths_ if "monograph" in p] or paths_[-1:]
    return [(monographs[0].lstrip("/")[:34], monographs[0])] if monographs else []


def query_counts(pages_: list[tuple[str, str]], miss_slug: str) -> dict[str, int]:
    """SQL queries of one cache miss of each page, in-process (local-memory cache)."""
    miss = f"/medicines/{miss_slug}/"
    urls = [(label, miss if url == "MISSES" else url) for label, url in pages_]
    code = f"""
import django, json
django.setup()
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
out = {{}}
for label, url in {urls!r}:
    client.get(url)  # first use of each code path (connections, lazy imports)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    out[label] = [len(queries), status]
print("QUERIES", json.dumps(out))
"""
    out = subprocess.run(
        [PY, "-c", code],
        cwd=ROOT,
        # The served settings (the pages stored for them), a local-memory cache, no poll.
        env=django_env(
            DJANGO_SETTINGS_MODULE="medsite.settings",
            REDIS_URL="",
            MEDSITE_VERSION_POLL_SECONDS="3600",
        ),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if "QUERIES" not in out.stdout:
        log(f"(query counts failed: {out.stderr.strip().splitlines()[-1:]})")
        return {}
    return json.loads(out.stdout.split("QUERIES", 1)[1])


def worker_stats() -> dict[int, dict[str, dict[str, int]]]:
    """Per worker pid: path -> {where answers came from: how many} (bench_urls)."""
    seen: dict[int, dict] = {}
    for _ in range(60):
        status, body = fetch("/bench-stats/")
        if status == 200:
            data = json.loads(body)
            seen[data["pid"]] = data["sources"]
        if len(seen) >= WORKERS:
            break
    return seen


def shared_counters(*, reset: bool = False) -> dict:
    """``manage.py page_cache_stats``: renders and stale copies, added up over the workers
    (with the local-memory cache each worker keeps its own: none here)."""
    if LOCAL_CACHE:
        return {"renders": "-", "stale_served": "-"}
    args = ["manage.py", "page_cache_stats", *(["--reset"] if reset else [])]
    return json.loads(django_run(args, timeout=120))


def publish_under_load(paths: list[str], slug: str) -> list[str]:
    """Publish one monograph while wrk reads every page in ``paths``; count the rebuilds.

    One wrk per page (-c2 each, all at once, 8 s), so a slow page does not starve the
    others. Each worker tells, per path, where the page cache took each answer from
    (``response.page_cache``): "render" is a rebuild, "stale" the previous copy served
    while one request rebuilt it, "stored" the monograph page's stored copy. The shared
    counters (``manage.py page_cache_stats``) give the same renders added up. The
    publication goes through the real import path (``workflow.import_source``) in a
    process of its own, as ``import_monographs`` does.
    """
    publisher = Publisher(slug)
    for path in paths:
        fetch(path)  # every page cached before the publication
    before = worker_stats()
    shared_counters(reset=True)
    results: dict[str, dict] = {}

    def load(path: str) -> None:
        results[path] = wrk(path, seconds=8, connections=2, settle=False)

    threads = [threading.Thread(target=load, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    time.sleep(3)
    published = publisher.publish()
    for thread in threads:
        thread.join(timeout=120)
    drain()
    time.sleep(1)  # each worker adds its counts to the shared ones on its next request
    for path in paths:
        fetch(path)
    after = worker_stats()
    shared = shared_counters()
    total = sum(r.get("requests", 0) for r in results.values())
    errors = sum(r.get("errors", 0) for r in results.values())
    lines = [
        f"{published}; {total} requests over {len(paths)} pages in 8 s around it "
        f"(one wrk -c2 per page), {errors} errors; page_cache_stats over the window: "
        f"{shared['renders']} renders, {shared['stale_served']} previous copies served"
    ]
    if len(before) < WORKERS or set(before) != set(after):
        lines.append("(could not read every worker's counters: per-page counts not available)")
        return lines
    for path in paths:
        window: dict[str, int] = {}
        for pid in after:
            old = before[pid].get(path, {})
            for source, count in after[pid].get(path, {}).items():
                if count - old.get(source, 0):
                    window[source] = window.get(source, 0) + count - old.get(source, 0)
        answers = ", ".join(f"{n} {source}" for source, n in sorted(window.items()))
        rebuilt = window.get("render", 0)
        lines.append(f"  {path:<40} rebuilt {rebuilt} time(s)  ({answers})")
    return lines


class Publisher:
    """A process that publishes one monograph when told to (``workflow.import_source``).

    Started and made ready (Django set up, the monograph read) before the load begins, so
    the publication lands at a known moment inside the load window.
    """

    CODE = """
import django, sys, time
django.setup()
from monographs import sourcefile, workflow
from monographs.models import Monograph
m = Monograph.objects.get(slug=sys.argv[1])
content = sourcefile.parse(open("content/naltrexone.md", encoding="utf-8").read())
content.title = m.title
content.generic_name = m.generic_name
content.other_names = list(m.other_names)
content.sections[0].body += "\\n\\nBenchmark publication at " + str(time.time_ns()) + "."
print("READY", flush=True)
sys.stdin.readline()
start = time.perf_counter()
result = workflow.import_source(content=content, filename="bench/publish.md")
print("PUBLISHED", result.action, round((time.perf_counter() - start) * 1000), flush=True)
"""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.proc = subprocess.Popen(
            [PY, "-c", self.CODE, slug],
            cwd=ROOT,
            env=django_env(DJANGO_SETTINGS_MODULE="medsite.settings"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout and self.proc.stdin
        self.ready = self.proc.stdout.readline().startswith("READY")

    def publish(self) -> str:
        assert self.proc.stdout and self.proc.stdin
        if not self.ready:
            return (
                f"publication failed: {self.proc.stderr.read()[-300:] if self.proc.stderr else ''}"
            )
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().split()
        self.proc.wait(timeout=60)
        if not line or line[0] != "PUBLISHED":
            return (
                f"publication failed: {self.proc.stderr.read()[-300:] if self.proc.stderr else ''}"
            )
        return f"{line[1]} {self.slug} in {line[2]} ms"


# --- the run ---------------------------------------------------------------------------------
def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk, or `make wrk` as root).")
    prepare_database()
    django_run(["manage.py", "collectstatic", "--noinput", "-v0"], timeout=300)
    store_pages()
    facts = site_facts()
    log(f"{len(facts['slugs'])} published monographs; gunicorn -w {WORKERS} on {BASE}")
    workdir = Path(tempfile.mkdtemp(prefix="medsite-bench-http-"))
    server = Server(workdir)
    try:
        server.start()
        run(server, facts, workdir)
    finally:
        server.stop()
        try:
            clear_cache()
        except Exception as error:  # noqa: BLE001 - cleanup only
            log(f"(could not delete the run's Redis keys: {error})")


def run(server: Server, facts: dict, workdir: Path) -> None:
    table = pages(facts)
    hit_path = table[0][1]
    status, body = fetch(hit_path)
    if status != 200:
        sys.exit(f"{hit_path} answered {status}")
    server.bare_file.write_bytes(body)
    for label, path in [("bare view", "/bench-bare/"), *table]:
        if path != "MISSES":
            status, page = fetch(path)
            log(f"  {label:<34} {path:<40} {status} {len(page) / 1024:7.1f} KB")
            if status != 200:
                sys.exit(f"{path} answered {status}: fix the site before benchmarking it")
    # The monograph misses: every slug but the hit page's, split between the rounds.
    slugs = [s for s in facts["slugs"] if f"/medicines/{s}/" != hit_path]
    chunks = [slugs[i::ROUNDS] for i in range(ROUNDS)]
    clear_cache()
    for _, path in table:
        if path != "MISSES":
            fetch(path)  # warm: every other row measures the cached page
    results: dict[str, list[dict]] = {label: [] for label, _ in [("bare view", ""), *table]}
    for round_number in range(ROUNDS):
        log(f"Round {round_number + 1} of {ROUNDS}")
        for label, path in table:
            # The bare view right before each page: the ratio compares two runs a few
            # seconds apart, not the page with a bare view measured a minute earlier on a
            # machine whose speed drifts.
            bare = wrk("/bench-bare/", seconds=SECONDS)
            results["bare view"].append(bare)
            if path == "MISSES":
                figures = walk([f"/medicines/{s}/" for s in chunks[round_number]], workdir)
            else:
                figures = wrk(path, seconds=SECONDS)
                if figures["requests"] < 2 * CONNECTIONS:
                    # A slow page: too few answers in SECONDS for a rate; measure it longer.
                    figures = wrk(path, seconds=SECONDS * 6)
            figures["ratio"] = figures["rps"] / bare["rps"]
            results[label].append(figures)
            log(
                f"  {label:<34} {figures['rps']:8.1f} req/s  p95 {figures['p95_us'] / 1000:7.1f} ms"
                f"  errors {figures['errors']}  (bare view just before: {bare['rps']:.1f} req/s,"
                f" ratio {figures['ratio']:.3f})"
            )

    log("\nSQL queries of one cache miss of each page (in-process)...")
    queries = query_counts(table, chunks[0][0])

    log("\nA publication under load:")
    published_slug = facts["slugs"][0]
    load_paths = [p for _, p in table if p != "MISSES"] + [f"/medicines/{published_slug}/"]
    publication = publish_under_load(load_paths, published_slug)

    rss = {pid: rss_mb(pid) for pid in server.workers()}
    print_table(results, table, queries)
    log("\nA publication under load: " + "\n".join(publication))
    log(
        "Gunicorn workers' resident memory at the end: "
        + ", ".join(f"pid {pid} {mb:.0f} MB" for pid, mb in rss.items())
    )


def print_table(results: dict[str, list[dict]], table: list, queries: dict) -> None:
    cache = "the local-memory cache" if LOCAL_CACHE else "Redis"
    log(
        f"\n{cache}; {ROUNDS} rounds; wrk -t1 -c{CONNECTIONS}, {SECONDS} s a page a round "
        f"(misses: each slug once); ratio = page req/s / req/s of the bare view measured just "
        "before it, median over rounds; latencies in ms, median over rounds.\n"
    )
    header = f"{'page':<36}{'req/s':>8}{'ratio':>8}{'p50':>8}{'p95':>8}{'errors':>8}{'queries':>9}"
    log(header)
    log("-" * len(header))
    for label in ["bare view", *(label for label, _ in table)]:
        runs = results[label]
        ratio = statistics.median(r.get("ratio", 1.0) for r in runs)
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50_us"] for r in runs) / 1000
        p95 = statistics.median(r["p95_us"] for r in runs) / 1000
        errors = sum(r["errors"] for r in runs)
        q = queries.get(label, ["", ""])[0] if label != "bare view" else 0
        log(f"{label:<36}{rps:>8.1f}{ratio:>7.3f}x{p50:>8.1f}{p95:>8.1f}{errors:>8}{q!s:>9}")


if __name__ == "__main__":
    main()

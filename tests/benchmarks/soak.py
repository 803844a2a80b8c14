"""`make soak`: readers and publishers against nginx + two app servers while Redis misbehaves.

    make soak                     # or: .venv/bin/python tests/benchmarks/soak.py
    SOAK_SECONDS=600 make soak    # longer

Everything runs on 127.0.0.1 and is stopped by PID at the end:

- a PostgreSQL database of its own (dropped and created again: only a name containing
  "soak"), filled with SOAK_MONOGRAPHS monographs through ``import_monographs``;
- a Redis server of its own (own port and folder, RDB snapshots), the app servers' cache;
- two gunicorn app servers (2 workers each, ``DJANGO_DEBUG=0``) on that database and Redis;
- nginx in front of both, with deploy/nginx's http settings and locations.

For SOAK_SECONDS (default 180):

- readers (SOAK_READERS threads) ask for monograph pages through nginx, mostly the few
  "hot" monographs the publisher changes, and now and then the home page and a search;
- a publisher process publishes a new version of a hot monograph every ~1.5 s through the
  real workflow (``workflow.save_draft`` by an editor, ``submit``, ``approve`` by a
  moderator), and every fourth one by ``manage.py import_monographs`` of one file (a
  process that exits as soon as it has published). Each version writes a marker
  ``SOAKVER-<n>`` into four sections of the page; the publisher logs the time each
  publication committed;
- at fixed points: a Redis snapshot is kept, Redis is frozen (SIGSTOP for 3 s), killed and
  restarted empty, one app server is restarted, and Redis is restarted from the old
  snapshot (old stamps, old pages).

Reported: requests, 5xx, connection errors, torn pages (markers of two versions in one
page), stale reads (a read that started more than 1 s after a publication committed and
still shows an older version), lost publications (committed but not what the site shows at
the end, or missing from the database). Exit status 1 when any of them is not zero.

Environment (defaults in brackets): SOAK_DATABASE_URL
[postgres://postgres@127.0.0.1:5432/medsite_soak], SOAK_PORT [8780: nginx; +1, +2 the app
servers; +3 Redis], SOAK_SECONDS [180], SOAK_READERS [6], SOAK_MONOGRAPHS [40], SOAK_HOT [5].
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

DATABASE_URL = os.environ.get(
    "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medsite_soak"
)
PORT = int(os.environ.get("SOAK_PORT", "8780"))
APP_PORTS = [PORT + 1, PORT + 2]
REDIS_PORT = PORT + 3
SECONDS = float(os.environ.get("SOAK_SECONDS", "180"))
READERS = int(os.environ.get("SOAK_READERS", "6"))
MONOGRAPHS = int(os.environ.get("SOAK_MONOGRAPHS", "40"))
HOT = int(os.environ.get("SOAK_HOT", "5"))
STALE_AFTER = 1.0
MARKER = re.compile(r"SOAKVER-(\d+)")
SECTIONS = ("usage", "dosage", "side_effects", "how_it_works")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def django_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MEDSITE_", "REDIS_URL", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
        DJANGO_SETTINGS_MODULE="medsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="soak-only-secret-key-not-for-production-0123456789",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        MEDSITE_SITE_URL=f"http://127.0.0.1:{PORT}",
        MEDSITE_ALLOW_SELF_APPROVAL="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


# --- processes -------------------------------------------------------------------------------
class Proc:
    """A child process we started, stopped by its PID."""

    def __init__(self, name: str, cmd: list[str], logfile: Path, **kwargs) -> None:
        self.name, self.cmd, self.logfile, self.kwargs = name, cmd, logfile, kwargs
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        out = self.logfile.open("ab")
        self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=out, **self.kwargs)

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def send(self, sig: int) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def wait_http(port: int, path: str = "/robots.txt", limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"nothing answered on port {port} within {limit:.0f} s")


def redis_cli(*args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), *args],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()


class Site:
    def __init__(self, work: Path) -> None:
        self.work = work
        (work / "redis").mkdir()
        (work / "media").mkdir()
        self.redis = Proc(
            "redis",
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
             "--dir", str(work / "redis"), "--dbfilename", "dump.rdb",
             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            work / "redis.log",
        )  # fmt: skip
        self.apps = [
            Proc(
                f"app{i + 1}",
                [
                    GUNICORN,
                    "medsite.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "10",
                    *no_control_socket(),
                ],
                work / f"app{i + 1}.log",
                cwd=ROOT,
                env=django_env(DJANGO_MEDIA_ROOT=str(work / "media")),
            )  # fmt: skip
            for i, port in enumerate(APP_PORTS)
        ]
        self.nginx = Proc(
            "nginx",
            [nginx_binary(), "-p", str(work), "-c", str(write_nginx_conf(work)),
             "-g", "daemon off;"],
            work / "nginx.stderr",
        )  # fmt: skip

    def start(self) -> None:
        self.start_redis()
        for app, port in zip(self.apps, APP_PORTS, strict=True):
            app.start()
            wait_http(port)
        self.nginx.start()
        wait_http(PORT)

    def start_redis(self) -> None:
        self.redis.start()
        deadline = time.monotonic() + 20
        while redis_cli("ping") != "PONG":
            if time.monotonic() > deadline:
                raise SystemExit("the soak's Redis did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.nginx.stop(signal.SIGQUIT)
        for app in self.apps:
            app.stop()
        self.redis.send(signal.SIGCONT)
        self.redis.stop()


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise SystemExit("nginx is not installed (make nginx, as root, installs it).")
    return found


def no_control_socket() -> list[str]:
    help_text = subprocess.run([GUNICORN, "--help"], capture_output=True, text=True).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


def write_nginx_conf(work: Path) -> Path:
    """deploy/nginx's settings and locations, on loopback, in front of the two app servers."""
    for name in ("medsite-http.conf", "medsite-locations.conf"):
        text = (ROOT / "deploy" / "nginx" / name).read_text()
        text = text.replace("/srv/medsite/app/staticfiles/", f"{ROOT}/staticfiles/")
        text = text.replace("/srv/medsite/media/", f"{work}/media/")
        text = text.replace("/var/log/nginx/", f"{work}/")
        (work / name).write_text(text)
    upstreams = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=0;" for port in APP_PORTS
    )  # max_fails=0: a restarting server is tried again at once
    conf = work / "nginx.conf"
    conf.write_text(
        f"worker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/nginx-error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        f"  include {work}/medsite-http.conf;\n"
        f"  upstream medsite_app {{\n{upstreams}\n  }}\n"
        f"  server {{\n    listen 127.0.0.1:{PORT};\n    server_name 127.0.0.1;\n"
        f"    include {work}/medsite-locations.conf;\n  }}\n}}\n"
    )
    return conf


# --- the database ----------------------------------------------------------------------------
def prepare_database(work: Path) -> tuple[list[str], list[str]]:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1].split("?")[0]
    if "soak" not in name:
        raise SystemExit(
            f"SOAK_DATABASE_URL must name a database of the soak's own (*soak*), not {name}"
        )
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    # Set up without the soak's Redis (not started yet): local memory, nothing to invalidate.
    env = django_env(DJANGO_MEDIA_ROOT=str(work / "media"), REDIS_URL="")
    run = dict(cwd=ROOT, env=env, check=True, timeout=600)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], **run)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], **run)
    folder = work / "content"
    sys.path.insert(0, str(HERE))
    from generate_monographs import generate

    files = generate(MONOGRAPHS, folder, seed=20261202)
    for path in files[:HOT]:
        text = path.read_text(encoding="utf-8")
        for heading in ("### Usage\n", "### Dosage\n", "### Side Effects\n", "### How it Works\n"):
            text = text.replace(heading, f"{heading}\nVersion marker SOAKVER-0.\n", 1)
        path.write_text(text, encoding="utf-8")
    subprocess.run(
        [PY, "manage.py", "import_monographs", str(folder)], **run, stdout=subprocess.DEVNULL
    )
    code = """
import django, json
django.setup()
from django.contrib.auth.models import Group, User
from monographs.models import Monograph
for name, group in (("soak-editor", "Editors"), ("soak-moderator", "Moderators")):
    user = User.objects.create_user(
        name, name + "@example.org", "pw", is_staff=True, first_name="Soak", last_name=group
    )
    user.groups.add(Group.objects.get(name=group))
rows = Monograph.objects.select_related("live_revision").order_by("id")
hot = [m.slug for m in rows if "SOAKVER-0" in json.dumps(m.live_revision.content)]
print("SLUGS", json.dumps([hot, [m.slug for m in rows if m.slug not in hot]]))
"""
    out = subprocess.run([PY, "-c", code], **run, capture_output=True, text=True).stdout
    hot, cold = json.loads(out.split("SLUGS", 1)[1])
    if len(hot) != HOT:
        raise SystemExit(f"expected {HOT} monographs with version markers, found {len(hot)}")
    return hot, cold


# --- the publisher ---------------------------------------------------------------------------
PUBLISHER = r"""
import json, os, re, subprocess, sys, time
import django
django.setup()
from django.contrib.auth.models import User
from django.db import transaction
from monographs import sourcefile, workflow
from monographs.models import Monograph

hot = json.loads(os.environ["SOAK_HOT_SLUGS"])
until = float(os.environ["SOAK_UNTIL"])
out = open(os.environ["SOAK_PUBLOG"], "a", buffering=1)
editor = User.objects.get(username="soak-editor")
moderator = User.objects.get(username="soak-moderator")
version = {slug: 0 for slug in hot}
marker = re.compile(r"SOAKVER-\d+")
# The moderator has looked at the clinical changes the review screen lists (if any).
import inspect
checked = ({"clinical_checked": True}
           if "clinical_checked" in inspect.signature(workflow.approve).parameters else {})
sections = ("usage", "dosage", "side_effects", "how_it_works")
n = 0
while time.time() < until:
    slug = hot[n % len(hot)]
    n += 1
    # A fresh number every attempt: a failed attempt may have left a draft with its text.
    v = version[slug] = version[slug] + 1
    m = Monograph.objects.select_related("live_revision").get(slug=slug)
    content = m.live_revision.data
    for key in sections:
        content.section(key).body = marker.sub(f"SOAKVER-{v}", content.section(key).body)
    started = time.time()
    try:
        if n % 4 == 0:
            # A publishing process that exits at once: import_monographs of one file.
            path = os.path.join(os.environ["SOAK_WORK"], f"import-{slug}.md")
            with open(path, "w", encoding="utf-8") as f:
                f.write(sourcefile.write(content))
            done = subprocess.run([sys.executable, "manage.py", "import_monographs", path],
                                  check=True, capture_output=True, text=True, timeout=60)
            if "1 updated" not in done.stdout:
                raise RuntimeError("import did not publish: " + done.stdout[-200:])
            committed, how = time.time(), "import"
        else:
            result = workflow.save_draft(monograph=m, content=content, by=editor,
                                         summary=f"Soak version {v}", based_on=m.latest_revision)
            revision = workflow.submit(revision=result.revision, by=editor)
            stamp = []
            with transaction.atomic():
                # Runs first among the on-commit callbacks: the commit time itself.
                transaction.on_commit(lambda: stamp.append(time.time()))
                workflow.approve(revision=revision, by=moderator,
                                 content_hash=revision.content_hash, **checked)
            committed, how = stamp[0], "workflow"
    except Exception as error:
        out.write(json.dumps({"slug": slug, "version": v, "error": repr(error)[:300],
                              "at": time.time()}) + "\n")
        time.sleep(1)
        continue
    out.write(json.dumps({"slug": slug, "version": v, "committed": committed, "how": how,
                          "took": round(time.time() - started, 3)}) + "\n")
    time.sleep(1.5)
"""


# --- readers ---------------------------------------------------------------------------------
@dataclass
class Reads:
    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: list[tuple] = field(default_factory=list)  # (path, start, end, status, versions)
    conn_errors: list[str] = field(default_factory=list)


def reader(stop: threading.Event, reads: Reads, hot: list[str], cold: list[str], seed: int):
    rng = random.Random(seed)
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.8:
            path = f"/medicines/{rng.choice(hot)}/"
        elif roll < 0.9:
            path = f"/medicines/{rng.choice(cold)}/"
        elif roll < 0.95:
            path = "/"
        else:
            path = "/search/?q=cravings"
        start = time.time()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            conn.close()
        except OSError as error:
            with reads.lock:
                reads.conn_errors.append(f"{path}: {error!r}")
            time.sleep(0.2)
            continue
        versions = sorted({int(v) for v in MARKER.findall(body)})
        with reads.lock:
            reads.rows.append((path, start, time.time(), response.status, versions))


def published_versions(hot: list[str]) -> dict[str, set[int]]:
    """slug -> the marker versions of its revisions that were published (live or since)."""
    code = f"""
import django, json, re
django.setup()
from monographs.models import Revision
out = {{}}
for slug, content in Revision.objects.filter(
    monograph__slug__in={hot!r}, published_at__isnull=False
).values_list("monograph__slug", "content"):
    found = re.findall(r"SOAKVER-(\\d+)", json.dumps(content))
    out.setdefault(slug, []).extend(int(v) for v in found)
print("VERSIONS", json.dumps(out))
"""
    env = django_env(REDIS_URL="")
    out = subprocess.run(
        [PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if "VERSIONS" not in out.stdout:
        raise SystemExit(f"could not read the published versions: {out.stderr[-500:]}")
    return {k: set(v) for k, v in json.loads(out.stdout.split("VERSIONS", 1)[1]).items()}


# --- the run ---------------------------------------------------------------------------------
def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    for tool in ("redis-server", "redis-cli"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (apt-get install redis-server).")
    nginx_binary()
    work = Path(tempfile.mkdtemp(prefix="medsite-soak-"))
    log(f"Working folder {work}; nginx :{PORT}, app servers :{APP_PORTS}, Redis :{REDIS_PORT}")
    hot, cold = prepare_database(work)
    slugs = hot + cold
    site = Site(work)
    publisher = None
    try:
        site.start()
        log(f"{len(slugs)} monographs ({HOT} hot); {READERS} readers for {SECONDS:.0f} s")
        t0 = time.time()
        publog = work / "publications.jsonl"
        publisher = Proc(
            "publisher",
            [PY, "-c", PUBLISHER],
            work / "publisher.log",
            cwd=ROOT,
            env=django_env(
                DJANGO_MEDIA_ROOT=str(work / "media"),
                SOAK_HOT_SLUGS=json.dumps(hot),
                SOAK_UNTIL=str(t0 + SECONDS - 5),
                SOAK_PUBLOG=str(publog),
                SOAK_WORK=str(work),
            ),
        )
        publisher.start()
        reads = Reads()
        stop = threading.Event()
        threads = [
            threading.Thread(target=reader, args=(stop, reads, hot, cold, i), daemon=True)
            for i in range(READERS)
        ]
        for thread in threads:
            thread.start()
        events = chaos(site, t0, work)
        publisher.proc.wait(timeout=SECONDS + 120)  # type: ignore[union-attr]
        time.sleep(max(0.0, t0 + SECONDS - time.time()))
        stop.set()
        for thread in threads:
            thread.join(timeout=40)
        return report(reads, publog, hot, events, t0)
    finally:
        if publisher:
            publisher.stop()
        site.stop()
        log(f"Stopped everything; logs in {work}")


def chaos(site: Site, t0: float, work: Path) -> list[str]:
    """Redis snapshot, freeze, kill + empty restart, app restart, old-snapshot restore."""
    events: list[str] = []

    def at(fraction: float) -> None:
        time.sleep(max(0.0, t0 + SECONDS * fraction - time.time()))

    def note(text: str) -> None:
        events.append(f"{time.time() - t0:6.1f} s  {text}")
        log(text)

    def thread() -> None:
        at(0.12)
        redis_cli("save")
        shutil.copy(work / "redis" / "dump.rdb", work / "old.rdb")
        note(f"Redis snapshot kept ({redis_cli('dbsize')} keys)")
        at(0.25)
        site.redis.send(signal.SIGSTOP)
        note("Redis frozen (SIGSTOP)")
        time.sleep(3)
        site.redis.send(signal.SIGCONT)
        note("Redis thawed (SIGCONT) after 3 s")
        at(0.40)
        site.redis.stop(signal.SIGKILL)
        (work / "redis" / "dump.rdb").unlink(missing_ok=True)
        note("Redis killed (SIGKILL)")
        time.sleep(2)
        site.start_redis()
        note(f"Redis restarted empty ({redis_cli('dbsize')} keys)")
        at(0.55)
        site.apps[0].stop()
        note("app server 1 stopped (SIGTERM)")
        time.sleep(1)
        site.apps[0].start()
        wait_http(APP_PORTS[0])
        note("app server 1 started again")
        at(0.70)
        site.redis.stop(signal.SIGKILL)
        shutil.copy(work / "old.rdb", work / "redis" / "dump.rdb")
        site.start_redis()
        note(f"Redis restarted from the old snapshot ({redis_cli('dbsize')} keys)")

    worker = threading.Thread(target=thread, daemon=True)
    worker.start()
    return events


def report(reads: Reads, publog: Path, hot: list[str], events: list[str], t0: float) -> int:
    event_times = [(float(e.split(" s ", 1)[0]), e.split(" s ", 1)[1].strip()) for e in events]
    pubs = [json.loads(line) for line in publog.read_text().splitlines() if line.strip()]
    done = [p for p in pubs if "committed" in p]
    failed = [p for p in pubs if "error" in p]
    commits: dict[str, list[tuple[float, int]]] = {s: [(0.0, 0)] for s in hot}
    for p in done:
        commits[p["slug"]].append((p["committed"], p["version"]))
    for s in commits:
        commits[s].sort()

    def due(slug: str, at: float) -> int:
        """The newest version committed more than STALE_AFTER before ``at``."""
        newest = 0
        for committed, version in commits[slug]:
            if committed <= at - STALE_AFTER:
                newest = max(newest, version)
        return newest

    rows = reads.rows
    server_errors = [r for r in rows if r[3] >= 500]
    torn = [r for r in rows if len(r[4]) > 1]
    stale: list[tuple] = []
    worst = 0.0
    for path, start, _end, status, versions in rows:
        slug = path.strip("/").split("/")[-1]
        if status != 200 or slug not in commits or not versions:
            continue
        wanted = due(slug, start)
        if max(versions) < wanted:
            newer = [c for c, v in commits[slug] if v > max(versions)]
            late = start - min(newer)
            worst = max(worst, late)
            stale.append((path, start - t0, max(versions), wanted, late))
    # At the end (publisher stopped, STALE_AFTER passed) every server shows the last version.
    time.sleep(STALE_AFTER + 0.5)
    last = {s: max(v for _, v in commits[s]) for s in hot}
    at_end = []
    for slug in hot:
        for _ in range(4):  # every app server and worker, via nginx's round robin
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            conn.request("GET", f"/medicines/{slug}/")
            body = conn.getresponse().read().decode("utf-8", "replace")
            shown = sorted({int(v) for v in MARKER.findall(body)})
            if shown != [last[slug]]:
                at_end.append(f"{slug}: shows {shown} at the end, last published {last[slug]}")
                break
    # Lost: a publication the publisher saw commit that the database does not hold.
    in_db = published_versions(hot)
    lost = [
        f"{p['slug']} version {p['version']} ({p['how']}) is not in the database"
        for p in done
        if p["version"] not in in_db.get(p["slug"], set())
    ]
    statuses: dict[int, int] = {}
    for r in rows:
        statuses[r[3]] = statuses.get(r[3], 0) + 1
    print("\nEvents:")
    for line in events:
        print("  " + line)
    print(
        f"\nSoak of {SECONDS:.0f} s: {len(rows)} requests through nginx "
        f"({len(rows) / SECONDS:.0f}/s; statuses {dict(sorted(statuses.items()))}), "
        f"{len(done)} publications ({sum(p['how'] == 'import' for p in done)} by "
        f"import_monographs), {len(failed)} publisher errors.\n"
    )
    figures = [
        ("5xx responses", len(server_errors)),
        ("connection errors", len(reads.conn_errors)),
        ("torn pages (two versions in one page)", len(torn)),
        (f"stale reads beyond {STALE_AFTER:.0f} s", len(stale) + len(at_end)),
        ("lost publications", len(lost)),
        ("publisher errors", len(failed)),
    ]
    for label, value in figures:
        print(f"  {label:<42}{value:>6}")
    if at_end:
        print(f"  ({len(at_end)} of the stale reads are the final check: pages never updated)")
    if stale:
        phases: dict[str, int] = {}
        for _path, at, *_rest in stale:
            before = [e for e in event_times if e[0] <= at]
            label = before[-1][1] if before else "before any fault"
            phases[label] = phases.get(label, 0) + 1
        print("  stale reads by the last fault before them:")
        for label, count in phases.items():
            print(f"    {count:>5}  after: {label}")
        print(f"  worst staleness: {worst:.1f} s after the commit; first ones:")
        for path, at, seen, wanted, late in stale[:8]:
            print(f"    {at:6.1f} s {path} showed {seen}, {wanted} was due ({late:.1f} s late)")
    for row in (server_errors + torn)[:8]:
        print(f"    {row[1] - t0:6.1f} s {row[0]} status {row[3]} versions {row[4]}")
    for line in (reads.conn_errors + at_end + lost)[:8]:
        print("    " + line)
    for p in failed[:5]:
        print(f"    publisher error: {p}")
    return 1 if any(value for _, value in figures) else 0


if __name__ == "__main__":
    sys.exit(main())

"""No app server serves an old page 1 s after a publication, whatever the cache does.

Real processes: gunicorn app servers (several workers) on a SQLite file, and a publishing
process that runs the real workflow and exits as soon as it has committed, as
``import_monographs`` or a moderator's request does. The cases of issue 10:

- the local-memory cache (the zero-setup default) with three workers: each worker cached
  the old page, each serves the new one after the publication, and none lists a withdrawn
  monograph;
- Redis shared by the servers: the publisher's cache failing (it never needs it), Redis
  brought back from an older copy of its contents (old entries written back), Redis
  emptied, and a server whose Redis does not answer at all.

Redis: the database given by MEDSITE_TEST_REDIS_URL (redis://127.0.0.1:6379/15 by default),
under a key prefix of the test's own; skipped when no Redis answers, except under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.workflow_helpers import ROOT, sqlite_site_env

REDIS_URL = os.environ.get("MEDSITE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Ports for the servers of these tests: MEDSITE_TEST_PORT_BASE .. +9 when set (the last one
# left closed, as a Redis that is down), else free ports the system hands out.
PORT_BASE = int(os.environ.get("MEDSITE_TEST_PORT_BASE", "0"))


def port(offset: int) -> int:
    if PORT_BASE:
        return PORT_BASE + offset
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BOUND = 1.0  # seconds: the coherence promise

PUBLISH = r"""
import sys
import django

django.setup()
from django.contrib.auth.models import Group, User
from monographs import workflow
from monographs.models import Monograph
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content


def user(name, group):
    account, created = User.objects.get_or_create(
        username=name,
        defaults={
            "is_staff": True,
            "email": f"{name}@example.org",
            "first_name": name,
            "last_name": "Tester",
        },
    )
    if created:
        account.groups.add(Group.objects.get(name=group))
    return account


editor, moderator = user("editor1", "Editors"), user("moderator1", "Moderators")
action, title, usage = sys.argv[1:4]
content = edited(sample_content(title), usage=usage)
monograph = Monograph.objects.filter(title=title).first()
if action == "publish" and monograph is None:
    publish_new(content, editor=editor, moderator=moderator)
elif action == "publish":
    edit_and_publish(monograph, content, editor=editor, moderator=moderator)
elif action == "withdraw":
    workflow.withdraw(monograph=monograph, by=moderator, reason="Safety review")
# and exit at once: nothing is left to do after the commit
"""


def publish(database: Path, action: str, title: str, usage: str = "", **env: str) -> None:
    subprocess.run(
        [sys.executable, "-c", PUBLISH, action, title, usage],
        cwd=ROOT,
        env=sqlite_site_env(database, **env),
        check=True,
        timeout=120,
        capture_output=True,
    )


class Server:
    """gunicorn with ``workers`` workers on the SQLite file, on a port of this test run."""

    def __init__(self, database: Path, port: int, workers: int, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "medsite.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=sqlite_site_env(
                database, MEDSITE_VERSION_POLL_SECONDS="0.5", DJANGO_LOG_LEVEL="WARNING", **env
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start on port {port}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def pages(self, path: str, times: int = 30) -> list[tuple[int, str]]:
        return [self.get(path) for _ in range(times)]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def database(migrated_sqlite, tmp_path) -> Path:
    copy = tmp_path / "site.sqlite3"
    shutil.copy(migrated_sqlite, copy)
    return copy


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(*args, **kwargs) -> Server:
        server = Server(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def texts(pages: list[tuple[int, str]], *candidates: str) -> set[str]:
    """Which of the candidate texts the pages showed (and "410" for Gone)."""
    seen = set()
    for status, body in pages:
        if status == 410:
            seen.add("410")
        seen.update(text for text in candidates if text in body)
    return seen


def test_local_memory_with_three_workers_shows_each_publication_within_the_bound(database, servers):
    publish(database, "publish", "Coherol", "First text.")
    server = servers(database, port(1), workers=3)
    path = "/medicines/coherol/"
    # Every worker caches the first version in its own memory.
    assert texts(server.pages(path), "First text.", "Second text.") == {"First text."}
    assert "Coherol" in server.get("/")[1]

    publish(database, "publish", "Coherol", "Second text.")  # another process, exits at once
    time.sleep(BOUND)
    assert texts(server.pages(path), "First text.", "Second text.") == {"Second text."}

    publish(database, "withdraw", "Coherol")
    time.sleep(BOUND)
    assert texts(server.pages(path), "First text.", "Second text.") == {"410"}
    assert all("Coherol" not in body for _, body in server.pages("/", 12))


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        if os.environ.get("CI"):
            pytest.fail(f"No Redis at {REDIS_URL}; CI machines run one on 127.0.0.1:6379.")
        pytest.skip(f"No Redis at {REDIS_URL}")


def test_redis_failing_restored_from_an_old_copy_or_emptied_never_hides_a_publication(
    database, servers
):
    client = _redis()
    prefix = f"medsite-coherence-{uuid.uuid4().hex}"
    shared = {"REDIS_URL": REDIS_URL, "DJANGO_CACHE_PREFIX": prefix}
    down = {"REDIS_URL": f"redis://127.0.0.1:{port(9)}/0"}  # nothing listens there
    path = "/medicines/redisol/"
    candidates = ("Version one.", "Version two.", "Version three.")
    try:
        publish(database, "publish", "Redisol", "Version one.", **shared)
        server = servers(database, port(2), workers=2, **shared)
        assert texts(server.pages(path, 12), *candidates) == {"Version one."}
        assert "Redisol" in server.get("/")[1]
        old_copy = {
            key: client.dump(key) for key in client.scan_iter(match=f"{prefix}:*") if b"page" in key
        }
        assert old_copy, "the pages were cached in Redis"

        # The publisher's Redis fails before, during and after its commit: it never needs it.
        publish(database, "publish", "Redisol", "Version two.", **down)
        time.sleep(BOUND)
        assert texts(server.pages(path, 12), *candidates) == {"Version two."}

        # Redis comes back from an older snapshot: the old entries are there again.
        for key, value in old_copy.items():
            client.restore(key, 0, value, replace=True)
        assert texts(server.pages(path, 12), *candidates) == {"Version two."}
        assert all("Version one." not in body for _, body in server.pages("/", 6))

        # Redis restarted empty.
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        publish(database, "publish", "Redisol", "Version three.", **shared)
        time.sleep(BOUND)
        assert texts(server.pages(path, 12), *candidates) == {"Version three."}

        # A server whose Redis does not answer serves the current page from the database.
        lonely = servers(database, port(3), workers=1, **down)
        assert texts(lonely.pages(path, 4), *candidates) == {"Version three."}
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)

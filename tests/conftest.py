"""Shared fixtures: the demo roles, the seed file, the realistic monographs imported.
Fixtures used by one test module live in it; builders and helpers in tests/workflow_helpers.py."""

from __future__ import annotations

import importlib
import re

import pytest
from django.contrib.auth.models import Group

from tests.workflow_helpers import QA_FILES, QA_SOURCES, SEED_PATH, run


def ensure_groups() -> None:
    """Recreate the Editors/Moderators groups: transactional tests flush migration data."""
    from django.apps import apps

    migration = importlib.import_module("monographs.migrations.0002_editors_and_moderators_groups")
    migration.create_groups(apps, None)


def _make_user(django_user_model, username: str, group: str | None = None, **extra):
    if group and not Group.objects.filter(name=group).exists():
        ensure_groups()
    user = django_user_model.objects.create_user(
        username=username,
        password="pw-" + username,
        email=f"{username}@example.org",
        first_name=username.capitalize(),
        last_name="Tester",
        is_staff=True,
        **extra,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return _make_user(django_user_model, "editor1", "Editors")


@pytest.fixture
def editor2(django_user_model):
    return _make_user(django_user_model, "editor2", "Editors")


@pytest.fixture
def moderator(django_user_model):
    return _make_user(django_user_model, "moderator1", "Moderators")


@pytest.fixture
def moderator2(django_user_model):
    return _make_user(django_user_model, "moderator2", "Moderators")


@pytest.fixture
def superuser(django_user_model):
    return _make_user(django_user_model, "root1", None, is_superuser=True)


@pytest.fixture
def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Run a workflow action and its on-commit callbacks (mail, cache invalidation) as a
    real commit would: ``committing(workflow.approve, revision=..., ...)``."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def imported(db) -> dict:
    """The realistic monographs of tests/fixtures/sources/qa, imported: {file name: Monograph}."""
    from django.core.cache import cache

    from monographs.models import Monograph

    cache.clear()
    outcome = run("import_monographs", str(QA_SOURCES))
    assert outcome.status == 0, outcome.stderr
    return {
        path.name: Monograph.objects.get(
            slug=re.search(rf"created (\S+) \({re.escape(str(path))}\)", outcome.stdout)[1]
        )
        for path in QA_FILES
    }


@pytest.fixture(autouse=True)
def _fresh_page_cache_state():
    """Each test starts with an empty page cache and a process that knows no page versions
    (a rolled-back test's versions must not leak into the next). The version poll is off in
    tests (settings_test); a commit through ``committing`` refreshes it."""
    from django.core.cache import cache

    from monographs import caching

    caching.reset_process_state(loaded=True)
    cache.clear()
    yield
    caching.reset_process_state(loaded=True)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite database file (copy it before use) for tests that run the site in
    child processes, as a server does, instead of on pytest-django's in-memory database."""
    import subprocess
    import sys

    from tests.workflow_helpers import ROOT, sqlite_site_env

    database = tmp_path_factory.mktemp("sqlite") / "migrated.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=sqlite_site_env(database),
        check=True,
        timeout=600,
    )
    return database

"""Shared fixtures: the demo roles, the seed file. Area-specific fixtures live in their
own test modules (or tests/<area>_helpers.py)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "content" / "naltrexone.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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

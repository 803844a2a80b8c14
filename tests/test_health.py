"""/healthz and /readyz for load balancers: never cached; /readyz fails when the database,
the migrations or the cache fail."""

from __future__ import annotations

import pytest
from django.core.cache.backends.base import BaseCache
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor

from medsite import health

pytestmark = pytest.mark.django_db


class DownCache(BaseCache):
    """A cache whose server does not answer."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)

    def _fail(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = set = add = delete = get_many = set_many = clear = _fail


@pytest.fixture(autouse=True)
def migrations_not_yet_checked(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)


def assert_never_cached(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "ETag" not in response


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert_never_cached(response)


def test_readyz_is_ready_when_database_migrations_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "migrations": "ok", "cache": "ok"}
    assert_never_cached(response)


def test_readyz_fails_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "OperationalError"
    assert response.json()["migrations"] == "skipped"
    assert_never_cached(response)


def test_readyz_fails_when_the_cache_is_down(client, settings):
    settings.CACHES = {"default": {"BACKEND": "tests.test_health.DownCache"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "migrations": "ok", "cache": "ConnectionError"}


def test_readyz_fails_while_a_migration_is_not_applied(client, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "RuntimeError"


def test_a_failing_probe_is_not_mailed_to_the_admins(client, settings, mailoutbox):
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.CACHES = {"default": {"BACKEND": "tests.test_health.DownCache"}}
    assert client.get("/readyz").status_code == 503
    assert mailoutbox == []  # a balancer probes every few seconds: no mail per probe

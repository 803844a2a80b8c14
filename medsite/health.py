"""Health checks for load balancers and process supervisors; never cached.

- ``/healthz``: the process is up and answers (no database, no cache): restart it if not.
- ``/readyz``: the database answers, every migration is applied, and the cache answers:
  send it traffic. 503 with what failed otherwise (a JSON object of check -> "ok" or the
  error's type), so a balancer takes the server out of rotation and an operator sees why.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import caches
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Once every migration is applied it stays so for the life of the process (new migrations
# come with new code, hence a new process): checked until it first succeeds.
_migrated = False


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _migrations() -> None:
    global _migrated
    if _migrated:
        return
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")
    _migrated = True


def _cache() -> None:
    cache = caches["default"]
    key, value = f"medsite:readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


CHECKS = {"database": _database, "migrations": _migrations, "cache": _cache}


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "skipped"
            continue
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            logger.warning("readyz: %s failed: %r", name, error)
            results[name] = type(error).__name__
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    response = JsonResponse(results, status=200 if ready else 503)
    # Logged above as a warning; not as a server error mailed to ADMINS on every probe.
    response._has_been_logged = True
    return response

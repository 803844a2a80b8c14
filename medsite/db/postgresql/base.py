"""Django's PostgreSQL backend, checking a persistent connection only after it sat idle.

With ``CONN_HEALTH_CHECKS``, Django runs ``SELECT 1`` before the first query of *every*
request that uses the database. Under load that is a second round trip on each page-cache
miss of a monograph page (measured: about a third of the miss's CPU beyond a cache hit,
docs/performance.md). Here a connection that answered a request within
``MEDSITE_DB_CHECK_IDLE_SECONDS`` (1 s) is taken as alive; one idle for longer (the case
of a database restarted or failed over while this worker was quiet) is checked first, as
Django does. What that gives up: a database restart *while* the worker is busy fails its
next query once (that request answers 500; Django then drops the connection and the next
request connects again), in the same moment as the restart fails the queries in flight.

``prepared_cursor()``: a cursor whose statements PostgreSQL parses and plans once per
connection (server-side binding, ``prepare=True``), for the few fixed statements on the
public site's hot path (``stored_pages.lookup``): it saves about half of such a query's
client CPU (Django's client-side binding formats every statement in Python) and the
server's planning. It goes through Django's cursor wrapper, so query logging, counting and
``execute_wrapper`` see it. (Behind PgBouncer, prepared statements need its
``max_prepared_statements``, PgBouncer 1.21 or newer.)

Selected by the settings for every ``postgres://`` ``DATABASE_URL``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base


class PreparedCursor(psycopg.Cursor):
    """Server-side binding; every statement prepared on its first execution."""

    def execute(self, query: Any, params: Any = None, *, prepare: Any = None, **kw: Any) -> Any:
        return super().execute(query, params, prepare=True, **kw)


class DatabaseOperations(base.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: Any, params: Any) -> Any:
        if isinstance(cursor, PreparedCursor):  # for the query log: the statement, composed
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answered_at = -math.inf  # monotonic time of the last request it served
        self._used = False  # a cursor was opened during the current request
        self._prepared = False  # the next cursor is a PreparedCursor

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if connection.prepare_threshold is None:
            # Django's default (None) disables preparing altogether; this keeps automatic
            # preparing off and lets PreparedCursor ask for it.
            connection.prepare_threshold = 2**31 - 1
        return connection

    def prepared_cursor(self) -> Any:
        """Like ``cursor()``, with statements prepared once per connection."""
        self._prepared = True
        try:
            return self.cursor()
        finally:
            self._prepared = False

    def create_cursor(self, name: Any = None) -> Any:
        self._used = True
        if name is not None or not self._prepared:
            return super().create_cursor(name)
        cursor = PreparedCursor(self.connection)
        # As Django's create_cursor: the cursor's time zone when the connection's differs.
        loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
        if self.timezone != loader.timezone:
            base.register_tzloader(self.timezone, cursor)
        return cursor

    def close_if_health_check_failed(self) -> None:
        idle = time.monotonic() - self._answered_at
        if (
            self.connection is not None
            and getattr(self, "health_check_enabled", False)
            and not self.health_check_done
            and idle < settings.MEDSITE_DB_CHECK_IDLE_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as each request starts and ends: a request that used the connection
        # without a database error proves it was alive then.
        if self.connection is not None and self._used and not self.errors_occurred:
            self._answered_at = time.monotonic()
        self._used = False
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            self._answered_at = -math.inf

"""medsite/db/postgresql: a persistent connection is health-checked only after it sat idle."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    # Outside a test transaction: Django drops a connection left inside one at request end.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


class Checks:
    """Counts Django's health checks (``is_usable``) on the connection."""

    def __init__(self, monkeypatch):
        self.count = 0
        real = connection.is_usable

        def counted():
            self.count += 1
            return real()

        monkeypatch.setattr(connection, "is_usable", counted)


def request_using_the_database() -> None:
    """What Django does around a request that runs a query."""
    connection.close_if_unusable_or_obsolete()  # request_started
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close_if_unusable_or_obsolete()  # request_finished


def test_a_connection_busy_within_the_idle_limit_is_not_checked(monkeypatch, settings):
    settings.MEDSITE_DB_CHECK_IDLE_SECONDS = 60
    connection.ensure_connection()
    checks = Checks(monkeypatch)
    request_using_the_database()  # after the test setup: idle time unknown, so checked
    first = checks.count
    for _ in range(5):
        request_using_the_database()
    assert checks.count == first  # it answered a moment ago each time


def test_a_connection_idle_past_the_limit_is_checked_first(monkeypatch, settings):
    settings.MEDSITE_DB_CHECK_IDLE_SECONDS = 0  # every gap is "too long"
    connection.ensure_connection()
    checks = Checks(monkeypatch)
    for _ in range(3):
        request_using_the_database()
    assert checks.count == 3  # once per request, as Django does


def test_requests_that_did_not_use_it_do_not_count_as_answers(monkeypatch, settings):
    settings.MEDSITE_DB_CHECK_IDLE_SECONDS = 60
    connection.ensure_connection()
    request_using_the_database()
    connection._answered_at -= 120  # the last query was two minutes ago
    for _ in range(3):  # cache hits: the connection sits unused
        connection.close_if_unusable_or_obsolete()
        connection.close_if_unusable_or_obsolete()
    checks = Checks(monkeypatch)
    request_using_the_database()
    assert checks.count == 1


def test_a_prepared_cursor_is_prepared_once_and_seen_by_django(django_assert_num_queries):
    """stored_pages.lookup's cursor: PostgreSQL prepares its statement on the first use,
    and Django's query capture still counts and shows it."""
    with django_assert_num_queries(3) as captured:
        for slug in ("a", "b", "c"):
            with connection.prepared_cursor() as cursor:
                cursor.execute("SELECT %s::text || 'x'", [slug])
                assert cursor.fetchone() == (f"{slug}x",)
    assert captured.captured_queries[-1]["sql"] == "SELECT 'c'::text || 'x'"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%|| 'x'%"]
        )
        assert cursor.fetchone() == (1,)

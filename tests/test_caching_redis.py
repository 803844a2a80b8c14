"""The page cache shared through Redis (REDIS_URL): what one app server invalidates, every
other app server sharing that Redis sees on its next request.

Runs against the Redis on 127.0.0.1:6379 (database 15, a key prefix of its own); skipped
when no Redis answers, except under CI=true where that is an error.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from medsite.cache import RedisCache
from monographs import caching
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("MEDSITE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


@pytest.fixture
def redis_cache_settings(settings):
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail(f"No Redis at {REDIS_URL}; CI machines run one on 127.0.0.1:6379.")
        pytest.skip(f"No Redis at {REDIS_URL}")
    prefix = f"medsite-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "medsite.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield {"LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    # Only this test's keys: clear() would flush the whole Redis database, which other
    # checkouts on the same machine may be using.
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for name in client.scan_iter(match=f"{prefix}:*"):
        client.delete(name)


def other_app_server(params: dict) -> RedisCache:
    """A cache client of its own, as a second app server would have."""
    return RedisCache(params["LOCATION"], {"KEY_PREFIX": params["KEY_PREFIX"]})


def test_a_publish_on_one_server_reaches_every_server_sharing_redis(
    client, editor, moderator, redis_cache_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        monograph = publish_new(sample_content("Redisol"), editor=editor, moderator=moderator)
    url = monograph.get_absolute_url()
    first = client.get(url)
    assert "Redisol is used to treat" in first.content.decode()
    assert first.page_cache == "stored"  # the monograph page: its stored copy, not Redis
    assert client.get("/").status_code == 200

    server_b = other_app_server(redis_cache_settings)
    client_b = server_b._cache.get_client()
    stored = [k for k in client_b.scan_iter(match=f"{redis_cache_settings['KEY_PREFIX']}:*")]
    scopes = {m[1] for key in stored if (m := re.search(rb":page:[0-9a-f]+:([sm])\d+:", key))}
    assert scopes == {b"s"}  # the home page is kept in Redis, the monograph page is not

    with django_capture_on_commit_callbacks(execute=True):
        edit_and_publish(
            monograph,
            edited(sample_content("Redisol"), usage="Shared cache text."),
            editor=editor,
            moderator=moderator,
            summary="New usage",
        )

    # The new version is in the database: a server sharing Redis (or not) builds the new key.
    caching.reset_process_state()  # as a second app server starting now
    second = client.get(url)
    assert "Shared cache text." in second.content.decode()
    assert second["ETag"] != first["ETag"]


def test_the_backend_reuses_one_redis_client_per_pool(redis_cache_settings):
    """medsite.cache: Django builds a redis.Redis per operation; ours keeps one per pool,
    and the operations the page cache uses still work through it."""
    from django.core.cache import cache

    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.set_many({"a": {"content": b"x"}, "b": 2}, timeout=30)
    assert cache.get("a") == {"content": b"x"}
    assert cache.add("lock", 1, timeout=2) and not cache.add("lock", 1, timeout=2)
    assert cache.incr("b") == 3
    cache.delete_many(["a", "b", "lock"])
    assert cache.get_many(["a", "b"]) == {}


def test_with_redis_a_monograph_page_miss_is_one_query_and_no_redis_call(
    client, editor, moderator, redis_cache_settings, monkeypatch, django_assert_num_queries
):
    """The stored page comes before Redis and is not copied there: one round trip."""
    from django.core.cache import cache

    from tests.test_caching import CountingCache

    monograph = publish_new(sample_content("Redisol"), editor=editor, moderator=moderator)
    caching.reset_process_state()
    caching._versions.refresh(force=True)  # the versions as after the process's poll
    counting = CountingCache(cache)
    monkeypatch.setattr(caching, "_cache", lambda: counting)
    with django_assert_num_queries(1):
        response = client.get(monograph.get_absolute_url())
    assert response.status_code == 200 and response.page_cache == "stored"
    assert counting.calls == []
    with django_assert_num_queries(0):  # then this process's copy
        assert client.get(monograph.get_absolute_url()).page_cache == "memory"

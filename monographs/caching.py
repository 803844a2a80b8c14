"""Public page caching: HTTP validators and a server-side page cache with versioned keys.

Every cached page's key holds a *version stamp* that lives in the cache itself
(``caches["default"]``: local memory, or Redis shared by every app server). Changing what
the public sees never deletes pages; it bumps a stamp, so the next request on any server
builds a new key and renders afresh, and the old entries simply expire.

- the site stamp covers pages that list monographs (home, A to Z, search, sitemap);
- each monograph's stamp covers its page and its history.

``invalidate_monograph(monograph)`` bumps both; ``workflow.py`` calls it on commit after
every publish, withdraw, restore, revert or review-date change.

A stamp is a nanosecond time, so it is also the "content changed" time sent as
``Last-Modified``. A stamp missing from the cache (cold start, eviction) is recreated as
"now": that can only make pages look newer than they are, never serve a stale one.

The key is read *before* the view runs: a request that renders old data while a publish
commits stores it under the old stamp, which nobody reads any more.

The cache is an accelerator, never a dependency: when it fails (Redis restarted, network
down, full), pages are rendered from the database with the same headers, a warning is
logged, and the cache is left alone for ``MEDSITE_CACHE_RETRY_SECONDS`` so a Redis that
hangs does not add its timeout to every request. A stamp bump that failed is kept in the
process and retried as soon as the cache answers again, so a publish made during the outage
is not hidden behind pages cached before it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

SITE_STAMP_KEY = "medsite:stamp:site"
# Part of every page key: bumped by invalidate_all() (every public page re-renders).
ALL_STAMP_KEY = "medsite:stamp:all"
# Bump when templates or page code change what a cached page looks like.
PAGE_SCHEMA = 3

View = Callable[..., HttpResponse]


logger = logging.getLogger(__name__)


def _cache() -> Any:
    return caches["default"]


class CacheUnavailable(Exception):
    """The cache failed, or failed recently: render without it."""


_lock = threading.Lock()
# monotonic() time before which the cache is not tried again (per process).
_retry_after = 0.0
# Stamps whose bump failed: bumped again when the cache next answers.
_pending_bumps: set[str] = set()


def _retry_seconds() -> float:
    return float(getattr(settings, "MEDSITE_CACHE_RETRY_SECONDS", 30))


def _cache_call(func: Callable[[Any], Any]) -> Any:
    """Run ``func(cache)``; any failure of the cache becomes ``CacheUnavailable``.

    Catches every exception on purpose: each backend raises its own (redis.ConnectionError,
    TimeoutError, pickling errors, OSError), and none of them may take a page down.
    """
    global _retry_after
    if time.monotonic() < _retry_after:
        raise CacheUnavailable("cache skipped after a recent failure")
    try:
        cache = _cache()
        if _pending_bumps:
            # Before anything is read: a page cached before the missed bump must not be served.
            _flush_pending_bumps(cache)
        return func(cache)
    except Exception as error:  # noqa: BLE001 - see the docstring
        with _lock:
            _retry_after = time.monotonic() + _retry_seconds()
        logger.warning("Page cache unavailable, serving without it: %r", error)
        raise CacheUnavailable(str(error)) from error


def _flush_pending_bumps(cache: Any) -> None:
    with _lock:
        keys = list(_pending_bumps)
    for key in keys:
        _bump_now(cache, key)  # a failure leaves the rest pending
        with _lock:
            _pending_bumps.discard(key)


def _monograph_stamp_key(slug: str) -> str:
    return f"medsite:stamp:monograph:{slug}"


def _page_cache_seconds() -> int:
    return int(getattr(settings, "MEDSITE_PAGE_CACHE_SECONDS", 3600))


def _get_stamps(keys: list[str]) -> dict[str, int]:
    def read(cache: Any) -> dict[str, int]:
        found = cache.get_many(keys)
        for key in keys:
            if key not in found:
                now = time.time_ns()
                # add() is atomic: when two servers race, both end up with the winner's stamp.
                cache.add(key, now, timeout=None)
                found[key] = cache.get(key, now)
        return found

    return _cache_call(read)


def _bump_now(cache: Any, key: str) -> None:
    # Never move backwards (app servers' clocks differ): a stamp only grows.
    cache.set(key, max(time.time_ns(), (cache.get(key) or 0) + 1), timeout=None)


def _bump(key: str) -> None:
    try:
        _cache_call(lambda cache: _bump_now(cache, key))
    except CacheUnavailable:
        # The publish has happened; the pages cached before it must not come back with
        # the cache. Bumped on this process's next successful contact with the cache.
        with _lock:
            _pending_bumps.add(key)
        logger.error("Could not invalidate %s: the cache is down; will retry.", key)


def site_stamp() -> int:
    """The site-wide "content changed" stamp (ns since the epoch)."""
    return _get_stamps([SITE_STAMP_KEY])[SITE_STAMP_KEY]


def site_generation() -> int:
    """A number that changes whenever any public listing may change (cheap to call).

    Search keys its own result cache and in-process name index on it. Never raises: with
    the cache down it changes every second, so nothing keyed on it stays old.
    """
    try:
        stamps = _get_stamps([SITE_STAMP_KEY, ALL_STAMP_KEY])
    except CacheUnavailable:
        return time.time_ns() // 1_000_000_000
    return max(stamps.values())


def invalidate_monograph(monograph: Any) -> None:
    """Make every app server re-render this monograph's pages and the site-wide lists."""
    _bump(_monograph_stamp_key(monograph.slug))
    _bump(SITE_STAMP_KEY)


def invalidate_all() -> None:
    """Make every public page re-render on every app server (``rebuild_published``)."""
    _bump(ALL_STAMP_KEY)
    _bump(SITE_STAMP_KEY)


def _page_key(
    request: HttpRequest,
    stamp: int,
    with_query: bool,
    key: Callable[[HttpRequest], str] | None = None,
) -> str:
    if key is not None:
        path = f"{request.path}?{key(request)}"
    else:
        path = request.get_full_path() if with_query else request.path
    # GET and HEAD share the entry: a HEAD response is the GET one without its body (the
    # server drops it), so link checkers and crawlers' HEADs cost no render of their own.
    digest = hashlib.sha256(f"GET:{path}".encode()).hexdigest()
    return f"medsite:page:{PAGE_SCHEMA}:{stamp}:{digest}"


def public_page(
    scope: str = "site",
    *,
    with_query: bool = False,
    key: Callable[[HttpRequest], str] | None = None,
) -> Callable[[View], View]:
    """Cache a public GET view's 200 responses and answer conditional GETs with 304.

    ``scope="site"`` keys the page on the site stamp; ``scope="monograph"`` on the stamp of
    the monograph named by the view's ``slug`` argument. ``with_query`` keys on the query
    string too (search results); ``key(request)``, when given, replaces the query string in
    the key (e.g. a normalised search query, so equivalent queries share one entry).
    Other statuses (404, 410) pass through uncached.

    The view must render the same page for every visitor (no per-user content), since the
    page is shared by all of them and marked ``Cache-Control: public``.
    """
    if scope not in {"site", "monograph"}:
        raise ValueError(f"Unknown cache scope {scope!r}: use 'site' or 'monograph'.")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            stamp_key = _monograph_stamp_key(kwargs["slug"]) if scope == "monograph" else ""
            provisional = False
            try:
                if stamp_key:
                    found = _cache_call(lambda cache: cache.get_many([stamp_key, ALL_STAMP_KEY]))
                    stamp = found.get(stamp_key)
                    if stamp is not None:
                        stamp = max(stamp, found.get(ALL_STAMP_KEY, 0))
                    else:
                        # Stored only once the page turns out to exist (below): a stamp
                        # created for every slug asked for would let anyone fill the cache
                        # with keys that never expire (/medicines/<random>/).
                        stamp, provisional = time.time_ns(), True
                else:
                    stamp = site_stamp()
                page_key = _page_key(request, stamp, with_query, key)
                stored = None if provisional else _cache_call(lambda cache: cache.get(page_key))
            except CacheUnavailable:
                stamp, page_key, stored = 0, "", None
            if stored is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or getattr(response, "streaming", False):
                    return response
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                # The newer of the content change and the stamp: a stamp recreated after an
                # eviction makes the page look newer, never older. Without the cache (no
                # stamp) a page that knows no date of its own sends no Last-Modified.
                last_modified = max(
                    stamp // 1_000_000_000, int(getattr(response, "content_changed_at", 0))
                )
                stored = {
                    "content": response.content,
                    "content_type": response["Content-Type"],
                    "etag": '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"',
                    "last_modified": last_modified or None,
                }
                if page_key:
                    with contextlib.suppress(CacheUnavailable):
                        # add() fails when a publish set the stamp while this page was
                        # rendered: the page may be stale, so it is not stored.
                        if not provisional or _cache_call(
                            lambda cache: cache.add(stamp_key, stamp, timeout=None)
                        ):
                            _cache_call(
                                lambda cache: cache.set(
                                    page_key, stored, timeout=_page_cache_seconds()
                                )
                            )
            response = HttpResponse(stored["content"], content_type=stored["content_type"])
            response["ETag"] = stored["etag"]
            if stored["last_modified"]:
                response["Last-Modified"] = http_date(stored["last_modified"])
            patch_cache_control(response, public=True, max_age=settings.MEDSITE_PUBLIC_MAX_AGE)
            return get_conditional_response(
                request,
                etag=stored["etag"],
                last_modified=stored["last_modified"],
                response=response,
            )

        return wrapped

    return decorator

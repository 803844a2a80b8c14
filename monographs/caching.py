"""Public page caching: HTTP validators and a server-side page cache with versioned keys.

Where "which version is current" lives: in the database, never in the cache.

- ``SiteVersion`` (one row) holds the site *generation*. Every transaction that changes
  what the public sees (publish, withdraw, restore, revert, review date, rebuild) raises it
  with ``UPDATE ... SET generation = max(generation + 1, now in µs)`` and sets the
  monograph's ``page_generation`` to the new value, *in that transaction*
  (``invalidate_monograph``). The row lock orders publishers, so generations are handed
  out in commit order; the value is a time, so it keeps growing after a database is
  restored from a backup and is also the pages' ``Last-Modified``.
- Each process polls that row at most every ``MEDSITE_VERSION_POLL_SECONDS`` (0.5 s; one
  primary-key query, not one per request) and, when it moved, reads the slugs whose
  ``page_generation`` is newer than what it knew into an in-process map (the whole map is
  read once at start: 10,000 entries are well under a megabyte). The process that
  publishes learns at once (on commit).
- Page keys hold the generation: the site generation for pages that list monographs
  (home, A to Z, search, sitemap), the monograph's own for its page and history. The key
  is computed *before* the view runs, so an entry is never older than its key.

So the cache can only lose hits, never serve an old page: Redis frozen, emptied, or
restored from an old snapshot holds entries under keys nobody asks for any more; the
local-memory cache with several workers is correct (each worker learns from the
database); a publishing process that exits at once has nothing left to do. A page is at
most ``MEDSITE_VERSION_POLL_SECONDS`` old on any server after the commit.

A hit is one cache round trip (the entry holds body, type, ETag and Last-Modified), or none:
a small in-process LRU (``MEDSITE_PAGE_MEMORY_BYTES``, 24 MB by default in front of Redis,
none in front of the local-memory cache) keeps hot pages under the same versioned keys, so
it is as coherent as they are.

No stampede: after a publication every server misses on the site pages at once. For a
site page, the first request to miss takes a short lock in the cache (``add``) and
re-renders; the others meanwhile get the previous copy of that page, but only while the
rebuild is in flight, only for ``MEDSITE_STALE_SECONDS`` (1 s) after the publication, and
never a copy older than the last withdrawal. Monograph pages are never served stale. Renders
are counted in the cache (``stats()``, ``manage.py page_cache_stats``; each process adds its
counts at most every ``MEDSITE_VERSION_POLL_SECONDS``, so a miss pays no round trip for
them), and each response says where it came from (``response.page_cache``).

The cache is an accelerator, never a dependency: when it fails, pages are rendered from the
database with the same headers, a warning is logged, and the cache is left alone for
``MEDSITE_CACHE_RETRY_SECONDS`` (5 s) so a Redis that hangs does not add its timeout to
every request. Correctness never depends on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date


def page_schema() -> str:
    """What the public pages are made of, as a short digest: every template, the code that
    builds pages from stored parts, and the static files manifest (pages name hashed CSS/JS
    files). A deploy that changes any of them changes the digest, so no page cached by the
    old code is served by the new one; nobody has to remember to bump a number. Content
    rendered at publication is rebuilt by ``manage.py rebuild_published``, which
    invalidates every page too.
    """
    base = Path(settings.BASE_DIR)
    code = Path(__file__).resolve().parent
    files = sorted((base / "templates").rglob("*.html"))
    files += [code / name for name in _PAGE_CODE]
    manifest = Path(settings.STATIC_ROOT or base / "staticfiles") / "staticfiles.json"
    files.append(manifest)
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"-")  # no manifest in development: still one stable digest
    return digest.hexdigest()[:12]


# The modules whose code shapes a cached public page (templates are all read).
_PAGE_CODE = (
    "views.py",
    "page.py",
    "stored_pages.py",
    "changes_views.py",
    "search_views.py",
    "seo_views.py",
    "sitemaps.py",
    "structured_data.py",
    "api.py",
)
PAGE_SCHEMA = page_schema()

# Shared counters (in the cache): pages rendered, and previous copies served during a rebuild.
RENDERS_KEY = "medsite:stats:renders"
STALE_SERVED_KEY = "medsite:stats:stale-served"

View = Callable[..., HttpResponse]

logger = logging.getLogger(__name__)


def _cache() -> Any:
    return caches["default"]


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class CacheUnavailable(Exception):
    """The cache failed, or failed recently: render without it."""


# --- the cache, with a back-off after a failure ---------------------------------------------

_lock = threading.Lock()
# monotonic() time before which the cache is not tried again (per process).
_retry_after = 0.0


def _cache_call(func: Callable[[Any], Any]) -> Any:
    """Run ``func(cache)``; any failure of the cache becomes ``CacheUnavailable``.

    Catches every exception on purpose: each backend raises its own (redis.ConnectionError,
    TimeoutError, pickling errors, OSError), and none of them may take a page down.
    """
    global _retry_after
    if time.monotonic() < _retry_after:
        raise CacheUnavailable("cache skipped after a recent failure")
    try:
        return func(_cache())
    except Exception as error:  # noqa: BLE001 - see the docstring
        with _lock:
            _retry_after = time.monotonic() + _setting("MEDSITE_CACHE_RETRY_SECONDS", 5)
        logger.warning("Page cache unavailable, serving without it: %r", error)
        raise CacheUnavailable(str(error)) from error


def _page_cache_seconds() -> int:
    return int(getattr(settings, "MEDSITE_PAGE_CACHE_SECONDS", 3600))


# --- versions: written in the publishing transaction, polled by every process ---------------


def _next_generation(*, removal: bool = False, everything: bool = False) -> int:
    """Raise the site generation in the current transaction and return it."""
    from .models import SiteVersion

    bumped = Greatest(F("generation") + 1, Value(time.time_ns() // 1000))
    changes: dict[str, Any] = {"generation": bumped}
    if removal:
        changes["removal_generation"] = bumped
    if everything:
        changes["all_generation"] = bumped
    with transaction.atomic():
        if not SiteVersion.objects.filter(pk=1).update(**changes):
            # First publication on this database (or a flushed table): create the row; when
            # two create it at once, one waits on the primary key and then updates.
            with contextlib.suppress(IntegrityError), transaction.atomic():
                SiteVersion.objects.create(pk=1)
            SiteVersion.objects.filter(pk=1).update(**changes)
        return SiteVersion.objects.values_list("generation", flat=True).get(pk=1)


class _Versions:
    """This process's view of the database's versions (refreshed by ``refresh``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self, *, loaded: bool = False) -> None:
        self.site = self.everything = self.removal = 0
        self.pages: dict[str, int] = {}
        self.loaded = loaded
        # loaded=True (tests): start from an empty map without reading it.
        self.checked = time.monotonic() if loaded else -math.inf

    def refresh(self, *, force: bool = False) -> None:
        poll = _setting("MEDSITE_VERSION_POLL_SECONDS", 0.5)
        if not force and time.monotonic() - self.checked < poll:
            return
        from .models import Monograph, SiteVersion

        with self.lock:
            if not force and time.monotonic() - self.checked < poll:
                return  # another thread just did it
            started = time.monotonic()
            row = (
                SiteVersion.objects.filter(pk=1)
                .values_list("generation", "all_generation", "removal_generation")
                .first()
            ) or (0, 0, 0)
            site = row[0]
            if not self.loaded or site < self.site:
                # Start, or the database went back (restored, or another test's rolled back).
                rows = Monograph.objects.filter(page_generation__gt=0)
                self.pages = dict(rows.values_list("slug", "page_generation"))
                self.loaded = True
            elif site != self.site:
                # Generations are handed out in commit order, so every change up to `site`
                # has committed and this (later) statement sees it.
                rows = Monograph.objects.filter(page_generation__gt=self.site)
                self.pages.update(rows.values_list("slug", "page_generation"))
            self.site, self.everything, self.removal = row
            self.checked = started

    def page(self, slug: str) -> int:
        return max(self.pages.get(slug, 0), self.everything)


_versions = _Versions()


def _refresh_after_commit() -> None:
    try:
        _versions.refresh(force=True)
    except Exception:  # noqa: BLE001 - the change has committed; the next poll sees it
        logger.exception("Could not re-read the site version after a commit")


def site_generation() -> int:
    """A number that changes whenever any public listing may change (cheap to call).

    The site generation from the database, as this process last polled it (at most
    ``MEDSITE_VERSION_POLL_SECONDS`` old). Search keys its result cache and name index on it.
    """
    _versions.refresh()
    return _versions.site


def invalidate_monograph(monograph: Any) -> None:
    """Record, in the current transaction, that this monograph's public pages and the
    site-wide lists changed. Call it inside the transaction that makes the change: if that
    rolls back, so does this; once it commits, every app server re-renders within
    ``MEDSITE_VERSION_POLL_SECONDS``, whatever the cache does."""
    from .models import Monograph

    removal = monograph.withdrawn_at is not None or monograph.live_revision_id is None
    with transaction.atomic():
        # The monograph row before the site row, as every workflow action takes them: two
        # publishers never wait for each other's lock in opposite orders.
        list(Monograph.objects.select_for_update().filter(pk=monograph.pk).values_list("pk"))
        generation = _next_generation(removal=removal)
        Monograph.objects.filter(pk=monograph.pk).update(page_generation=generation)
    monograph.page_generation = generation  # a later save() of this instance keeps it
    transaction.on_commit(_refresh_after_commit)


def invalidate_all() -> None:
    """Every public page re-renders on every app server (``rebuild_published``).

    Written to the database like ``invalidate_monograph``: call it inside the rebuild's
    transaction, or after it (it then commits on its own)."""
    with transaction.atomic():
        _next_generation(everything=True)
    transaction.on_commit(_refresh_after_commit)


# --- an in-process LRU in front of the cache ------------------------------------------------


class _MemoryPages:
    """Least recently used entries, bounded in bytes, under the same versioned keys."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self.size = 0

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def get(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            self.entries.move_to_end(key)
            return found[0]

    def put(self, key: str, entry: dict[str, Any]) -> None:
        limit = _memory_limit()
        size = len(entry["content"]) + 512
        if size * 8 > limit:
            return  # a page that would push out many others stays in the shared cache only
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self.entries[key] = (entry, size)
            self.size += size
            while self.size > limit and self.entries:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped


_memory = _MemoryPages()


def _memory_limit() -> int:
    """MEDSITE_PAGE_MEMORY_BYTES, or by default 24 MB in front of a shared cache (Redis: it
    saves the round trip) and none in front of the local-memory cache, which is in the
    process already (and whose ``clear()`` then really makes the next request a miss)."""
    configured = getattr(settings, "MEDSITE_PAGE_MEMORY_BYTES", None)
    if configured is not None:
        return int(configured)
    return 0 if _local_cache() else 24 * 1024 * 1024


def reset_process_state(*, loaded: bool = False) -> None:
    """Forget this process's versions and in-memory pages (tests; the next poll reloads)."""
    global _retry_after
    _versions.reset(loaded=loaded)
    _memory.clear()
    _retry_after = 0.0
    _process_stats.update(renders=0, stale_served=0)
    _unsent.update(renders=0, stale_served=0)


# --- counters for the benchmark ---------------------------------------------------------------

_process_stats = {"renders": 0, "stale_served": 0}
# Counts not yet added to the shared counters, and when they last were (per process): a
# miss must not pay a cache round trip for its statistics, so they go out at most every
# MEDSITE_VERSION_POLL_SECONDS, on the next request through the page cache.
_unsent = {"renders": 0, "stale_served": 0}
_sent_at = 0.0
_SHARED_KEYS = {"renders": RENDERS_KEY, "stale_served": STALE_SERVED_KEY}


def _count(name: str) -> None:
    _process_stats[name] += 1
    _unsent[name] += 1


def _send_counts(*, force: bool = False) -> None:
    """Add this process's new counts to the shared counters (in the cache)."""
    global _sent_at
    if not force and time.monotonic() - _sent_at < _setting("MEDSITE_VERSION_POLL_SECONDS", 0.5):
        return
    with _lock:
        counts = {name: n for name, n in _unsent.items() if n}
        for name in counts:
            _unsent[name] = 0
        _sent_at = time.monotonic()
    if not counts:
        return

    def incr(cache: Any) -> None:
        for name, n in counts.items():
            key = _SHARED_KEYS[name]
            try:
                cache.incr(key, n)
            except ValueError:  # first one
                if not cache.add(key, n, timeout=None):
                    cache.incr(key, n)

    with contextlib.suppress(CacheUnavailable):
        _cache_call(incr)


def stats() -> dict[str, Any]:
    """Pages rendered by the page cache (misses) and previous copies served while a page was
    being rebuilt: shared by every process using the cache (each process adds its counts at
    most ``MEDSITE_VERSION_POLL_SECONDS`` after them, on its next request), and this
    process's own."""
    _send_counts(force=True)
    try:
        shared = _cache_call(lambda cache: cache.get_many([RENDERS_KEY, STALE_SERVED_KEY]))
    except CacheUnavailable:
        shared = {}
    return {
        "renders": int(shared.get(RENDERS_KEY, 0)),
        "stale_served": int(shared.get(STALE_SERVED_KEY, 0)),
        "process": dict(_process_stats),
    }


def reset_stats() -> None:
    with contextlib.suppress(CacheUnavailable):
        _cache_call(lambda cache: cache.delete_many([RENDERS_KEY, STALE_SERVED_KEY]))
    _process_stats.update(renders=0, stale_served=0)
    _unsent.update(renders=0, stale_served=0)


# --- the decorator ----------------------------------------------------------------------------


def _digest(
    request: HttpRequest, with_query: bool, key: Callable[[HttpRequest], str] | None
) -> str:
    if key is not None:
        path = f"{request.path}?{key(request)}"
    else:
        path = request.get_full_path() if with_query else request.path
    # GET and HEAD share the entry: a HEAD response is the GET one without its body (the
    # server drops it), so link checkers and crawlers' HEADs cost no render of their own.
    return hashlib.sha256(f"GET:{path}".encode()).hexdigest()


def _entry(response: HttpResponse, generation: int) -> dict[str, Any]:
    changed = getattr(response, "content_changed_at", 0) or 0
    return _make_entry(response.content, response["Content-Type"], generation, changed)


def _make_entry(
    content: bytes, content_type: str, generation: int, changed_at: float
) -> dict[str, Any]:
    # The newer of the content change and the generation (a time in µs): a withdrawal or a
    # review-date change moves it too, so If-Modified-Since never keeps an old page.
    last_modified = max(generation // 1_000_000, int(changed_at))
    return {
        "content": content,
        "content_type": content_type,
        "etag": '"' + hashlib.sha256(content).hexdigest()[:32] + '"',
        "last_modified": last_modified or None,
        "last_modified_header": http_date(last_modified) if last_modified else "",
        "generation": generation,
    }


def _respond(request: HttpRequest, entry: dict[str, Any], source: str) -> HttpResponse:
    """The page from its entry; ``response.page_cache`` tells where it came from ("memory",
    "cache", "stored": the monograph page stored when it changed, "stale": a previous copy
    during a rebuild, "render"), for the benchmark's counts (never sent to the client)."""
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    response.headers["ETag"] = entry["etag"]
    if entry["last_modified_header"]:
        response.headers["Last-Modified"] = entry["last_modified_header"]
    response.headers["Cache-Control"] = f"public, max-age={settings.MEDSITE_PUBLIC_MAX_AGE}"
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
        response = get_conditional_response(
            request, etag=entry["etag"], last_modified=entry["last_modified"], response=response
        )
    response.page_cache = source
    return response


def _stale_copy(stale_key: str) -> dict[str, Any] | None:
    """The previous copy of a site page, when it may stand in during a rebuild."""
    try:
        stale = _cache_call(lambda cache: cache.get(stale_key))
    except CacheUnavailable:
        return None
    if stale is None or stale["generation"] < _versions.removal:
        return None  # something left the site since: never list it again
    age = time.time_ns() // 1000 - _versions.site
    if age > _setting("MEDSITE_STALE_SECONDS", 1.0) * 1_000_000:
        return None
    return stale


# A page stored when it changed (``stored_pages.lookup``): (slug, page generation) to the
# page's HTML and its last change (``last_modified``, seconds), or None when there is none.
StoredLookup = Callable[[str, int], Any]


def _local_cache() -> bool:
    """Whether the cache is in this process (local memory): a read costs no round trip."""
    return settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def _stored_entry(
    stored: StoredLookup, slug: str, generation: int, page_key: str, local: bool
) -> dict[str, Any] | None:
    """The entry of the page stored for the monograph's page generation as this process
    knows it, kept in process (and, with the local-memory cache, in it), or None."""
    found = stored(slug, _versions.pages.get(slug, 0))
    if found is None:
        return None
    content = found.html.encode()
    entry = _make_entry(content, "text/html; charset=utf-8", generation, found.last_modified)
    _memory.put(page_key, entry)
    if local:
        with contextlib.suppress(CacheUnavailable):
            _cache_call(lambda cache: cache.set(page_key, entry, _page_cache_seconds()))
    return entry


def public_page(
    scope: str = "site",
    *,
    with_query: bool = False,
    key: Callable[[HttpRequest], str] | None = None,
    stored: StoredLookup | None = None,
) -> Callable[[View], View]:
    """Cache a public GET view's 200 responses and answer conditional GETs with 304.

    ``scope="site"`` keys the page on the site generation; ``scope="monograph"`` on the
    generation of the monograph named by the view's ``slug`` argument. ``with_query`` keys
    on the query string too (search results); ``key(request)``, when given, replaces the
    query string in the key (e.g. a normalised search query, so equivalent queries share
    one entry). Other statuses (404, 410) pass through uncached.

    ``stored(slug, page_generation)`` (monograph scope): the page as stored when it last
    changed, tried before the view renders it. With a shared cache (Redis) it comes before
    the shared cache and is not copied there; with the local-memory cache, after it.

    The view must render the same page for every visitor (no per-user content), since the
    page is shared by all of them and marked ``Cache-Control: public``.
    """
    if scope not in {"site", "monograph"}:
        raise ValueError(f"Unknown cache scope {scope!r}: use 'site' or 'monograph'.")
    if stored is not None and scope != "monograph":
        raise ValueError("Only monograph pages are stored.")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            if _unsent["renders"] or _unsent["stale_served"]:
                _send_counts()
            try:
                _versions.refresh()
            except Exception:  # noqa: BLE001 - not knowing the version: no cached page
                logger.exception("Could not read the site version; rendering uncached")
                return _render(view, request, args, kwargs, 0, "", "")
            slug = kwargs["slug"] if scope == "monograph" else ""
            generation = _versions.page(slug) if slug else _versions.site
            digest = _digest(request, with_query, key)
            page_key = f"medsite:page:{PAGE_SCHEMA}:{scope[0]}{generation}:{digest}"

            entry = _memory.get(page_key)
            if entry is not None:
                return _respond(request, entry, "memory")
            # The stored page comes before a shared cache (Redis): as current and as cheap to
            # read (one round trip either way), and not copied there (two more round trips
            # on a miss, for no gain). The local-memory cache, in this process, comes first.
            local = _local_cache()
            if stored is not None and not local:
                entry = _stored_entry(stored, slug, generation, page_key, local)
                if entry is not None:
                    return _respond(request, entry, "stored")
            try:
                entry = _cache_call(lambda cache: cache.get(page_key))
            except CacheUnavailable:
                return _render(view, request, args, kwargs, generation, page_key, "")
            if entry is not None:
                _memory.put(page_key, entry)
                return _respond(request, entry, "cache")
            if stored is not None and local:
                entry = _stored_entry(stored, slug, generation, page_key, local)
                if entry is not None:
                    return _respond(request, entry, "stored")

            stale_key = ""
            if scope == "site":
                stale_key = f"medsite:previous:{PAGE_SCHEMA}:{digest}"
                lock_key = f"medsite:rebuilding:{PAGE_SCHEMA}:{digest}"
                try:
                    rebuilding = not _cache_call(lambda cache: cache.add(lock_key, 1, timeout=2))
                except CacheUnavailable:
                    rebuilding = False
                if rebuilding:
                    stale = _stale_copy(stale_key)
                    if stale is not None:
                        _count("stale_served")
                        return _respond(request, stale, "stale")
                else:
                    try:
                        return _render(view, request, args, kwargs, generation, page_key, stale_key)
                    finally:
                        with contextlib.suppress(CacheUnavailable):
                            _cache_call(lambda cache: cache.delete(lock_key))
            return _render(view, request, args, kwargs, generation, page_key, stale_key)

        return wrapped

    return decorator


def _render(
    view: View,
    request: HttpRequest,
    args: tuple,
    kwargs: dict,
    generation: int,
    page_key: str,
    stale_key: str,
) -> HttpResponse:
    response = view(request, *args, **kwargs)
    if response.status_code != 200 or getattr(response, "streaming", False):
        return response
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    entry = _entry(response, generation)
    if page_key:
        _count("renders")
        _memory.put(page_key, entry)
        entries = {page_key: entry}
        if stale_key:
            entries[stale_key] = entry
        timeout = _page_cache_seconds()
        with contextlib.suppress(CacheUnavailable):
            if stale_key:
                _cache_call(lambda cache: cache.set_many(entries, timeout=timeout))
            else:  # one entry: a plain SET, no MULTI/EXEC around it
                _cache_call(lambda cache: cache.set(page_key, entry, timeout=timeout))
    return _respond(request, entry, "render")

"""URLs for `make bench-http`: the site's URLs plus two benchmark-only views.

- ``/bench-bare/`` returns the bytes of a monograph page (written by the benchmark to the file
  named by ``BENCH_BARE_FILE``) through the same middleware as every page: the floor the
  framework sets, against which each page is measured.
- ``/bench-stats/`` tells which worker answered and, per path, how many requests it served
  with how many SQL queries, and where the page cache took each answer from
  (``response.page_cache``: "memory", "cache", "stored", "stale" or "render"): the benchmark
  counts the rebuilds during a publication under load from it.
"""

import json
import os
from collections import Counter
from pathlib import Path

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

_body: bytes | None = None
_queries: dict[str, Counter] = {}
_sources: dict[str, Counter] = {}


def count_queries(get_response):
    def middleware(request):
        n = 0

        def count(execute, sql, params, many, context):
            nonlocal n
            n += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = get_response(request)
        path = request.get_full_path()
        _queries.setdefault(path, Counter())[n] += 1
        _sources.setdefault(path, Counter())[getattr(response, "page_cache", "-")] += 1
        return response

    return middleware


def bare(request):
    global _body
    if _body is None:
        _body = Path(os.environ["BENCH_BARE_FILE"]).read_bytes()
    return HttpResponse(_body, content_type="text/html; charset=utf-8")


def stats(request):
    data = {
        "pid": os.getpid(),
        "queries": {p: dict(c) for p, c in _queries.items()},
        "sources": {p: dict(c) for p, c in _sources.items()},
    }
    return HttpResponse(json.dumps(data), content_type="application/json")


urlpatterns = [
    path("bench-bare/", bare),
    path("bench-stats/", stats),
    path("", include("medsite.urls")),
]

handler400 = "monographs.views.bad_request"
handler403 = "monographs.views.permission_denied"
handler404 = "monographs.views.page_not_found"
handler500 = "monographs.views.server_error"

"""One log line per request, and a request id on every log line of that request.

``RequestLogMiddleware`` (first in MIDDLEWARE) logs, at the end of each request, on the
``medsite.request`` logger::

    GET /medicines/naltrexone/ 200 3.1ms rid=4f1c... user=-

The request id comes from nginx's ``X-Request-ID`` when it is a sane token, else it is
generated; it is echoed in the response's ``X-Request-ID`` and added to every log record
made while the request runs (``RequestIdFilter``: ``%(request_id)s``). No query string (a
search can say something about the searcher), no IP address, no cookie: the only personal
data is the username of a signed-in staff member, and only when the request looked it up
anyway (an anonymous page never touches the user).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

logger = logging.getLogger("medsite.request")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _staff_username(request: HttpRequest) -> str:
    # Set by django.contrib.auth only once something asked for request.user.
    user = request.__dict__.get("_cached_user")
    if user is not None and user.is_authenticated and user.is_staff:
        return user.get_username()
    return "-"


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = rid
        # Until the response is closed (request_finished): Django logs 4xx/5xx after the
        # middleware has returned, and those lines need the id too.
        request_id.set(rid)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response.headers["X-Request-ID"] = rid
            return response
        finally:
            logger.info(
                "%s %s %s %.1fms rid=%s user=%s",
                request.method,
                quote(request.path[:500], safe="/:@!$&'()*+,;=-._~"),
                status,
                (time.perf_counter() - started) * 1000,
                rid,
                _staff_username(request),
            )


def _forget_request_id(**kwargs: object) -> None:
    request_id.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="medsite.request_log")

"""The access log and request ids: one line per HTTP request, never a body or a query.

A WSGI wrapper around the whole application: it takes the caller's ``X-Request-ID`` when it
looks like an id (letters, digits, ``-_.:``, at most 64), else makes one; sets it for every
log line of the request (``plumbing.logs.request_id``); returns it in the response's
``X-Request-ID``; and, when the response body is done, logs method, path (no query string,
long opaque tokens such as a calendar feed's replaced by ``…``), status and duration.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from plumbing.logs import request_id

log = logging.getLogger("consultbot.access")

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: A path segment this long and opaque is a capability (a file or calendar link): not logged.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}")
MAX_PATH = 200

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def incoming_id(value: str | None) -> str:
    """The caller's request id if it looks sane, else a new one."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def loggable_path(environ: dict[str, Any]) -> str:
    """The request's path without its query string, tokens hidden, length capped."""
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    return "/".join("…" if _TOKEN.fullmatch(part) else part
                    for part in path.split("/"))[:MAX_PATH]


class AccessLog:
    """Wraps a WSGI application with request ids and the access log."""

    def __init__(self, app: WSGIApp, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        rid = incoming_id(environ.get("HTTP_X_REQUEST_ID"))
        token = request_id.set(rid)
        started = self.clock()
        status = ["-"]

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            headers = [h for h in headers if h[0].lower() != HEADER.lower()]
            return start_response(code, [*headers, (HEADER, rid)], exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            status[0] = "500"
            self._log(environ, rid, status[0], started)
            request_id.reset(token)
            raise
        return _Finishing(body, lambda: self._log(environ, rid, status[0], started),
                          lambda: request_id.reset(token))

    def _log(self, environ: dict[str, Any], rid: str, status: str, started: float) -> None:
        log.info("%s %s %s %.1fms", environ.get("REQUEST_METHOD", "-"), loggable_path(environ),
                 status, (self.clock() - started) * 1000, extra={"request_id": rid})


class _Finishing:
    """The response body, logging the request once it is all sent, or closed early."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None],
                 reset: Callable[[], None]) -> None:
        self.body = body
        self.done = done
        self.reset = reset
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.body
        finally:
            self._finish()

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if callable(close):
                close()
        finally:
            self._finish()

    def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.done()
        with contextlib.suppress(ValueError):  # finished in another context than its own
            self.reset()

"""What every web-chat request passes: allowed origins (CORS) and rate limits.

Rate limits use the ``limits`` library's moving window, per session and per address, in
``WEBCHAT_RATE_LIMIT_STORAGE`` (``memory://`` is per process; a ``redis://`` URL shares the
counts between processes).
"""

from __future__ import annotations

import logging

from flask import Request, Response
from limits import parse, storage
from limits.strategies import MovingWindowRateLimiter

from plumbing.settings import Settings

log = logging.getLogger(__name__)

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Last-Event-ID"


def own_origin(request: Request) -> str:
    """The origin this app is reached at (behind ``TRUSTED_PROXIES``, the public one)."""
    return request.host_url.rstrip("/")


class Origins:
    """Pages of this app and of ``WEBCHAT_ALLOWED_ORIGINS`` may call the API."""

    def __init__(self, settings: Settings) -> None:
        self.allowed = settings.webchat_origins

    def refused(self, request: Request) -> bool:
        """True for a request sent by a page of a site not allowed (logged, no content)."""
        origin = request.headers.get("Origin")
        if origin is None or origin == own_origin(request) or origin in self.allowed:
            return False
        log.warning("webchat: %s %s refused: origin %s not in WEBCHAT_ALLOWED_ORIGINS",
                    request.method, request.path, origin[:100])
        return True

    def decorate(self, request: Request, response: Response) -> Response:
        """The CORS headers for an allowed other site."""
        origin = request.headers.get("Origin")
        if origin and origin in self.allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
        return response


class RateLimits:
    """``WEBCHAT_RATE_LIMIT_SESSION`` and ``…_ADDRESS`` for sending; reading (streams,
    polls) may be done five times as often."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(
            storage.storage_from_string(settings.webchat_rate_limit_storage))
        self.session = parse(settings.webchat_rate_limit_session)
        self.address = parse(settings.webchat_rate_limit_address)
        self.reads = type(self.address)(self.address.amount * 5, self.address.multiples)

    def allow_send(self, address: str, session: str | None) -> bool:
        """Count one message; False if the address or the session has sent too many."""
        if not self._limiter.hit(self.address, "webchat-send", address):
            log.warning("webchat: address %s over the rate limit", address)
            return False
        if session is not None and not self._limiter.hit(self.session, "webchat-send",
                                                         session[:16]):
            log.warning("webchat: a session over the rate limit")
            return False
        return True

    def allow_read(self, address: str) -> bool:
        """Count one read (history, stream, poll) by ``address``."""
        return self._limiter.hit(self.reads, "webchat-read", address)

    def retry_after(self) -> int:
        """Seconds to suggest in ``Retry-After``."""
        return int(self.session.get_expiry())

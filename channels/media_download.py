"""Reading one HTTP response body into memory, never past a size limit (for the fetchers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.casefiles.fetching import FetchFailed, FetchRefused
from bot.casefiles.models import Refusal

if TYPE_CHECKING:
    import httpx


def timeout() -> httpx.Timeout:
    """The fetchers' timeouts (httpx, with rich and pygments, is imported when a fetcher is
    built: 70 ms at a start that needs none)."""
    import httpx

    return httpx.Timeout(30.0, connect=10.0)


def read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed response; :class:`FetchRefused` as soon as it passes ``limit``
    (by its declared length or by what arrived), so an oversized file is never read whole."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchRefused(Refusal.SIZE, "declared length over the limit")
    parts, total = [], 0
    for chunk in response.iter_bytes(64 * 1024):
        total += len(chunk)
        if total > limit:
            raise FetchRefused(Refusal.SIZE, "body over the limit")
        parts.append(chunk)
    return b"".join(parts)


def failure_for(status: int, who: str) -> FetchFailed:
    """What an error status means: worth another try (429, 5xx) or not."""
    return FetchFailed(f"{who} answered {status}", permanent=status != 429 and status < 500)

"""The far side: reading a CalDAV calendar or an iCalendar feed, and writing bookings back.

Every call here is remote and blocking (bounded by ``timeout``); callers make them with no
database transaction open. Failures become :class:`CalendarUnavailable` with a short
reason that names no secret (no URL, user or password) and no event content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from booking.calendars.models import CALDAV, FEED

if TYPE_CHECKING:
    import caldav

# caldav and httpx are imported on first use: without a consultant's calendar a process
# never needs them.

#: A feed larger than this is refused (a calendar of many years is a few MB).
MAX_FEED_BYTES = 20 * 1024 * 1024


class CalendarUnavailable(Exception):
    """The calendar could not be read or written now; ``reason`` is safe to show and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CalendarSource:
    """Where one consultant's calendar is: ``kind`` is ``caldav`` or ``ics``."""

    kind: str
    url: str
    username: str = ""
    password: str = ""

    def __repr__(self) -> str:  # never print the credentials
        return f"CalendarSource({self.kind!r}, {host_label(self.url)!r})"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "url": self.url, "username": self.username,
                "password": self.password}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> CalendarSource:
        return cls(str(value["kind"]), str(value["url"]), str(value.get("username") or ""),
                   str(value.get("password") or ""))


def host_label(url: str) -> str:
    """The host of ``url`` (what staff may see of a secret address)."""
    return urlsplit(url).hostname or "?"


def feed_url(url: str) -> str:
    """``webcal://`` (as Apple and Google write it) is ``https://``."""
    return "https://" + url[len("webcal://"):] if url.lower().startswith("webcal://") else url


# --- reading -------------------------------------------------------------------------


def fetch(source: CalendarSource, start: datetime, end: datetime, *,
          timeout: float) -> list[str]:
    """The calendar's VCALENDAR texts with events overlapping ``[start, end)`` (a feed: all)."""
    if source.kind == FEED:
        return [fetch_feed(source.url, timeout=timeout)]
    if source.kind == CALDAV:
        return fetch_caldav(source, start, end, timeout=timeout)
    raise CalendarUnavailable(f"unknown calendar kind {source.kind!r}")


def fetch_feed(url: str, *, timeout: float) -> str:
    """GET an iCalendar feed (following redirects); the body as text."""
    import httpx

    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client, \
                client.stream("GET", feed_url(url),
                              headers={"Accept": "text/calendar"}) as response:
            if response.status_code != 200:
                raise CalendarUnavailable(f"the feed answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise CalendarUnavailable("the feed is larger than 20 MB")
    except httpx.HTTPError as exc:
        raise CalendarUnavailable(f"the feed cannot be reached ({type(exc).__name__})") from exc
    return body.decode(response.encoding or "utf-8", errors="replace")


def _client(source: CalendarSource, timeout: float) -> caldav.DAVClient:
    import caldav

    return caldav.DAVClient(url=source.url, username=source.username or None,
                            password=source.password or None, timeout=int(max(timeout, 1)),
                            enable_rfc6764=False, rate_limit_handle=False)


def _dav_call(what: str, call: Callable[[], Any]) -> Any:
    """Run a CalDAV call, turning every failure into :class:`CalendarUnavailable`."""
    from caldav.lib import error as dav_error

    try:
        return call()
    except CalendarUnavailable:
        raise
    except dav_error.AuthorizationError as exc:
        raise CalendarUnavailable(f"the CalDAV server refused the user or password "
                                  f"({what})") from exc
    except dav_error.NotFoundError as exc:
        raise CalendarUnavailable(f"no calendar at that address ({what})") from exc
    except dav_error.DAVError as exc:
        raise CalendarUnavailable(f"the CalDAV server refused the request ({what}: "
                                  f"{type(exc).__name__})") from exc
    except Exception as exc:  # network errors come from niquests/requests/urllib3
        raise CalendarUnavailable(f"the CalDAV server cannot be reached ({what}: "
                                  f"{type(exc).__name__})") from exc


def fetch_caldav(source: CalendarSource, start: datetime, end: datetime, *,
                 timeout: float) -> list[str]:
    """A calendar-query REPORT for events in ``[start, end)``; recurring events come whole
    (master and overrides) and are expanded by :mod:`booking.calendars.reading`."""

    def call() -> list[str]:
        with _client(source, timeout) as client:
            calendar = client.calendar(url=source.url)
            found = calendar.search(event=True, start=start, end=end, expand=False)
            return [str(item.data) for item in found]

    return _dav_call("reading", call)


# --- writing back --------------------------------------------------------------------


def put_event(source: CalendarSource, uid: str, ical: str, *, timeout: float) -> None:
    """Create or replace the event ``uid`` (a PUT of ``<uid>.ics``)."""

    def call() -> None:
        with _client(source, timeout) as client:
            calendar = client.calendar(url=source.url)
            calendar.save_event(ical, increase_seqno=False)  # our SEQUENCE is the booking's

    _dav_call("writing", call)


def delete_event(source: CalendarSource, uid: str, *, timeout: float) -> None:
    """Remove the event ``uid``; one that is already gone is fine."""

    from caldav.lib import error as dav_error

    def call() -> None:
        with _client(source, timeout) as client:
            calendar = client.calendar(url=source.url)
            try:
                event = calendar.event_by_uid(uid)
            except dav_error.NotFoundError:
                return
            event.delete()

    _dav_call("removing", call)

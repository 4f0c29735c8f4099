"""Zoom meetings for consultations, through Zoom's REST API with Server-to-Server OAuth.

The client makes exactly one call per operation (plus one token refresh on a 401) and
never sleeps or retries on its own: transient failures raise :class:`ZoomUnavailable`
carrying Zoom's ``retry_after`` so the caller can schedule a durable retry, and
permanent ones raise :class:`ZoomRejected`.

Secrets stay out of logs, exception messages and reprs: the client secret, access
tokens, meeting passwords and the host's ``start_url`` (which embeds a host token).

Creating a meeting is not idempotent at Zoom: if a create times out after Zoom acted, a
blind retry would make a second meeting. So the caller puts a marker in the agenda (see
:func:`booking_marker`) and, before creating again after a failed or unanswered attempt,
asks :meth:`ZoomClient.find_meeting` for the upcoming meeting carrying it.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    import httpx

# httpx (with rich and pygments: 70 ms) is imported when a Zoom client is made: without
# Zoom a process never needs it.

log = logging.getLogger(__name__)

TOPIC_MAX_CHARS = 200
AGENDA_MAX_CHARS = 2000
TOKEN_EXPIRY_MARGIN = timedelta(seconds=60)
"""A cached token is replaced this long before Zoom says it expires."""


@dataclass(frozen=True)
class ZoomMeeting:
    """A scheduled meeting; only ``meeting_id`` appears in its repr."""

    meeting_id: str
    join_url: str = field(repr=False)
    start_url: str | None = field(repr=False)
    password: str | None = field(repr=False)


class ZoomUnavailable(Exception):
    """Zoom could not be reached or asked us to come back later; worth retrying."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status_code = status_code


class ZoomRejected(Exception):
    """Zoom refused the request for a reason a retry will not fix."""

    def __init__(self, message: str, *, status_code: int, zoom_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.zoom_code = zoom_code


class MeetingService(Protocol):
    """What booking needs from a meeting provider: Zoom, or the fallback link."""

    def create_meeting(
        self,
        *,
        topic: str,
        start: datetime,
        duration_minutes: int,
        timezone: str,
        agenda: str | None = None,
    ) -> ZoomMeeting: ...

    def update_meeting(
        self, meeting_id: str, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None: ...

    def delete_meeting(self, meeting_id: str) -> None: ...


class MeetingFinder(Protocol):
    """A provider that can look up a meeting an earlier attempt made (Zoom can)."""

    def find_meeting(self, marker: str, start: datetime) -> ZoomMeeting | None: ...


def booking_marker(booking_id: int) -> str:
    """The agenda line that names the booking a meeting was made for (no personal data)."""
    return f"Ref. consultbot-booking-{booking_id}"


def meeting_topic(company_name: str) -> str:
    """The meeting's title; deliberately free of the applicant's name and case."""
    name = " ".join(company_name.split())
    topic = f"Free consultation — {name}" if name else "Free consultation"
    return topic[:TOPIC_MAX_CHARS]


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: seconds, an HTTP date or ISO 8601.

    Zoom documents an ISO 8601 instant (``2020-05-31T00:00:00Z``) for daily limits;
    the HTTP standard allows delta-seconds or an HTTP date. Unparseable gives None.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    when: datetime | None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def _seconds_to_utc_midnight(now: datetime) -> float:
    """Zoom's daily limits reset at 00:00 UTC."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today + timedelta(days=1) - now).total_seconds()


def _utc_z(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_schedule(duration_minutes: int, timezone: str) -> None:
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc


def _zoom_error(response: httpx.Response) -> tuple[int | None, str]:
    """Zoom's error code and message from a JSON error body, if it has one."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    message = body.get("message") or body.get("reason") or body.get("error") or ""
    return (code if isinstance(code, int) else None), str(message)[:200]


@dataclass
class _Token:
    value: str = field(repr=False)
    refresh_at: datetime


class ZoomClient:
    """Creates, moves and deletes meetings on the Zoom account of a Server-to-Server app.

    Safe to share between threads: the access token is cached under a lock and
    fetched again shortly before it expires, judged by the injected ``clock``.
    """

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_base_url: str = "https://api.zoom.us/v2",
        oauth_url: str = "https://zoom.us/oauth/token",
        clock: Callable[[], datetime],
        http: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not (account_id and client_id and client_secret):
            raise ValueError("Zoom account id, client id and client secret are all required")
        import httpx

        self._account_id = account_id
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._api = api_base_url.rstrip("/")
        self._oauth_url = oauth_url
        self._clock = clock
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client()
        self._timeout = timeout
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"ZoomClient(api={self._api!r})"

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_http:
            self._http.close()

    # Meetings

    def create_meeting(
        self,
        *,
        topic: str,
        start: datetime,
        duration_minutes: int,
        timezone: str,
        agenda: str | None = None,
    ) -> ZoomMeeting:
        """Schedule a meeting starting at ``start`` (aware); ``timezone`` is for display.

        ``topic`` and ``agenda`` are visible to anyone with the link: never put the
        applicant's name or case details in them (see :func:`meeting_topic`).
        """
        _check_schedule(duration_minutes, timezone)
        body: dict[str, Any] = {
            "topic": topic[:TOPIC_MAX_CHARS],
            "type": 2,
            "start_time": _utc_z(start),
            "duration": duration_minutes,
            "timezone": timezone,
            "settings": {"waiting_room": True, "join_before_host": False},
        }
        if agenda:
            body["agenda"] = agenda[:AGENDA_MAX_CHARS]
        response = self._call("POST", "/users/me/meetings", body)
        if response.status_code not in (200, 201):
            self._raise_for(response, "create meeting")
        try:
            data = response.json()
            meeting_id = str(data["id"])
            join_url = str(data["join_url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ZoomUnavailable(
                "Zoom answered create meeting without a meeting id and join link",
                status_code=response.status_code,
            ) from exc
        log.info("Zoom meeting %s created", meeting_id)
        return ZoomMeeting(
            meeting_id=meeting_id,
            join_url=join_url,
            start_url=data.get("start_url") or None,
            password=data.get("password") or None,
        )

    def update_meeting(
        self, meeting_id: str, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None:
        """Move a meeting; a meeting Zoom no longer has raises ZoomRejected (404)."""
        _check_schedule(duration_minutes, timezone)
        body = {"start_time": _utc_z(start), "duration": duration_minutes, "timezone": timezone}
        response = self._call("PATCH", f"/meetings/{quote(meeting_id, safe='')}", body)
        if response.status_code not in (200, 204):
            self._raise_for(response, "update meeting")
        log.info("Zoom meeting %s moved", meeting_id)

    def find_meeting(self, marker: str, start: datetime) -> ZoomMeeting | None:
        """The upcoming meeting whose agenda carries ``marker``, or None.

        Used before creating a meeting again after an attempt whose answer was lost: the
        list of the user's upcoming meetings (a few pages of 300), then the one found, for
        its links. A list entry without an agenda is checked by its start time.
        """
        page_token = ""
        for _ in range(10):
            params = {"type": "upcoming", "page_size": "300"}
            if page_token:
                params["next_page_token"] = page_token
            response = self._call("GET", "/users/me/meetings", None, params=params)
            if response.status_code != 200:
                self._raise_for(response, "list meetings")
            try:
                data = response.json()
                items = [m for m in data.get("meetings") or [] if isinstance(m, dict)]
            except (ValueError, AttributeError) as exc:
                raise ZoomUnavailable("Zoom answered list meetings without a list") from exc
            for item in items:
                agenda = item.get("agenda")
                maybe = marker in str(agenda) if agenda is not None else \
                    item.get("start_time") == _utc_z(start)
                if maybe and item.get("id") is not None:
                    found = self._meeting(str(item["id"]))
                    if found is not None and marker in found[1]:
                        log.info("Zoom meeting %s made by an earlier attempt found",
                                 found[0].meeting_id)
                        return found[0]
            page_token = str(data.get("next_page_token") or "")
            if not page_token:
                return None
        return None

    def _meeting(self, meeting_id: str) -> tuple[ZoomMeeting, str] | None:
        """One meeting and its agenda; None if Zoom no longer has it."""
        response = self._call("GET", f"/meetings/{quote(meeting_id, safe='')}", None)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self._raise_for(response, "get meeting")
        try:
            data = response.json()
            meeting = ZoomMeeting(meeting_id=str(data["id"]), join_url=str(data["join_url"]),
                                  start_url=data.get("start_url") or None,
                                  password=data.get("password") or None)
        except (ValueError, KeyError, TypeError) as exc:
            raise ZoomUnavailable("Zoom answered get meeting without its links") from exc
        return meeting, str(data.get("agenda") or "")

    def delete_meeting(self, meeting_id: str) -> None:
        """Delete a meeting; one Zoom no longer has (404) counts as deleted."""
        response = self._call("DELETE", f"/meetings/{quote(meeting_id, safe='')}", None)
        if response.status_code == 404:
            log.info("Zoom meeting %s was already gone", meeting_id)
            return
        if response.status_code not in (200, 204):
            self._raise_for(response, "delete meeting")
        log.info("Zoom meeting %s deleted", meeting_id)

    # HTTP and errors

    def _call(self, method: str, path: str, body: dict[str, Any] | None,
              params: dict[str, str] | None = None) -> httpx.Response:
        """One API call; on a 401 fetch a fresh token and try once more."""
        token = self._access_token()
        response = self._send(method, path, body, token, params)
        if response.status_code == 401:
            log.info("Zoom refused the access token; fetching a new one")
            token = self._access_token(stale=token)
            response = self._send(method, path, body, token, params)
        return response

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, token: str,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        import httpx

        try:
            return self._http.request(
                method,
                self._api + path,
                json=body,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise ZoomUnavailable(f"Zoom did not answer {method} in time") from exc
        except httpx.TransportError as exc:
            raise ZoomUnavailable(f"could not reach Zoom ({type(exc).__name__})") from exc

    def _raise_for(self, response: httpx.Response, action: str) -> None:
        status = response.status_code
        zoom_code, message = _zoom_error(response)
        detail = f"Zoom {action}: HTTP {status}" + (f" code {zoom_code}" if zoom_code else "")
        if message:
            detail += f": {message}"
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if retry_after is None and "daily" in message.lower():
                retry_after = _seconds_to_utc_midnight(self._clock())
            log.warning("%s (retry after %s s)", detail, retry_after)
            raise ZoomUnavailable(detail, retry_after=retry_after, status_code=status)
        if status >= 500 or status < 400:
            log.warning(detail)
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            raise ZoomUnavailable(detail, retry_after=retry_after, status_code=status)
        log.error(detail)
        raise ZoomRejected(detail, status_code=status, zoom_code=zoom_code)

    # Token

    def _access_token(self, stale: str | None = None) -> str:
        """The cached token, or a new one if it is near expiry or equals ``stale``."""
        with self._lock:
            now = self._clock()
            token = self._token
            if token is not None and token.value != stale and now < token.refresh_at:
                return token.value
            self._token = None
            self._token = self._fetch_token(now)
            return self._token.value

    def _fetch_token(self, now: datetime) -> _Token:
        import httpx

        try:
            response = self._http.post(
                self._oauth_url,
                params={"grant_type": "account_credentials", "account_id": self._account_id},
                auth=self._auth,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise ZoomUnavailable("Zoom sign-in did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ZoomUnavailable(f"could not reach Zoom sign-in ({type(exc).__name__})") from exc
        if response.status_code != 200:
            self._raise_for(response, "sign-in")
        try:
            data = response.json()
            value = data["access_token"]
            lifetime = float(data.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise ZoomUnavailable("Zoom sign-in answered without an access token") from exc
        if not isinstance(value, str) or not value:
            raise ZoomUnavailable("Zoom sign-in answered without an access token")
        margin = min(TOKEN_EXPIRY_MARGIN, timedelta(seconds=lifetime / 2))
        log.debug("Zoom access token obtained, valid for %.0f s", lifetime)
        return _Token(value=value, refresh_at=now + timedelta(seconds=lifetime) - margin)


class FallbackMeetings:
    """Stands in for Zoom when no credentials are set: every booking gets the same link."""

    def __init__(self, join_url: str) -> None:
        if not join_url:
            raise ValueError("a fallback meeting link is required")
        self._join_url = join_url

    def create_meeting(
        self,
        *,
        topic: str,
        start: datetime,
        duration_minutes: int,
        timezone: str,
        agenda: str | None = None,
    ) -> ZoomMeeting:
        """A meeting record pointing at the configured link."""
        _utc_z(start)
        _check_schedule(duration_minutes, timezone)
        return ZoomMeeting(
            meeting_id=f"fallback-{uuid.uuid4()}",
            join_url=self._join_url,
            start_url=None,
            password=None,
        )

    def update_meeting(
        self, meeting_id: str, *, start: datetime, duration_minutes: int, timezone: str
    ) -> None:
        """Nothing to move: the link does not carry a time."""

    def delete_meeting(self, meeting_id: str) -> None:
        """Nothing to delete."""

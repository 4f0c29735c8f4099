"""iCalendar (RFC 5545) files for consultations: one booking's invite, or a feed of many.

Times are written in UTC (``...Z``), so no VTIMEZONE is needed. Lines end in CRLF
and are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRODID = "-//consultbot//Consultation booking//EN"
LINE_LIMIT = 75
CRLF = b"\r\n"

_NEWLINES = re.compile(r"\r\n|\r|\n")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # controls other than TAB and LF
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    """One consultation as a VEVENT.

    ``stamp`` is DTSTAMP: when this file was made for a single invite, or when the
    booking last changed for a feed. Raise ``sequence`` on every reschedule or cancel.
    """

    uid: str
    start: datetime
    duration_minutes: int
    summary: str
    description: str
    join_url: str | None
    organizer_email: str | None
    stamp: datetime
    sequence: int = 0
    cancelled: bool = False


def booking_calendar(
    *,
    uid: str,
    start: datetime,
    duration_minutes: int,
    summary: str,
    description: str,
    join_url: str | None,
    organizer_email: str | None,
    now: datetime,
    sequence: int = 0,
    cancelled: bool = False,
) -> bytes:
    """A calendar file for one booking: METHOD:PUBLISH, or METHOD:CANCEL when cancelled.

    Calendar clients match a cancel to the invite by ``uid``; give it a higher
    ``sequence`` than the invite it replaces. ``summary`` and ``description`` end
    up in the recipient's calendar: keep case details out of them.
    """
    event = CalendarEvent(
        uid=uid,
        start=start,
        duration_minutes=duration_minutes,
        summary=summary,
        description=description,
        join_url=join_url,
        organizer_email=organizer_email,
        stamp=now,
        sequence=sequence,
        cancelled=cancelled,
    )
    return _calendar([event], method="CANCEL" if cancelled else "PUBLISH", name=None)


def calendar_feed(events: Iterable[CalendarEvent], *, name: str | None = None) -> bytes:
    """One VCALENDAR holding every event, for staff to subscribe to."""
    return _calendar(events, method=None, name=name)


def _calendar(events: Iterable[CalendarEvent], *, method: str | None, name: str | None) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if method:
        lines.append(f"METHOD:{method}")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) for line in lines)


def _event_lines(event: CalendarEvent) -> Iterator[str]:
    if event.duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    if event.sequence < 0:
        raise ValueError("sequence must not be negative")
    end = event.start + timedelta(minutes=event.duration_minutes)
    yield "BEGIN:VEVENT"
    yield f"UID:{escape_text(event.uid)}"
    yield f"DTSTAMP:{utc_stamp(event.stamp)}"
    yield f"SEQUENCE:{event.sequence}"
    yield f"DTSTART:{utc_stamp(event.start)}"
    yield f"DTEND:{utc_stamp(end)}"
    yield f"SUMMARY:{escape_text(event.summary)}"
    if event.description:
        yield f"DESCRIPTION:{escape_text(event.description)}"
    if event.join_url:
        url = _strip_controls(event.join_url)
        yield f"LOCATION:{escape_text(url)}"
        yield f"URL:{url}"
    if event.organizer_email:
        yield f"ORGANIZER:mailto:{_strip_controls(event.organizer_email)}"
    yield f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}"
    yield "TRANSP:OPAQUE"
    yield "END:VEVENT"


def utc_stamp(moment: datetime) -> str:
    """An aware datetime as an RFC 5545 UTC DATE-TIME, e.g. ``20300304T103000Z``."""
    if moment.tzinfo is None:
        raise ValueError("calendar times must be aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    value = _NEWLINES.sub("\n", value)
    value = _TEXT_FORBIDDEN.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _strip_controls(value: str) -> str:
    return _ANY_CONTROL.sub("", value)


def fold(line: str) -> bytes:
    """One content line as UTF-8 with CRLF, folded so no physical line passes 75 octets."""
    data = line.encode("utf-8")
    if len(data) <= LINE_LIMIT:
        return data + CRLF
    parts: list[bytes] = []
    current = bytearray()
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > LINE_LIMIT:
            parts.append(bytes(current))
            current = bytearray(b" ")
        current += encoded
    parts.append(bytes(current))
    return CRLF.join(parts) + CRLF

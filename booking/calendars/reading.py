"""Busy intervals from iCalendar text; pure (no network, no database).

Rules:

* Recurring events are expanded with ``recurring-ical-events``: ``RRULE``/``RDATE``,
  ``EXDATE`` (a deleted occurrence does not block) and ``RECURRENCE-ID`` overrides (a
  moved occurrence blocks its new time, not the old one).
* An all-day event (``DTSTART`` a date) blocks whole local days in the consultant's zone,
  from midnight of its first day to midnight after its last (DST-safe, through
  :func:`booking.availability.resolve_wall_time`).
* Times with a ``TZID`` use that zone (``VTIMEZONE`` or IANA name, as icalendar reads them);
  floating times (no zone) are the consultant's local wall time.
* ``TRANSP:TRANSPARENT`` ("free") and ``STATUS:CANCELLED`` events do not block; nor does
  an event of no length (a date-time ``DTSTART`` without ``DTEND`` or ``DURATION``).
* Our own copies of bookings (written back, UID ending in :data:`OWN_UID_SUFFIX`) do not
  block either: the booking itself does, and a cancelled one frees its time at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from booking.availability import resolve_wall_time

if TYPE_CHECKING:
    from icalendar import Calendar

# icalendar and recurring_ical_events (50 ms and 6 MiB at import) are imported on first use:
# without a consultant's calendar a process never needs them.

__all__ = ["CalendarUnreadable", "busy_intervals"]

Interval = tuple[datetime, datetime]
#: The UIDs of bookings' calendar entries end so (see :func:`booking.service.book`).
OWN_UID_SUFFIX = "@consultbot"


class CalendarUnreadable(ValueError):
    """The text is not iCalendar data this module can read."""


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:  # floating: consultant's wall time
            return resolve_wall_time(value.date(), value.time().replace(tzinfo=None), zone)
        return value.astimezone(UTC)
    return resolve_wall_time(value, time(0), zone)  # a date: local midnight


def _blocks(event: object) -> bool:
    get = event.get  # type: ignore[attr-defined]
    transparency = str(get("TRANSP", "OPAQUE")).upper()
    status = str(get("STATUS", "CONFIRMED")).upper()
    own = str(get("UID", "")).endswith(OWN_UID_SUFFIX)
    return transparency != "TRANSPARENT" and status != "CANCELLED" and not own


def _span(event: object, zone: ZoneInfo) -> Interval | None:
    get = event.get  # type: ignore[attr-defined]
    start_prop = get("DTSTART")
    if start_prop is None:
        return None
    start = start_prop.dt
    end_prop, duration = get("DTEND"), get("DURATION")
    if end_prop is not None:
        end = end_prop.dt
    elif duration is not None:
        end = start + duration.dt
    elif isinstance(start, datetime):
        return None  # RFC 5545: ends when it starts
    else:
        end = start + timedelta(days=1)
    lower, upper = _instant(start, zone), _instant(end, zone)
    return (lower, upper) if upper > lower else None


def parse(text: str | bytes) -> Calendar:
    """One VCALENDAR; raises :class:`CalendarUnreadable` (no content in the message)."""
    from icalendar import Calendar

    try:
        return Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarUnreadable(f"not iCalendar data ({type(exc).__name__})") from exc


def busy_intervals(
    calendars: Iterable[str | bytes | Calendar],
    start: datetime,
    end: datetime,
    timezone: str,
) -> list[Interval]:
    """The merged busy intervals (aware UTC) of ``calendars`` overlapping ``[start, end)``,
    clipped to it; ``timezone`` is the consultant's (all-day and floating events)."""
    import recurring_ical_events
    from icalendar import Calendar

    zone = ZoneInfo(timezone)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    # Query in local dates a day wider: floating and all-day events are compared in the
    # library's own terms, and the exact clip happens below in UTC.
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=2)
    spans: list[Interval] = []
    for item in calendars:
        calendar = item if isinstance(item, Calendar) else parse(item)
        try:
            occurrences = recurring_ical_events.of(calendar).between(first, last)
        except Exception as exc:  # the library raises its own errors for broken rules
            raise CalendarUnreadable(f"events cannot be expanded ({type(exc).__name__})") \
                from exc
        for event in occurrences:
            if event.name != "VEVENT" or not _blocks(event):
                continue
            span = _span(event, zone)
            if span is not None and span[1] > start and span[0] < end:
                spans.append((max(span[0], start), min(span[1], end)))
    return merge(spans)


def merge(spans: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time (touching ones joined)."""
    merged: list[Interval] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged

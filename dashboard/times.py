"""Showing UTC instants in a person's zone, and durations, for the dashboard."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

LOCALE = "en_GB"


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The zone called ``name``, or ``fallback`` when it is missing or unknown."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this system knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def when(moment: datetime | None, zone_name: str | None, *, with_date: bool = True) -> str:
    """``Mon 9 Mar 2026, 14:00 GMT`` (or ``14:00 GMT``) in the given zone."""
    if moment is None:
        return ""
    pattern = "EEE d MMM y, HH:mm zzz" if with_date else "HH:mm zzz"
    return format_datetime(moment, pattern, tzinfo=zone(zone_name), locale=LOCALE)


def local_day_bounds(day: date, zone_name: str) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and ends in the zone."""
    tz = zone(zone_name)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def waited(delta: timedelta) -> str:
    """A waiting time such as ``45 min``, ``1 h 05 min`` or ``2 d 3 h``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"

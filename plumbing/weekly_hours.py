"""The compact text form of weekly hours used in settings, e.g. ``BOOKING_WEEKLY_HOURS``.

This is the settings' own grammar, so the settings can be checked at load time; the
booking domain turns the parsed hours into its windows (``booking.weekly_hours``).

Grammar: groups separated by ``;``; each group is days then time ranges::

    mon-fri 09:00-17:00
    mon-thu 09:00-12:30,13:30-17:00; sat 10:00-14:00
    mon,wed,fri 08:30-12:00; fri-sun 18:00-20:00

Days are ``mon tue wed thu fri sat sun`` (or full names, any case), single or as a range
``a-b`` that may wrap past Sunday (``fri-mon``), joined by commas. Times are 24-hour
``H:MM``/``HH:MM`` local wall time; a range must end after it starts on the same day
(no overnight ranges, and ``24:00`` is not accepted: end at ``23:59``). Ranges of one day
may touch but not overlap, also across groups.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import time
from itertools import pairwise
from typing import NamedTuple, Protocol

__all__ = ["DayHours", "format_weekly_hours", "parse_weekly_hours"]


class DayHours(NamedTuple):
    """One range of local wall-clock hours on a weekday (0=Monday)."""

    weekday: int
    start: time
    end: time


class _Hours(Protocol):
    @property
    def weekday(self) -> int: ...
    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_INDEX = {name: i for names in (DAY_NAMES, _FULL_NAMES) for i, name in enumerate(names)}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


def _parse_day(token: str, group: str) -> int:
    name = token.strip().lower()
    if name not in _DAY_INDEX:
        raise ValueError(
            f"unknown day {token.strip()!r} in {group!r}; use mon, tue, wed, thu, fri, sat, sun"
        )
    return _DAY_INDEX[name]


def _parse_days(text: str, group: str) -> list[int]:
    if not text.strip():
        raise ValueError(f"missing days before the hours in {group!r}, e.g. 'mon-fri 09:00-17:00'")
    days: list[int] = []
    for part in text.split(","):
        if not part.strip():
            raise ValueError(f"empty day between commas in {group!r}")
        if "-" in part:
            first_text, _, last_text = part.partition("-")
            first, last = _parse_day(first_text, group), _parse_day(last_text, group)
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            days.append(_parse_day(part, group))
    return days


def _parse_time(token: str, group: str) -> time:
    text = token.strip()
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} in {group!r} is not a time; write 24-hour HH:MM, e.g. 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes == 0:
        raise ValueError(f"24:00 in {group!r} is not supported; end the range at 23:59")
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} in {group!r} is not a valid time of day")
    return time(hours, minutes)


def _parse_ranges(text: str, group: str) -> list[tuple[time, time]]:
    ranges = []
    for part in text.split(","):
        if not part.strip():
            raise ValueError(f"empty time range between commas in {group!r}")
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise ValueError(f"{part.strip()!r} in {group!r} is not a range; write HH:MM-HH:MM")
        start, end = _parse_time(start_text, group), _parse_time(end_text, group)
        if end <= start:
            raise ValueError(
                f"range {part.strip()!r} in {group!r} must end after it starts "
                "(overnight ranges are not supported: split them at midnight)"
            )
        ranges.append((start, end))
    return ranges


def parse_weekly_hours(text: str) -> tuple[DayHours, ...]:
    """Parse the compact form into windows sorted by weekday and start.

    Raises ValueError naming the group and the part that is wrong.
    """
    windows: list[DayHours] = []
    for raw_group in text.split(";"):
        group = raw_group.strip()
        if not group:
            continue
        digit = re.search(r"\d", group)
        if digit is None:
            raise ValueError(f"no hours in {group!r}; write e.g. 'mon-fri 09:00-17:00'")
        if re.search(r"[a-z]", group[digit.start() :], re.IGNORECASE):
            raise ValueError(
                f"unexpected text after the hours in {group!r}; separate groups with ';', "
                "e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00'"
            )
        days = _parse_days(group[: digit.start()], group)
        ranges = _parse_ranges(group[digit.start() :], group)
        windows.extend(DayHours(day, start, end) for day in days for start, end in ranges)
    if not windows:
        raise ValueError("no weekly hours given; write e.g. 'mon-fri 09:00-17:00'")
    windows.sort(key=lambda w: (w.weekday, w.start, w.end))
    _reject_overlaps(windows)
    return tuple(windows)


def _reject_overlaps(windows: Sequence[_Hours]) -> None:
    """``windows`` sorted by weekday and start."""
    for before, after in pairwise(windows):
        if before.weekday == after.weekday and after.start < before.end:
            raise ValueError(
                f"{DAY_NAMES[before.weekday]}: {_range(before)} overlaps {_range(after)}"
            )


def _hhmm(value: time) -> str:
    if value.second or value.microsecond or value.tzinfo is not None:
        raise ValueError(f"{value.isoformat()} cannot be written as HH:MM")
    return f"{value:%H:%M}"


def _range(window: _Hours) -> str:
    return f"{_hhmm(window.start)}-{_hhmm(window.end)}"


def _day_list(days: list[int]) -> str:
    """Sorted weekdays as runs: [0, 1, 2, 4] -> 'mon-wed,fri'."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
        for run in runs
    )


def format_weekly_hours(windows: Iterable[_Hours]) -> str:
    """Write windows in the compact form; ``parse_weekly_hours`` reads it back unchanged.

    Days with identical hours share a group. Raises ValueError for times with seconds
    and for overlapping windows, which the text form cannot hold.
    """
    ordered = sorted(windows, key=lambda w: (w.weekday, w.start, w.end))
    if not ordered:
        raise ValueError("no weekly hours to format")
    _reject_overlaps(ordered)
    ranges_by_day: dict[int, list[str]] = {}
    for window in ordered:
        ranges_by_day.setdefault(window.weekday, []).append(_range(window))
    days_by_ranges: dict[str, list[int]] = {}
    for day, ranges in ranges_by_day.items():
        days_by_ranges.setdefault(",".join(ranges), []).append(day)
    return "; ".join(f"{_day_list(days)} {ranges}" for ranges, days in days_by_ranges.items())

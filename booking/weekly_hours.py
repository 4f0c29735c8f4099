"""Weekly hours in the settings' compact text form, as the booking domain's windows.

The grammar itself lives with the settings (:mod:`plumbing.weekly_hours`), which check it
at load time; this module only turns its day ranges into :class:`WeeklyWindow` values.
"""

from __future__ import annotations

from booking.availability import WeeklyWindow
from plumbing.weekly_hours import format_weekly_hours
from plumbing.weekly_hours import parse_weekly_hours as parse_day_hours

__all__ = ["format_weekly_hours", "parse_weekly_hours"]


def parse_weekly_hours(text: str) -> tuple[WeeklyWindow, ...]:
    """Parse the compact form into windows sorted by weekday and start.

    Raises ValueError naming the group and the part that is wrong.
    """
    return tuple(WeeklyWindow(*hours) for hours in parse_day_hours(text))

"""Reading busy intervals from iCalendar text (no server): zones, lengths, odd events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.calendars.reading import CalendarUnreadable, busy_intervals
from plumbing.settings import SettingsError, load_settings
from tests.booking.test_calendars import vcalendar, vevent

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read(*events: str, zone: str = "Europe/London") -> list[tuple[datetime, datetime]]:
    return busy_intervals([vcalendar(*events)], *MARCH, zone)


def test_an_all_day_event_on_the_spring_change_blocks_the_23_hour_local_day() -> None:
    assert read(vevent("a", "DTSTART;VALUE=DATE:20260329", "DTEND;VALUE=DATE:20260330")) == \
        [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))]


def test_an_all_day_event_without_an_end_is_one_day_and_several_days_join() -> None:
    assert read(vevent("a", "DTSTART;VALUE=DATE:20260310"),
                vevent("b", "DTSTART;VALUE=DATE:20260311", "DTEND;VALUE=DATE:20260313"),
                zone="Asia/Tehran") == [(utc(2026, 3, 9, 20, 30), utc(2026, 3, 12, 20, 30))]


def test_duration_no_end_and_outlook_zone_names() -> None:
    outlook_zone = ("BEGIN:VTIMEZONE\nTZID:Eastern Standard Time\nBEGIN:STANDARD\n"
                    "DTSTART:16010101T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\n"
                    "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\nEND:STANDARD\nBEGIN:DAYLIGHT\n"
                    "DTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\n"
                    "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n")
    found = busy_intervals([vcalendar(
        outlook_zone,
        vevent("d", "DTSTART:20260302T100000Z", "DURATION:PT45M"),
        vevent("n", "DTSTART:20260303T100000Z"),  # no length: blocks nothing
        vevent("o", "DTSTART;TZID=Eastern Standard Time:20260310T090000",
               "DTEND;TZID=Eastern Standard Time:20260310T100000"))], *MARCH, "Europe/London")
    assert found == [(utc(2026, 3, 2, 10), utc(2026, 3, 2, 10, 45)),
                     (utc(2026, 3, 10, 13), utc(2026, 3, 10, 14))]


def test_events_are_clipped_to_the_window_and_a_cancelled_occurrence_frees_its_time() -> None:
    found = read(
        vevent("long", "DTSTART:20260220T000000Z", "DTEND:20260302T120000Z"),
        vevent("s", "DTSTART:20260302T150000Z", "DTEND:20260302T160000Z",
               "RRULE:FREQ=DAILY;COUNT=3"),
        vevent("s", "RECURRENCE-ID:20260303T150000Z", "DTSTART:20260303T150000Z",
               "DTEND:20260303T160000Z", "STATUS:CANCELLED"))
    assert found == [(utc(2026, 3, 1), utc(2026, 3, 2, 12)),
                     (utc(2026, 3, 2, 15), utc(2026, 3, 2, 16)),
                     (utc(2026, 3, 4, 15), utc(2026, 3, 4, 16))]


def test_our_own_copies_of_bookings_do_not_block() -> None:
    assert read(vevent("0123abcd@consultbot", "DTSTART:20260302T100000Z",
                       "DTEND:20260302T103000Z")) == []


def test_text_that_is_not_icalendar_is_an_error_naming_no_content() -> None:
    with pytest.raises(CalendarUnreadable) as caught:
        busy_intervals(["Hearing of Anna at 10"], *MARCH, "Europe/London")
    assert "Anna" not in str(caught.value)


def test_calendar_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="CALENDAR_UNREADABLE: must be 'withhold' or"):
        load_settings(calendar_unreadable="ignore")
    with pytest.raises(SettingsError, match="CALENDAR_STALE_MINUTES must be longer"):
        load_settings(calendar_refresh_minutes=30, calendar_stale_minutes=30)

"""The compact weekly-hours text form: parsing, error messages and round trips."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.availability import WeeklyWindow
from booking.weekly_hours import format_weekly_hours, parse_weekly_hours


def w(day: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(day, time.fromisoformat(start), time.fromisoformat(end))


def test_weekdays_nine_to_five() -> None:
    assert parse_weekly_hours("mon-fri 09:00-17:00") == tuple(
        w(day, "09:00", "17:00") for day in range(5)
    )


def test_split_days_and_a_saturday() -> None:
    parsed = parse_weekly_hours("mon-thu 09:00-12:30,13:30-17:00; sat 10:00-14:00")
    expected = [
        window
        for day in range(4)
        for window in (w(day, "09:00", "12:30"), w(day, "13:30", "17:00"))
    ] + [w(5, "10:00", "14:00")]
    assert parsed == tuple(expected)


def test_lists_full_names_case_spaces_and_wrapping_ranges() -> None:
    assert parse_weekly_hours("  Monday , WED 8:30 - 12:00 ;") == (
        w(0, "08:30", "12:00"),
        w(2, "08:30", "12:00"),
    )
    assert [x.weekday for x in parse_weekly_hours("fri-mon 18:00-20:00")] == [0, 4, 5, 6]


def test_a_day_may_appear_in_two_groups_and_windows_may_touch() -> None:
    assert parse_weekly_hours("mon-fri 09:00-12:00; mon 12:00-13:00") == (
        w(0, "09:00", "12:00"),
        w(0, "12:00", "13:00"),
        *(w(day, "09:00", "12:00") for day in range(1, 5)),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no weekly hours given"),
        (" ; ", "no weekly hours given"),
        ("mon-fri", "no hours in 'mon-fri'"),
        ("09:00-17:00", "missing days before the hours"),
        ("mon-fryday 09:00-17:00", "unknown day 'fryday'"),
        ("mon,,tue 09:00-10:00", "empty day between commas"),
        ("mon 9-17", "'9' in 'mon 9-17' is not a time"),
        ("mon 09:00", "'09:00' in 'mon 09:00' is not a range"),
        ("mon 09:00-10:00,", "empty time range"),
        ("mon 25:00-26:00", "'25:00' in 'mon 25:00-26:00' is not a valid time"),
        ("mon 09:60-10:00", "'09:60' .* is not a valid time"),
        ("mon 09:00-24:00", "24:00 .* end the range at 23:59"),
        ("mon 17:00-09:00", "must end after it starts .*overnight"),
        ("mon 09:00-09:00", "must end after it starts"),
        ("mon 09:00-12:00,11:00-13:00", "mon: 09:00-12:00 overlaps 11:00-13:00"),
        ("mon-fri 09:00-17:00; wed 16:00-18:00", "wed: 09:00-17:00 overlaps 16:00-18:00"),
        ("mon 09:00-17:00 tue 09:00-12:00", "separate groups with ';'"),
    ],
)
def test_errors_name_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weekly_hours(text)


def test_format_groups_days_with_the_same_hours() -> None:
    windows = parse_weekly_hours(
        "sat 10:00-14:00; mon-thu 09:00-12:30,13:30-17:00; wed,fri 18:00-19:00"
    )
    text = format_weekly_hours(windows)
    assert text == (
        "mon-tue,thu 09:00-12:30,13:30-17:00; wed 09:00-12:30,13:30-17:00,18:00-19:00; "
        "fri 18:00-19:00; sat 10:00-14:00"
    )
    assert parse_weekly_hours(text) == windows


def test_format_rejects_what_the_text_cannot_hold() -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        format_weekly_hours([WeeklyWindow(0, time(9, 0, 30), time(10))])
    with pytest.raises(ValueError, match="overlaps"):
        format_weekly_hours([w(1, "09:00", "11:00"), w(1, "10:00", "12:00")])
    with pytest.raises(ValueError, match="no weekly hours"):
        format_weekly_hours([])


@st.composite
def week(draw) -> list[WeeklyWindow]:
    """Non-overlapping windows on minute boundaries, in any order."""
    windows = []
    for day in range(7):
        marks = sorted(draw(st.sets(st.integers(0, 24 * 60 - 1), max_size=6)))
        for start, end in zip(marks[::2], marks[1::2], strict=False):
            windows.append(
                WeeklyWindow(day, time(start // 60, start % 60), time(end // 60, end % 60))
            )
    draw(st.randoms()).shuffle(windows)
    return windows


@settings(max_examples=150)
@given(week().filter(bool))
def test_round_trip(windows: list[WeeklyWindow]) -> None:
    text = format_weekly_hours(windows)
    parsed = parse_weekly_hours(text)
    assert parsed == tuple(sorted(windows, key=lambda x: (x.weekday, x.start)))
    assert format_weekly_hours(parsed) == text

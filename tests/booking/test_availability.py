"""Free-slot computation: DST days in several zones, notice, horizon, overrides, buffers, limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.availability import (
    Busy,
    ConsultantSchedule,
    DateOverride,
    Slot,
    SlotRules,
    WeeklyWindow,
    free_slots,
    is_slot_free,
)

LONDON, NEW_YORK, SYDNEY, KOLKATA = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)


def rules(
    minutes: int = 60,
    buffer: int = 0,
    notice: timedelta = timedelta(0),
    horizon: timedelta = timedelta(days=14),
    daily_limit: int = 50,
) -> SlotRules:
    return SlotRules(
        duration=timedelta(minutes=minutes),
        buffer=timedelta(minutes=buffer),
        min_notice=notice,
        horizon=horizon,
        daily_limit=daily_limit,
    )


def hours(start: str, end: str, days: range | tuple[int, ...] = range(5)) -> tuple:
    return tuple(
        WeeklyWindow(day, time.fromisoformat(start), time.fromisoformat(end)) for day in days
    )


def schedule(zone: str, weekly: tuple = (), overrides: tuple = (), cid: int = 1):
    return ConsultantSchedule(cid, zone, weekly or hours("09:00", "17:00"), overrides)


def starts_on(slots: list[Slot], zone: str, day: date) -> list[datetime]:
    tz = ZoneInfo(zone)
    return [s.start for s in slots if s.start.astimezone(tz).date() == day]


def walls(slots: list[Slot], zone: str) -> list[str]:
    tz = ZoneInfo(zone)
    return [f"{s.start.astimezone(tz):%a %H:%M %Z}" for s in slots]


# --- weekly hours stay local across DST ------------------------------------------------


def test_london_spring_forward_week_keeps_nine_to_five_local() -> None:
    slots = free_slots([schedule(LONDON)], [], rules(), utc(2025, 3, 24))
    assert starts_on(slots, LONDON, date(2025, 3, 28)) == [
        utc(2025, 3, 28, h) for h in range(9, 17)
    ]
    assert starts_on(slots, LONDON, date(2025, 3, 31)) == [
        utc(2025, 3, 31, h) for h in range(8, 16)
    ]
    tz = ZoneInfo(LONDON)
    assert {s.start.astimezone(tz).hour for s in slots} == set(range(9, 17))
    assert len(slots) == 8 * 10  # two working weeks, nothing lost or duplicated


def test_london_fall_back_week_keeps_nine_to_five_local() -> None:
    slots = free_slots([schedule(LONDON)], [], rules(), utc(2025, 10, 20))
    assert starts_on(slots, LONDON, date(2025, 10, 24))[0] == utc(2025, 10, 24, 8)
    assert starts_on(slots, LONDON, date(2025, 10, 27))[0] == utc(2025, 10, 27, 9)
    assert walls(slots, LONDON)[:2] == ["Mon 09:00 BST", "Mon 10:00 BST"]
    assert walls(slots, LONDON)[-1] == "Fri 16:00 GMT"


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # Sunday 30 March 2025, London: 01:00 GMT jumps to 02:00 BST.
        (
            ("00:30", "03:00"),
            [utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1), utc(2025, 3, 30, 1, 30)],
        ),
        (("01:30", "03:00"), [utc(2025, 3, 30, 1), utc(2025, 3, 30, 1, 30)]),  # start in gap
        (("00:00", "01:30"), [utc(2025, 3, 30, 0), utc(2025, 3, 30, 0, 30)]),  # end in gap
        (("01:15", "01:45"), []),  # entirely in the gap: no slot at a non-existent time
    ],
)
def test_spring_forward_gap_edges_move_to_first_existing_instant(window, expected) -> None:
    override = DateOverride(
        date(2025, 3, 30), ((time.fromisoformat(window[0]), time.fromisoformat(window[1])),)
    )
    slots = free_slots(
        [schedule(LONDON, overrides=(override,))],
        [],
        rules(30),
        utc(2025, 3, 29, 12),
        end=utc(2025, 3, 30, 12),
    )
    assert [s.start for s in slots] == expected


def test_fall_back_repeated_hour_gives_distinct_non_overlapping_slots() -> None:
    # Sunday 26 October 2025, London: 02:00 BST falls back to 01:00 GMT; 01:xx happens twice.
    override = DateOverride(date(2025, 10, 26), ((time(0), time(3)),))
    slots = free_slots(
        [schedule(LONDON, overrides=(override,))],
        [],
        rules(60),
        utc(2025, 10, 25, 12),
        end=utc(2025, 10, 26, 12),
    )
    assert [s.start for s in slots] == [utc(2025, 10, 25, 23)] + [
        utc(2025, 10, 26, h) for h in range(3)
    ]
    tz = ZoneInfo(LONDON)
    assert [(f"{s.start.astimezone(tz):%H:%M}", s.start.astimezone(tz).fold) for s in slots] == [
        ("00:00", 0),
        ("01:00", 0),
        ("01:00", 1),
        ("02:00", 0),
    ]


@pytest.mark.parametrize(
    ("window", "expected_hours"),
    [
        (("01:00", "01:30"), [0]),
        (("01:00", "02:00"), [0, 0.5, 1, 1.5]),
        (("01:30", "02:00"), [0.5, 1, 1.5]),
    ],
)
def test_fall_back_window_edges_use_first_occurrence(window, expected_hours) -> None:
    override = DateOverride(
        date(2025, 10, 26), ((time.fromisoformat(window[0]), time.fromisoformat(window[1])),)
    )
    slots = free_slots(
        [schedule(LONDON, overrides=(override,))],
        [],
        rules(30),
        utc(2025, 10, 25, 12),
        end=utc(2025, 10, 26, 12),
    )
    assert [s.start for s in slots] == [
        utc(2025, 10, 26) + timedelta(hours=h) for h in expected_hours
    ]


def test_new_york_after_fall_back_still_starts_at_nine_local() -> None:
    # cal.com #10517: after 2 Nov the first slot showed at 8:00 instead of 9:00.
    slots = free_slots([schedule(NEW_YORK)], [], rules(), utc(2025, 10, 27))
    assert starts_on(slots, NEW_YORK, date(2025, 10, 31))[0] == utc(2025, 10, 31, 13)
    assert starts_on(slots, NEW_YORK, date(2025, 11, 3))[0] == utc(2025, 11, 3, 14)
    tz = ZoneInfo(NEW_YORK)
    assert {s.start.astimezone(tz).hour for s in slots} == set(range(9, 17))


def test_new_york_spring_forward_afternoon_hours() -> None:
    # cal.com #30021: 13:00-18:00 on the spring-forward date came out an hour late.
    override = DateOverride(date(2025, 3, 9), ((time(13), time(18)),))
    slots = free_slots(
        [schedule(NEW_YORK, overrides=(override,))],
        [],
        rules(),
        utc(2025, 3, 8),
        end=utc(2025, 3, 10),
    )
    assert [s.start for s in slots] == [utc(2025, 3, 9, h) for h in range(17, 22)]


def test_sydney_dst_starts_in_october() -> None:
    slots = free_slots([schedule(SYDNEY)], [], rules(), utc(2025, 9, 30))
    assert starts_on(slots, SYDNEY, date(2025, 10, 3))[0] == utc(2025, 10, 2, 23)  # AEST +10
    assert starts_on(slots, SYDNEY, date(2025, 10, 6))[0] == utc(2025, 10, 5, 22)  # AEDT +11


def test_sydney_dst_ends_in_april() -> None:
    slots = free_slots([schedule(SYDNEY)], [], rules(), utc(2025, 4, 1))
    assert starts_on(slots, SYDNEY, date(2025, 4, 4))[0] == utc(2025, 4, 3, 22)  # AEDT +11
    assert starts_on(slots, SYDNEY, date(2025, 4, 7))[0] == utc(2025, 4, 6, 23)  # AEST +10


def test_kolkata_half_hour_offset() -> None:
    slots = free_slots([schedule(KOLKATA)], [], rules(), utc(2025, 6, 8))
    assert starts_on(slots, KOLKATA, date(2025, 6, 9)) == [
        utc(2025, 6, 9, 3, 30) + timedelta(hours=h) for h in range(8)
    ]


# --- notice and horizon ----------------------------------------------------------------


def test_notice_ending_on_dst_day_is_elapsed_time() -> None:
    # cal.com #12137: a 7-day notice landing on the DST day shifted that month's slots.
    every_day = hours("09:00", "17:00", range(7))
    now = local(NEW_YORK, 2025, 10, 26, 12)  # 16:00Z; +7 days = 2 Nov 16:00Z = 11:00 EST
    slots = free_slots([schedule(NEW_YORK, every_day)], [], rules(notice=timedelta(days=7)), now)
    assert slots[0].start == utc(2025, 11, 2, 16)
    assert starts_on(slots, NEW_YORK, date(2025, 11, 2)) == [
        utc(2025, 11, 2, h) for h in range(16, 22)
    ]
    assert starts_on(slots, NEW_YORK, date(2025, 11, 3)) == [
        utc(2025, 11, 3, h) for h in range(14, 22)
    ]


def test_notice_across_spring_forward_in_london() -> None:
    every_day = hours("09:00", "17:00", range(7))
    slots = free_slots(
        [schedule(LONDON, every_day)], [], rules(notice=timedelta(hours=24)), utc(2025, 3, 29, 10)
    )
    assert slots[0].start == utc(2025, 3, 30, 10)  # 11:00 BST, not 10:00 BST
    assert walls(slots, LONDON)[0] == "Sun 11:00 BST"


def test_notice_off_grid_keeps_grid_aligned_to_window_start() -> None:
    now = utc(2025, 6, 9, 8, 20)  # 09:20 BST Monday
    slots = free_slots([schedule(LONDON)], [], rules(notice=timedelta(minutes=40)), now)
    assert slots[0].start == utc(2025, 6, 9, 9)  # 10:00 BST; never 10:00-past-cutoff 10:00+x


def test_horizon_is_inclusive_at_the_exact_instant() -> None:
    now = utc(2025, 6, 9, 8)  # Monday 09:00 BST
    slots = free_slots([schedule(LONDON)], [], rules(horizon=timedelta(days=2)), now)
    assert slots[0].start == now
    assert slots[-1].start == utc(2025, 6, 11, 8)  # Wednesday 09:00 BST
    assert len(slots) == 8 + 8 + 1


def test_start_and_end_narrow_to_a_day() -> None:
    tz = ZoneInfo(LONDON)
    day_start = datetime(2025, 6, 11, tzinfo=tz)
    slots = free_slots(
        [schedule(LONDON)],
        [],
        rules(),
        utc(2025, 6, 9),
        start=day_start,
        end=day_start + timedelta(days=1),
    )
    assert [s.start for s in slots] == [utc(2025, 6, 11, h) for h in range(8, 16)]


# --- overrides, buffers, limits --------------------------------------------------------


def test_overrides_day_off_extra_day_and_replaced_hours() -> None:
    overrides = (
        DateOverride(date(2025, 6, 11)),  # Wednesday off
        DateOverride(date(2025, 6, 12), ((time(13), time(15)),)),  # Thursday afternoon only
        DateOverride(date(2025, 6, 14), ((time(10), time(12)),)),  # Saturday extra hours
    )
    slots = free_slots(
        [schedule(LONDON, overrides=overrides)], [], rules(), utc(2025, 6, 9), end=utc(2025, 6, 16)
    )
    assert starts_on(slots, LONDON, date(2025, 6, 11)) == []
    assert starts_on(slots, LONDON, date(2025, 6, 12)) == [
        utc(2025, 6, 12, 12),
        utc(2025, 6, 12, 13),
    ]
    assert starts_on(slots, LONDON, date(2025, 6, 14)) == [
        utc(2025, 6, 14, 9),
        utc(2025, 6, 14, 10),
    ]
    assert len(starts_on(slots, LONDON, date(2025, 6, 13))) == 8


def test_buffer_keeps_distance_on_both_sides_and_steps_the_grid() -> None:
    weekly = hours("09:00", "13:00")
    booked = Busy(1, local(LONDON, 2025, 6, 9, 10), local(LONDON, 2025, 6, 9, 10, 30))
    slots = free_slots(
        [schedule(LONDON, weekly)],
        [booked],
        rules(30, buffer=15),
        utc(2025, 6, 9),
        end=utc(2025, 6, 10),
    )
    # Grid 09:00, 09:45, 10:30, 11:15, 12:00; busy 10:00-10:30 blocks 09:45-10:45.
    assert walls(slots, LONDON) == ["Mon 09:00 BST", "Mon 11:15 BST", "Mon 12:00 BST"]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    # A later busy time keeps the 12:00-12:30 slot away by the buffer before it, too.
    hold = Busy(1, local(LONDON, 2025, 6, 9, 12, 40), local(LONDON, 2025, 6, 9, 12, 50))
    slots = free_slots(
        [schedule(LONDON, weekly)], [booked, hold], rules(30, buffer=15), utc(2025, 6, 9)
    )
    assert walls(slots, LONDON)[:3] == ["Mon 09:00 BST", "Mon 11:15 BST", "Tue 09:00 BST"]


@pytest.mark.parametrize(("busy_end", "offered"), [(time(10, 0), True), (time(10, 1), False)])
def test_buffer_edge_touching_is_allowed(busy_end: time, offered: bool) -> None:
    day = date(2025, 6, 9)
    tz = ZoneInfo(LONDON)
    busy = Busy(1, datetime.combine(day, time(9, 30), tz), datetime.combine(day, busy_end, tz))
    slots = free_slots(
        [schedule(LONDON)], [busy], rules(60, buffer=15), utc(2025, 6, 9), end=utc(2025, 6, 10)
    )
    # Grid steps 75 min: 09:00, 10:15, ...; 10:15 needs the busy time to end by 10:00.
    assert ("Mon 10:15 BST" in walls(slots, LONDON)) is offered
    assert "Mon 09:00 BST" not in walls(slots, LONDON)


def test_busy_of_another_consultant_does_not_block() -> None:
    busy = Busy(2, utc(2025, 6, 9, 8), utc(2025, 6, 9, 16))
    slots = free_slots([schedule(LONDON)], [busy], rules(), utc(2025, 6, 9), end=utc(2025, 6, 10))
    assert len(slots) == 8


def test_daily_limit_counts_bookings_per_local_day() -> None:
    busy = [
        Busy(1, utc(2025, 6, 10, 8), utc(2025, 6, 10, 9)),
        Busy(1, utc(2025, 6, 10, 14), utc(2025, 6, 10, 15)),
    ]
    slots = free_slots(
        [schedule(LONDON)], busy, rules(daily_limit=2), utc(2025, 6, 9), end=utc(2025, 6, 12)
    )
    assert starts_on(slots, LONDON, date(2025, 6, 10)) == []
    assert len(starts_on(slots, LONDON, date(2025, 6, 9))) == 8
    assert len(starts_on(slots, LONDON, date(2025, 6, 11))) == 8
    three = free_slots(
        [schedule(LONDON)], busy, rules(daily_limit=3), utc(2025, 6, 9), end=utc(2025, 6, 12)
    )
    assert len(starts_on(three, LONDON, date(2025, 6, 10))) == 6


def test_daily_limit_uses_the_local_day_not_the_utc_day() -> None:
    # 19:30Z on 10 June is 01:00 on 11 June in Kolkata.
    busy = [Busy(1, utc(2025, 6, 10, 19, 30), utc(2025, 6, 10, 20))]
    slots = free_slots(
        [schedule(KOLKATA)],
        busy,
        rules(daily_limit=1),
        utc(2025, 6, 9, 20),
        end=utc(2025, 6, 12, 20),
    )
    assert len(starts_on(slots, KOLKATA, date(2025, 6, 10))) == 8
    assert starts_on(slots, KOLKATA, date(2025, 6, 11)) == []
    assert len(starts_on(slots, KOLKATA, date(2025, 6, 12))) == 8


def test_daily_limit_zero_offers_nothing() -> None:
    assert free_slots([schedule(LONDON)], [], rules(daily_limit=0), utc(2025, 6, 9)) == []


# --- several consultants ---------------------------------------------------------------


def test_two_consultants_in_different_zones_least_loaded_first() -> None:
    london, new_york = schedule(LONDON, cid=1), schedule(NEW_YORK, cid=2)
    busy = [Busy(1, utc(2025, 6, 9, 8), utc(2025, 6, 9, 9))]
    slots = free_slots([london, new_york], busy, rules(), utc(2025, 6, 9), end=utc(2025, 6, 10))
    by_hour = {s.start.hour: s.consultant_ids for s in slots}
    assert by_hour == {
        9: (1,),
        10: (1,),
        11: (1,),
        12: (1,),
        13: (2, 1),
        14: (2, 1),
        15: (2, 1),
        16: (2,),
        17: (2,),
        18: (2,),
        19: (2,),
        20: (2,),
    }


def test_slots_are_sorted_and_unique_across_consultants() -> None:
    a = schedule(LONDON, hours("09:00", "12:00"), cid=1)
    b = schedule(LONDON, hours("09:30", "12:00"), cid=2)
    slots = free_slots([a, b], [], rules(), utc(2025, 6, 9), end=utc(2025, 6, 10))
    assert walls(slots, LONDON) == [
        "Mon 09:00 BST",
        "Mon 09:30 BST",
        "Mon 10:00 BST",
        "Mon 10:30 BST",
        "Mon 11:00 BST",
    ]
    assert [s.consultant_ids for s in slots] == [(1,), (2,), (1,), (2,), (1,)]


# --- re-checking one slot --------------------------------------------------------------


def test_is_slot_free_agrees_with_free_slots() -> None:
    sched = schedule(LONDON)
    busy = [
        Busy(1, utc(2025, 6, 9, 10), utc(2025, 6, 9, 11)),
        Busy(2, utc(2025, 6, 9, 12), utc(2025, 6, 9, 13)),
    ]
    r, now = rules(notice=timedelta(hours=2)), utc(2025, 6, 9, 7)
    offered = {s.start for s in free_slots([sched], busy, r, now, end=utc(2025, 6, 10))}
    assert utc(2025, 6, 9, 12) in offered  # other consultant's busy time is irrelevant
    for minutes in range(0, 24 * 60, 15):
        candidate = utc(2025, 6, 9) + timedelta(minutes=minutes)
        assert is_slot_free(sched, busy, r, now, candidate) is (candidate in offered), candidate
    assert not is_slot_free(sched, busy, r, now, utc(2025, 6, 9, 8))  # inside the notice
    assert is_slot_free(sched, busy, r, now, utc(2025, 6, 9, 9))
    assert not is_slot_free(sched, busy, r, now, utc(2025, 6, 30, 9))  # past the horizon


# --- input validation ------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2025, 6, 9, 9)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        free_slots([schedule(LONDON)], [], rules(), naive)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        free_slots([schedule(LONDON)], [], rules(), utc(2025, 6, 9), start=naive)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        free_slots([schedule(LONDON)], [], rules(), utc(2025, 6, 9), end=naive)
    with pytest.raises(ValueError, match="slot_start must be timezone-aware"):
        is_slot_free(schedule(LONDON), [], rules(), utc(2025, 6, 9), naive)
    with pytest.raises(ValueError, match=r"Busy\.start"):
        Busy(1, naive, utc(2025, 6, 9, 10))


def test_invalid_models_are_rejected() -> None:
    with pytest.raises(ValueError, match="overnight"):
        WeeklyWindow(0, time(22), time(2))
    with pytest.raises(ValueError, match="weekday"):
        WeeklyWindow(7, time(9), time(10))
    with pytest.raises(ValueError, match="unknown time zone"):
        ConsultantSchedule(1, "Mars/Olympus", ())
    with pytest.raises(ValueError, match="duration"):
        rules(0)
    with pytest.raises(ValueError, match="after"):
        Busy(1, utc(2025, 6, 9, 10), utc(2025, 6, 9, 10))
    with pytest.raises(ValueError, match="only one schedule"):
        free_slots([schedule(LONDON), schedule(NEW_YORK)], [], rules(), utc(2025, 6, 9))


# --- properties ------------------------------------------------------------------------

PROPERTY_ZONES = (LONDON, NEW_YORK, SYDNEY)


def _quarter(index: int) -> time:
    return time(index // 4, index % 4 * 15) if index < 96 else time(23, 59)


def _window(low: int, high: int) -> st.SearchStrategy[tuple[time, time]]:
    """A window on quarter hours between quarter indexes ``low`` and ``high`` (96 = 23:59)."""
    return st.integers(low, high - 1).flatmap(
        lambda a: st.integers(a + 1, high).map(lambda b: (_quarter(a), _quarter(b)))
    )


def _transition_days(zone: str) -> list[date]:
    """Local dates in 2025-2027 on which ``zone`` changes its UTC offset."""
    tz, days, day = ZoneInfo(zone), [], date(2025, 1, 1)
    while day.year < 2028:
        noon = datetime.combine(day, time(12), tz)
        if noon.utcoffset() != (noon - timedelta(days=1)).utcoffset():
            days.append(day - timedelta(days=1))
        day += timedelta(days=1)
    return days


TRANSITIONS = {zone: _transition_days(zone) for zone in PROPERTY_ZONES}
DAY_WINDOWS = _window(6 * 4, 96)  # 06:00-23:59: clear of these zones' DST changes
NIGHT_WINDOWS = st.one_of(_window(0, 5 * 4), _window(0, 96))


@st.composite
def scenarios(draw, *, near_dst_change: bool):
    """One or two consultants with hours, busy times, rules, ``now`` and probe offsets.

    ``near_dst_change``: one zone for everybody, ``now`` shortly before one of its DST
    changes, and hours at night on that weekday, so slots fall in gaps and repeated hours.
    """
    windows = NIGHT_WINDOWS if near_dst_change else DAY_WINDOWS
    if near_dst_change:
        zone = draw(st.sampled_from(PROPERTY_ZONES))
        zones = st.just(zone)
        change = draw(st.sampled_from(TRANSITIONS[zone]))
        midnight = datetime.combine(change, time(), ZoneInfo(zone)).astimezone(UTC)
        now = midnight - timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        notice = timedelta(minutes=draw(st.integers(0, 12 * 60)))
        horizon = notice + timedelta(days=draw(st.integers(3, 6)))
        forced = [(change.weekday(), draw(_window(0, 5 * 4)))]
    else:
        zones = st.sampled_from(PROPERTY_ZONES)
        now = draw(
            st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
        )
        notice = timedelta(minutes=draw(st.integers(0, 2 * 24 * 60)))
        horizon = notice + timedelta(minutes=draw(st.integers(24 * 60, 8 * 24 * 60)))
        forced = []
    r = SlotRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 20, 30, 45, 60, 90]))),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 5, 10, 15, 30]))),
        min_notice=notice,
        horizon=horizon,
        daily_limit=draw(st.integers(1, 5)),
    )
    schedules = []
    for cid in range(1, draw(st.integers(1, 2)) + 1):
        weekly = forced + draw(
            st.lists(st.tuples(st.integers(0, 6), windows), min_size=3, max_size=10)
        )
        override_days = draw(st.lists(st.integers(0, 10), max_size=3, unique=True))
        overrides = tuple(
            DateOverride(now.date() + timedelta(days=d), tuple(draw(st.lists(windows, max_size=2))))
            for d in override_days
        )
        schedules.append(
            ConsultantSchedule(
                cid,
                draw(zones),
                tuple(WeeklyWindow(day, start, end) for day, (start, end) in weekly),
                overrides,
            )
        )
    busy = [
        Busy(cid, now + timedelta(minutes=offset), now + timedelta(minutes=offset + length))
        for cid, offset, length in draw(
            st.lists(
                st.tuples(
                    st.integers(1, 2), st.integers(-24 * 60, 10 * 24 * 60), st.integers(5, 180)
                ),
                max_size=25,
            )
        )
    ]
    probes = draw(st.lists(st.integers(0, 10 * 24 * 4), max_size=8))
    return schedules, busy, r, now, probes


def _hours_on(sched: ConsultantSchedule, day: date) -> list[tuple[time, time]]:
    for override in sched.overrides:
        if override.day == day:
            return list(override.windows)
    return [(w.start, w.end) for w in sched.weekly if w.weekday == day.weekday()]


def _covered(windows: list[tuple[time, time]], start: time, end: time) -> bool:
    """Whether [start, end] lies inside the union of ``windows`` (touching windows join)."""
    reach: tuple[time, time] | None = None
    for low, high in sorted(windows):
        if reach is not None and low <= reach[1]:
            reach = (reach[0], max(reach[1], high))
            continue
        if reach is not None and reach[0] <= start and end <= reach[1]:
            return True
        reach = (low, high)
    return reach is not None and reach[0] <= start and end <= reach[1]


def _check_invariants(schedules, busy, r, now, probes, slots) -> None:
    by_id = {s.consultant_id: s for s in schedules}
    starts = [s.start for s in slots]
    assert starts == sorted(set(starts)), "sorted and unique by start"
    last_end: dict[int, datetime] = {}
    for slot in slots:
        assert slot.end - slot.start == r.duration
        assert slot.start >= now + r.min_notice
        assert slot.start <= now + r.horizon
        assert slot.consultant_ids and len(set(slot.consultant_ids)) == len(slot.consultant_ids)
        for cid in slot.consultant_ids:
            tz = ZoneInfo(by_id[cid].timezone)
            assert slot.start >= last_end.get(cid, slot.start), (
                "overlapping slots of one consultant"
            )
            last_end[cid] = slot.end
            mine = [b for b in busy if b.consultant_id == cid]
            for b in mine:
                assert slot.end <= b.start - r.buffer or slot.start >= b.end + r.buffer
            day = slot.start.astimezone(tz).date()
            assert sum(b.start.astimezone(tz).date() == day for b in mine) < r.daily_limit
    # is_slot_free agrees both ways: on offered slots, grid neighbours and random instants.
    offered = {(s.start, cid) for s in slots for cid in s.consultant_ids}
    near = [s.start + k * r.step for s in slots[:6] for k in (-1, 0, 1)]
    instants = near + [now + timedelta(minutes=15 * p) for p in probes]
    for instant in instants:
        for sched in schedules:
            expected = (instant, sched.consultant_id) in offered
            assert is_slot_free(sched, busy, r, now, instant) is expected, (instant, sched)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(near_dst_change=False))
def test_property_slots_respect_every_rule(scenario) -> None:
    schedules, busy, r, now, probes = scenario
    slots = free_slots(schedules, busy, r, now)
    _check_invariants(schedules, busy, r, now, probes, slots)
    by_id = {s.consultant_id: s for s in schedules}
    for slot in slots:  # back in local wall time, every slot lies inside that day's hours
        for cid in slot.consultant_ids:
            tz = ZoneInfo(by_id[cid].timezone)
            start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
            assert start.date() == end.date()
            assert _covered(_hours_on(by_id[cid], start.date()), start.time(), end.time())


def _edge(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Oracle by scanning: the first instant whose local wall time reaches ``wall`` on ``day``.

    Exact here: these zones change on whole hours and the windows sit on quarter hours.
    """
    target = datetime.combine(day, wall)
    instant = datetime.combine(day, time(), UTC) - timedelta(hours=15)
    while instant.astimezone(tz).replace(tzinfo=None) < target:
        instant += timedelta(minutes=15)
    return instant


def _merge_spans(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(near_dst_change=True))
def test_property_night_hours_around_dst_changes(scenario) -> None:
    schedules, busy, r, now, probes = scenario
    slots = free_slots(schedules, busy, r, now)
    _check_invariants(schedules, busy, r, now, probes, slots)
    for slot in slots:  # inside the real stretch of time between a window's edges
        for cid in slot.consultant_ids:
            sched = next(s for s in schedules if s.consultant_id == cid)
            tz = ZoneInfo(sched.timezone)
            day = slot.start.astimezone(tz).date()
            spans = [(_edge(day, a, tz), _edge(day, b, tz)) for a, b in _hours_on(sched, day)]
            assert any(a <= slot.start and slot.end <= b for a, b in _merge_spans(spans)), slot

"""How long free-slot computation takes, and how it grows with days and with bookings.

Run: ``.venv/bin/python bench/bench_availability.py``. Main case: 10 consultants in five
zones, 60 days, 2,000 existing bookings. Each figure is the best of several runs on
seeded random data; ratios are to the main case measured in the same run.
"""

from __future__ import annotations

import random
import time as clock
from datetime import UTC, datetime, timedelta

from booking.availability import Busy, ConsultantSchedule, SlotRules, free_slots
from booking.weekly_hours import parse_weekly_hours

ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/Berlin")
HOURS = ("mon-fri 09:00-12:30,13:30-17:30", "mon-thu 08:00-16:00; sat 10:00-14:00")
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # spans March/April DST changes north and south
CONSULTANTS = 10
BASE_DAYS, BASE_BOOKINGS = 60, 2000
REPEATS = 7


def scenario(days: int, bookings: int, seed: int = 7):
    """Schedules, bookings spread over ``days``, and rules with a ``days`` horizon."""
    rng = random.Random(seed)
    schedules = [
        ConsultantSchedule(cid, ZONES[cid % len(ZONES)], parse_weekly_hours(HOURS[cid % 2]))
        for cid in range(1, CONSULTANTS + 1)
    ]
    busy = []
    for _ in range(bookings):
        start = NOW + timedelta(minutes=5 * rng.randrange(days * 24 * 12))
        busy.append(Busy(rng.randint(1, CONSULTANTS), start, start + timedelta(minutes=30)))
    rules = SlotRules(
        duration=timedelta(minutes=30),
        buffer=timedelta(minutes=10),
        min_notice=timedelta(hours=12),
        horizon=timedelta(days=days),
        daily_limit=100,  # high, so bookings do not simply switch whole days off
    )
    return schedules, busy, rules


def measure(days: int, bookings: int) -> tuple[float, int]:
    """Best wall time in seconds over REPEATS runs, and the number of slots offered."""
    schedules, busy, rules = scenario(days, bookings)
    best, count = float("inf"), 0
    for _ in range(REPEATS):
        started = clock.perf_counter()
        count = len(free_slots(schedules, busy, rules, NOW))
        best = min(best, clock.perf_counter() - started)
    return best, count


def main() -> None:
    base, base_slots = measure(BASE_DAYS, BASE_BOOKINGS)
    print(
        f"main case: {CONSULTANTS} consultants, {BASE_DAYS} days, {BASE_BOOKINGS} bookings: "
        f"{base * 1000:.1f} ms ({base_slots} slots)"
    )
    print()
    print(f"{'days':>6} {'bookings':>9} {'ms':>9} {'x main':>7} {'slots':>6}")
    cases = [(d, BASE_BOOKINGS) for d in (15, 30, 60, 120)]
    cases += [(BASE_DAYS, b) for b in (500, 1000, 2000, 4000)]
    for days, bookings in cases:
        seconds, slots = measure(days, bookings)
        print(f"{days:>6} {bookings:>9} {seconds * 1000:>9.1f} {seconds / base:>7.2f} {slots:>6}")


if __name__ == "__main__":
    main()

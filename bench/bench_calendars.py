"""What consultants' calendars cost: one refresh of 10 calendars of 60 days, and the
free-slot query with their busy times on, beside ``bench_availability``'s main case.

Run: ``.venv/bin/python bench/bench_calendars.py`` (needs the dev tools: Radicale).

1. Refresh: 10 consultants in five zones, each with a calendar of 60 days (about three
   meetings a weekday, two weekly series each with a moved and a deleted occurrence, two
   days of leave, some "free" events), served by a local Radicale (CalDAV) and by a local
   HTTP server (feed). Times carry IANA ``TZID`` names without ``VTIMEZONE`` blocks
   (icalendar maps the names). In a trial, a ``VTIMEZONE`` in every event listing each
   transition as ``RDATE`` (as icalendar's ``add_missing_timezones`` writes them) made
   parsing several times slower. Timed: reading (network, parsing, expanding) and storing
   into a SQLite cache, all 10 one after another and 4 at once (as the worker reads);
   plus the parsing alone.
2. Free slots: ``bench_availability``'s main case (10 consultants, 60 days, 2,000
   bookings) computed without and with those calendars' busy intervals, in the same run,
   pure; then the same through ``booking.service.find_free_slots`` on SQLite, where the
   cache is read from the database too. Best of several runs; ratios to "without".
"""

from __future__ import annotations

import random
import sys
import tempfile
import time as clock
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests/ (the servers)

from bench_availability import BASE_BOOKINGS, BASE_DAYS, CONSULTANTS, NOW, ZONES, scenario

from booking.availability import Busy, free_slots
from booking.calendars import reading, refresh, store
from booking.calendars.models import CALDAV, FEED, CalendarBusy
from booking.calendars.sources import CalendarSource, fetch_caldav
from booking.models import Booking, Consultant, WeeklyHours
from booking.service import find_free_slots
from booking.weekly_hours import parse_weekly_hours
from bot.models import Conversation
from consultbot.runtime import build_runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.booking.calendar_server import PASSWORD, USER, Radicale, feed_server

REPEATS = 5
HOURS = ("mon-fri 09:00-12:30,13:30-17:30", "mon-thu 08:00-16:00; sat 10:00-14:00")


def events_of(consultant: int, days: int, seed: int = 11) -> list[Event]:
    """About 140 events over ``days`` in the consultant's zone."""
    rng = random.Random(seed * 100 + consultant)
    zone = ZoneInfo(ZONES[consultant % len(ZONES)])
    first = NOW.astimezone(zone).date()
    found: list[Event] = []

    def event(start: datetime | date, end: datetime | date, **extra: object) -> Event:
        item = Event()
        item.add("uid", uuid.uuid4().hex)
        item.add("dtstamp", NOW)
        item.add("dtstart", start)
        item.add("dtend", end)
        item.add("summary", "busy")
        for key, value in extra.items():
            item.add(key, value)
        found.append(item)
        return item

    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for _ in range(3):
            start = datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30))),
                                     zone)
            event(start, start + timedelta(minutes=rng.choice((30, 60, 90, 120))))
    for series in range(2):
        start = datetime.combine(first + timedelta(days=series + 1), time(8, 0), zone)
        until = NOW + timedelta(days=days)
        master = event(start, start + timedelta(hours=1),
                       rrule={"freq": "weekly", "until": until})
        master.add("exdate", start + timedelta(weeks=2))
        moved = Event()
        moved.add("uid", master["UID"])
        moved.add("dtstamp", NOW)
        moved.add("recurrence-id", start + timedelta(weeks=3))
        moved.add("dtstart", start + timedelta(weeks=3, hours=6))
        moved.add("dtend", start + timedelta(weeks=3, hours=7))
        found.append(moved)
    for leave in (10, 40):
        event(first + timedelta(days=leave), first + timedelta(days=leave + 1))
    for _ in range(5):
        start = datetime.combine(first + timedelta(days=rng.randrange(days)), time(12), zone)
        event(start, start + timedelta(hours=1), transp="TRANSPARENT")
    return found


def resources(events: list[Event]) -> list[str]:
    """One VCALENDAR per UID, as a CalDAV server stores them."""
    by_uid: dict[str, list[Event]] = {}
    for item in events:
        by_uid.setdefault(str(item["UID"]), []).append(item)
    texts = []
    for items in by_uid.values():
        calendar = Calendar()
        calendar.add("prodid", "-//bench//EN")
        calendar.add("version", "2.0")
        for item in items:
            calendar.add_component(item)
        texts.append(calendar.to_ical().decode())  # TZID names IANA zones (see module doc)
    return texts


def feed(events: list[Event]) -> str:
    calendar = Calendar()
    calendar.add("prodid", "-//bench//EN")
    calendar.add("version", "2.0")
    for item in events:
        calendar.add_component(item)
    return calendar.to_ical().decode()


def best(run, repeats: int = REPEATS) -> float:  # type: ignore[no-untyped-def]
    fastest = float("inf")
    for _ in range(repeats):
        started = clock.perf_counter()
        run()
        fastest = min(fastest, clock.perf_counter() - started)
    return fastest


def make_runtime(folder: Path, clock_: ManualClock):  # type: ignore[no-untyped-def]
    settings = load_settings(database_url=f"sqlite:///{folder / 'bench.db'}",
                             data_encryption_key=new_key(), booking_horizon_days=BASE_DAYS,
                             booking_daily_limit=100, booking_min_notice_hours=12)
    runtime = build_runtime(settings, clock=clock_)
    with runtime.db.transaction() as session:
        for row in session.exec(select(Consultant)).all():
            row.active = False
            session.add(row)
        for cid in range(1, CONSULTANTS + 1):
            consultant = Consultant(name=f"C{cid}", email=f"c{cid}@example.org",
                                    timezone=ZONES[cid % len(ZONES)], active=True, created_at=NOW)
            session.add(consultant)
            session.flush()
            for window in parse_weekly_hours(HOURS[cid % 2]):
                session.add(WeeklyHours(consultant_id=consultant.id, weekday=window.weekday,
                                        start_time=window.start, end_time=window.end))
    return runtime


def add_bookings(runtime, busy: list[Busy], ids: dict[int, int]) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.transaction() as session:
        person = Conversation(channel="console", user_id="bench", state="menu",
                              created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        seen = set()
        for number, item in enumerate(busy):
            key = (ids[item.consultant_id], item.start)
            if key in seen:
                continue
            seen.add(key)
            session.add(Booking(consultant_id=key[0], conversation_id=person.id,
                                channel="console", recipient="bench", language="en",
                                applicant_timezone="UTC", start=item.start, end=item.end,
                                created_at=NOW, request_key=f"b{number}", ics_uid=f"u{number}"))


def main() -> None:
    per_consultant = {cid: events_of(cid, BASE_DAYS) for cid in range(1, CONSULTANTS + 1)}
    total_events = sum(len(v) for v in per_consultant.values())
    start, end = NOW - store.LOOKBACK, NOW + timedelta(days=BASE_DAYS) + store.HORIZON_MARGIN
    texts = {cid: resources(events) for cid, events in per_consultant.items()}
    parse_only = best(lambda: [reading.busy_intervals(texts[cid], start, end,
                                                      ZONES[cid % len(ZONES)])
                               for cid in texts])
    spans = {cid: reading.busy_intervals(texts[cid], start, end, ZONES[cid % len(ZONES)])
             for cid in texts}
    print(f"calendars: {CONSULTANTS} consultants x {BASE_DAYS} days, {total_events} events, "
          f"{sum(len(s) for s in spans.values())} busy intervals after merging")
    print(f"  parse + expand only (10 calendars):          {parse_only * 1000:8.1f} ms")

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        clock_ = ManualClock(NOW)
        runtime = make_runtime(root, clock_)
        with runtime.db.transaction() as session:
            ids = {cid: c.id for cid, c in enumerate(session.exec(
                select(Consultant).where(Consultant.active).order_by(Consultant.id)).all(),
                start=1)}
        server = Radicale(root)
        try:
            uploaded = clock.perf_counter()
            sources = {}
            for cid, items in texts.items():
                calendar = server.new_calendar()
                # Items written straight into Radicale's storage folder (a PUT each would
                # take minutes on a shared machine); Radicale reads them like its own.
                folder_of = root / "storage" / "collection-root" / USER / \
                    str(calendar.url).rstrip("/").rsplit("/", 1)[1]
                for number, text in enumerate(items):
                    (folder_of / f"item{number}.ics").write_text(text)
                sources[cid] = CalendarSource(CALDAV, str(calendar.url), USER, PASSWORD)
            print(f"  (calendars stored in Radicale, not timed: "
                  f"{clock.perf_counter() - uploaded:.1f} s)")
            with runtime.db.transaction() as session:
                for cid, source in sources.items():
                    store.save_source(session, runtime.cipher, ids[cid], source, NOW)
            warmed = clock.perf_counter()
            for source in sources.values():  # Radicale indexes new items on the first read
                fetch_caldav(source, start, end, timeout=600)
            print(f"  (Radicale's first reading, indexing, not timed: "
                  f"{clock.perf_counter() - warmed:.1f} s)")

            def caldav_round(parallel: int) -> None:
                clock_.advance(timedelta(minutes=5))
                jobs = refresh.claim_due(runtime.db, runtime.cipher, clock_(), 20)
                assert len(jobs) == CONSULTANTS
                done = refresh.run(runtime.db, runtime.cipher, runtime.settings, clock_, jobs,
                                   on_outage=lambda *_: None, parallel=parallel)
                assert done == CONSULTANTS, done

            caldav = best(lambda: caldav_round(1), 2)
            caldav_parallel = best(lambda: caldav_round(refresh.PARALLEL), 2)
        finally:
            server.stop()
        print(f"  refresh over CalDAV (Radicale) + store, one by one: {caldav * 1000:8.1f} ms "
              f"({caldav * 100:.1f} ms a calendar)")
        print(f"  the same, {refresh.PARALLEL} at once (as the worker reads):   "
              f"{caldav_parallel * 1000:8.1f} ms")

        feeds = {cid: feed(items) for cid, items in per_consultant.items()}
        with feed_server(feeds[1]) as server_feed:
            with runtime.db.transaction() as session:
                for cid in feeds:
                    store.save_source(session, runtime.cipher, ids[cid],
                                      CalendarSource(FEED, server_feed.url), NOW)
            bodies = {ids[cid]: body for cid, body in feeds.items()}

            def feed_round() -> None:
                clock_.advance(timedelta(minutes=5))
                jobs = refresh.claim_due(runtime.db, runtime.cipher, clock_(), 20)
                for job in jobs:
                    server_feed.body = bodies[job.consultant_id]  # each one's own feed
                    refresh.run(runtime.db, runtime.cipher, runtime.settings, clock_, [job],
                                on_outage=lambda *_: None)

            feed_time = best(feed_round, 2)
        print(f"  refresh over iCalendar feeds (HTTP) + store, one by one: "
              f"{feed_time * 1000:8.1f} ms "
              f"({feed_time * 100:.1f} ms a calendar)")
        with runtime.db.transaction() as session:
            cached = len(session.exec(select(CalendarBusy.id)).all())
        print(f"  cached busy intervals: {cached}")

        # --- free slots: without and with calendars, same data, same run ----------------
        schedules, busy, rules = scenario(BASE_DAYS, BASE_BOOKINGS)
        calendar_busy = [Busy(cid, s, e, counts=False)
                         for cid, items in spans.items() for s, e in items]
        without = best(lambda: free_slots(schedules, busy, rules, NOW), 7)
        with_cal = best(lambda: free_slots(schedules, busy + calendar_busy, rules, NOW), 7)
        slots_without = len(free_slots(schedules, busy, rules, NOW))
        slots_with = len(free_slots(schedules, busy + calendar_busy, rules, NOW))
        print()
        print(f"free slots, {CONSULTANTS} consultants, {BASE_DAYS} days, {BASE_BOOKINGS} bookings "
              "(bench_availability's main case):")
        print(f"  pure, without calendars: {without * 1000:8.1f} ms ({slots_without} slots)")
        print(f"  pure, with calendars:    {with_cal * 1000:8.1f} ms ({slots_with} slots), "
              f"x{with_cal / without:.2f}")

        add_bookings(runtime, busy, ids)
        settings = runtime.settings

        def query() -> int:
            with runtime.db.transaction() as session:
                return len(find_free_slots(session, settings, NOW))

        def calendars_on(on: bool) -> None:
            with runtime.db.transaction() as session:
                for cid, db_id in ids.items():
                    row = store.save_source(session, runtime.cipher, db_id, CalendarSource(
                        FEED, "https://calendar.example.org/feed.ics") if on else None, NOW)
                    if row is not None:
                        store.store_success(session, row, spans[cid], NOW, NOW,
                                            timedelta(minutes=5))

        timings: dict[bool, float] = {True: float("inf"), False: float("inf")}
        for _ in range(3):  # alternate, so neither side gets the quieter moments
            for on in (False, True):
                calendars_on(on)
                timings[on] = min(timings[on], best(query, 3))
        print(f"  find_free_slots on SQLite, without calendars: {timings[False] * 1000:8.1f} ms")
        print(f"  find_free_slots on SQLite, with calendars:    {timings[True] * 1000:8.1f} ms, "
              f"x{timings[True] / timings[False]:.2f}")
        runtime.db.dispose()


if __name__ == "__main__":
    main()

"""Consultants' calendars against a real CalDAV server (Radicale) and a local feed: what
blocks, the free slots offered, the fresh reading at confirmation, unreachable servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from booking import service
from booking.availability import Slot
from booking.calendars import refresh, store
from booking.calendars.models import CALDAV, FEED, CalendarBusy, ConsultantCalendar
from booking.calendars.sources import CalendarSource
from booking.models import Booking, BookingStatus, Consultant
from bot.calendar_checks import run_calendar_jobs
from bot.engine import Bot
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage
from tests.booking.calendar_server import PASSWORD, USER, Radicale, feed_server, free_port
from tests.booking.test_service import book, person
from tests.bot.test_booking_chat import intake
from tests.fixtures import START


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


NEW_YORK = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
"""


def vcalendar(*parts: str) -> str:
    return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + "".join(parts) + \
        "END:VCALENDAR\n"


def vevent(uid: str, *lines: str) -> str:
    return f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260201T000000Z\n" + \
        "".join(f"{line}\n" for line in lines) + "END:VEVENT\n"


#: Weekly hearing on Tuesdays 10:00-11:00 London from 3 March, four times; the one of
#: 10 March moved to 15:00-16:00, the one of 17 March deleted.
HEARINGS = vcalendar(
    vevent("hearings", "SUMMARY:Hearing", "DTSTART;TZID=Europe/London:20260303T100000",
           "DTEND;TZID=Europe/London:20260303T110000", "RRULE:FREQ=WEEKLY;COUNT=4",
           "EXDATE;TZID=Europe/London:20260317T100000"),
    vevent("hearings", "SUMMARY:Hearing (moved)",
           "RECURRENCE-ID;TZID=Europe/London:20260310T100000",
           "DTSTART;TZID=Europe/London:20260310T150000",
           "DTEND;TZID=Europe/London:20260310T160000"))
#: Leave on Thursday 5 March, all day (in the consultant's zone, Berlin).
LEAVE = vcalendar(vevent("leave", "SUMMARY:Leave", "DTSTART;VALUE=DATE:20260305",
                         "DTEND;VALUE=DATE:20260306"))
#: "Free" and cancelled events block nothing.
FREE = vcalendar(vevent("free", "SUMMARY:Office hours", "DTSTART:20260306T090000Z",
                        "DTEND:20260306T110000Z", "TRANSP:TRANSPARENT"))
CANCELLED = vcalendar(vevent("cancelled", "SUMMARY:Call off", "STATUS:CANCELLED",
                             "DTSTART:20260306T130000Z", "DTEND:20260306T140000Z"))
#: Wednesdays 09:00-09:30 New York, across the US change to summer time on 8 March:
#: 14:00 UTC on 4 March, 13:00 UTC after.
NEW_YORK_CALLS = vcalendar(NEW_YORK, vevent(
    "ny", "SUMMARY:Call with New York", "DTSTART;TZID=America/New_York:20260304T090000",
    "DTEND;TZID=America/New_York:20260304T093000", "RRULE:FREQ=WEEKLY;COUNT=3"))
#: A floating time: 12:00 on the consultant's wall clock (Berlin), 11:00 UTC.
FLOATING = vcalendar(vevent("floating", "SUMMARY:Lunch", "DTSTART:20260309T120000",
                            "DTEND:20260309T130000"))

EXPECTED = [
    (utc(2026, 3, 3, 10), utc(2026, 3, 3, 11)),  # hearing
    (utc(2026, 3, 4, 14), utc(2026, 3, 4, 14, 30)),  # New York, winter time
    (utc(2026, 3, 4, 23), utc(2026, 3, 5, 23)),  # leave: 5 March in Berlin
    (utc(2026, 3, 9, 11), utc(2026, 3, 9, 12)),  # floating lunch
    (utc(2026, 3, 10, 15), utc(2026, 3, 10, 16)),  # the moved hearing
    (utc(2026, 3, 11, 13), utc(2026, 3, 11, 13, 30)),  # New York, summer time
    (utc(2026, 3, 18, 13), utc(2026, 3, 18, 13, 30)),
    (utc(2026, 3, 24, 10), utc(2026, 3, 24, 11)),  # hearing (17 March deleted)
]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime]) -> Runtime:
    """The default consultant, Mon-Fri 09:00-17:00 Berlin; staff alerted by e-mail."""
    return make_runtime(booking_timezone="Europe/Berlin", staff_alert_emails="ops@example.org")


@pytest.fixture
def any_rt(make_runtime: Callable[..., Runtime], any_database_url: str) -> Runtime:
    """Like ``rt``, on SQLite and on PostgreSQL."""
    return make_runtime(booking_timezone="Europe/Berlin", staff_alert_emails="ops@example.org",
                        database_url=any_database_url)


def consultant_id(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        found = session.exec(select(Consultant.id)).first()
        assert found is not None
        return found


def connect(runtime: Runtime, source: CalendarSource, who: int | None = None) -> int:
    who = who or consultant_id(runtime)
    with runtime.db.transaction() as session:
        store.save_source(session, runtime.cipher, who, source, runtime.clock())
    return who


def caldav_source(calendar: object, password: str = PASSWORD) -> CalendarSource:
    return CalendarSource(CALDAV, str(calendar.url), USER, password)  # type: ignore[attr-defined]


def cached(runtime: Runtime) -> list[tuple[datetime, datetime]]:
    with runtime.db.transaction() as session:
        rows = session.exec(select(CalendarBusy).order_by(CalendarBusy.start)).all()
        return [(r.start, r.end) for r in rows]


def free(runtime: Runtime) -> list[Slot]:
    with runtime.db.transaction() as session:
        return service.find_free_slots(session, runtime.settings, runtime.clock())


def alerts(runtime: Runtime) -> list[str]:
    with runtime.db.transaction() as session:
        rows = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "staff_alert")).all()
        return [runtime.cipher.decrypt_json(r.payload_enc)["replies"][0]["text"] for r in rows]


def clashes(slot: Slot, busy: list[tuple[datetime, datetime]], buffer: timedelta) -> bool:
    return any(slot.start < end + buffer and slot.end > start - buffer for start, end in busy)


def test_caldav_events_block_exactly_their_times(any_rt: Runtime, radicale: Radicale,
                                                clock: ManualClock) -> None:
    rt = any_rt
    calendar = radicale.new_calendar()
    for text in (HEARINGS, LEAVE, FREE, CANCELLED, NEW_YORK_CALLS, FLOATING):
        calendar.save_event(text)
    before = free(rt)
    connect(rt, caldav_source(calendar))
    assert free(rt) == []  # connected but not read yet: withheld

    assert run_calendar_jobs(rt) == 1
    assert cached(rt) == EXPECTED
    after = free(rt)
    buffer = timedelta(minutes=rt.settings.booking_buffer_minutes)
    # Exactly the slots that come within the buffer of a busy time are gone.
    assert [s.start for s in after] == [s.start for s in before
                                        if not clashes(s, EXPECTED, buffer)]
    assert len(after) < len(before)
    starts = {s.start for s in after}
    assert utc(2026, 3, 6, 9, 20) in starts and utc(2026, 3, 6, 13, 20) in starts  # free/cancelled
    assert utc(2026, 3, 17, 10, 0) in starts  # the deleted hearing
    assert not any(utc(2026, 3, 4, 23) <= s < utc(2026, 3, 5, 23) for s in starts)  # leave
    with rt.db.transaction() as session:
        row = session.exec(select(ConsultantCalendar)).one()
        assert (row.last_success_at, row.busy_count, row.failing_since) == (START, 8, None)
        assert PASSWORD not in row.config_enc and USER not in row.config_enc
    # The next reading is due after CALENDAR_REFRESH_MINUTES, not before.
    assert run_calendar_jobs(rt) == 0
    clock.advance(timedelta(minutes=5))
    assert run_calendar_jobs(rt) == 1


def test_an_event_added_after_the_reading_blocks_the_slot_at_confirmation(
        make_runtime: Callable[..., Runtime], radicale: Radicale, clock: ManualClock) -> None:
    rt = make_runtime()  # London, Mon-Fri 09:00-17:00
    calendar = radicale.new_calendar()
    connect(rt, caldav_source(calendar))
    run_calendar_jobs(rt)
    chat = ConsoleChannel(Bot(rt), "anna")
    intake(chat)
    chat.send("Yes, that is right")
    chat.send("Tue 3 Mar")
    assert "keeping this time for you" in chat.send("9:40")
    # The consultant puts a hearing into their calendar; the cache has not seen it.
    calendar.save_event(vcalendar(vevent("late", "DTSTART:20260303T093000Z",
                                         "DTEND:20260303T103000Z")))
    clock.advance(timedelta(minutes=2))
    answer = chat.send("Confirm")
    assert "Sorry, someone has just booked that time." in answer
    assert "9:40" not in answer.split("booked that time.")[1]
    with rt.db.transaction() as session:
        assert session.exec(select(Booking)).all() == []
    assert (utc(2026, 3, 3, 9, 30), utc(2026, 3, 3, 10, 30)) in cached(rt)


def test_a_reading_within_the_minute_is_trusted_at_confirmation(
        make_runtime: Callable[..., Runtime], radicale: Radicale, clock: ManualClock) -> None:
    rt = make_runtime()
    calendar = radicale.new_calendar()
    connect(rt, caldav_source(calendar))
    run_calendar_jobs(rt)
    chat = ConsoleChannel(Bot(rt), "anna")
    intake(chat)
    chat.send("Yes, that is right")
    chat.send("Tue 3 Mar")
    chat.send("9:40")
    clock.advance(timedelta(seconds=30))
    assert "Your free consultation is booked" in chat.send("Confirm")
    with rt.db.transaction() as session:
        [booking] = session.exec(select(Booking)).all()
        assert (booking.status, booking.start) == (BookingStatus.CONFIRMED, utc(2026, 3, 3, 9, 40))


def test_an_unreachable_server_withholds_the_consultant_and_alerts_staff_once(
        rt: Runtime, clock: ManualClock) -> None:
    connect(rt, CalendarSource(CALDAV, f"http://127.0.0.1:{free_port()}/dav/cal/", USER,
                               PASSWORD))
    assert run_calendar_jobs(rt) == 0
    assert free(rt) == []
    [alert] = alerts(rt)
    assert alert.startswith("Cannot read the calendar of Consultant since ")
    assert "cannot be reached" in alert and "not offered" in alert
    assert PASSWORD not in alert and "127.0.0.1" not in alert
    clock.advance(timedelta(minutes=1))
    assert run_calendar_jobs(rt) == 0  # retried a minute later, still down
    assert len(alerts(rt)) == 1  # one alert per outage


def test_a_server_going_down_after_a_reading_withholds_or_offers_by_setting(
        make_runtime: Callable[..., Runtime], tmp_path: Path, clock: ManualClock) -> None:
    server = Radicale(tmp_path)
    try:
        calendar = server.new_calendar()
        calendar.save_event(HEARINGS)
        withhold = make_runtime(staff_alert_emails="ops@example.org")
        connect(withhold, caldav_source(calendar))
        assert run_calendar_jobs(withhold) == 1
        offered = free(withhold)
        assert offered
    finally:
        server.stop()
    clock.advance(timedelta(minutes=5))
    assert run_calendar_jobs(withhold) == 0
    assert free(withhold) == []
    assert len(alerts(withhold)) == 1
    # The same database with CALENDAR_UNREADABLE=offer: the last reading is used.
    offer = make_runtime(calendar_unreadable="offer", data_encryption_key=
                         withhold.settings.data_encryption_key.get_secret_value())  # type: ignore[union-attr]
    assert [s.start for s in free(offer)] == [s.start for s in offered]
    with offer.db.transaction() as session:  # and booked: staff know the calendar is down
        who = person(session, "anna")
        booking = book(session, offer.settings, who, offered[0].start, "k1", now=clock())
        assert booking.status == BookingStatus.CONFIRMED


def test_a_wrong_password_is_named_as_the_reason(rt: Runtime, radicale: Radicale) -> None:
    calendar = radicale.new_calendar()
    connect(rt, caldav_source(calendar, password="wrong"))
    assert run_calendar_jobs(rt) == 0
    with rt.db.transaction() as session:
        row = session.exec(select(ConsultantCalendar)).one()
        assert row.last_error == "the CalDAV server refused the user or password (reading)"
        assert row.failing_since == START
    assert free(rt) == []


def test_a_stale_cache_counts_as_unreadable(rt: Runtime, radicale: Radicale,
                                            clock: ManualClock) -> None:
    calendar = radicale.new_calendar()
    connect(rt, caldav_source(calendar))
    run_calendar_jobs(rt)
    assert free(rt)
    clock.advance(timedelta(minutes=rt.settings.calendar_stale_minutes + 1))
    assert free(rt) == []  # the worker stopped reading: not trusted any more


def test_an_icalendar_feed_from_a_local_http_server(rt: Runtime, clock: ManualClock) -> None:
    with feed_server(vcalendar(NEW_YORK, HEARINGS[HEARINGS.index("BEGIN:VEVENT"):
                                                  HEARINGS.index("END:VCALENDAR")],
                               LEAVE[LEAVE.index("BEGIN:VEVENT"):LEAVE.index("END:VCALENDAR")],
                               FREE[FREE.index("BEGIN:VEVENT"):FREE.index("END:VCALENDAR")]
                               )) as feed:
        connect(rt, CalendarSource(FEED, feed.url))
        assert run_calendar_jobs(rt) == 1
        assert cached(rt) == [EXPECTED[0], EXPECTED[2], EXPECTED[4], EXPECTED[7]]
        assert feed.requests == 1
        feed.status = 500
        clock.advance(timedelta(minutes=5))
        assert run_calendar_jobs(rt) == 0
    with rt.db.transaction() as session:
        row = session.exec(select(ConsultantCalendar)).one()
        assert row.last_error == "the feed answered HTTP 500"
        assert row.last_success_at == START
    assert free(rt) == []
    assert len(alerts(rt)) == 1


def test_a_feed_that_is_not_icalendar_is_a_failure_not_an_empty_calendar(rt: Runtime) -> None:
    with feed_server("<html>Sign in</html>") as feed:
        connect(rt, CalendarSource(FEED, feed.url))
        assert run_calendar_jobs(rt) == 0
    with rt.db.transaction() as session:
        row = session.exec(select(ConsultantCalendar)).one()
        assert row.last_error is not None and row.last_error.startswith("not iCalendar data")
    assert free(rt) == []


def test_a_slow_reading_never_overwrites_a_fresher_one(rt: Runtime, clock: ManualClock) -> None:
    connect(rt, CalendarSource(FEED, "https://calendar.example.org/secret.ics"))
    early = refresh.jobs_for(rt.db, rt.cipher, [consultant_id(rt)])

    def answer(_source: CalendarSource, _start: datetime, _end: datetime) -> list[str]:
        return [LEAVE]

    clock.advance(timedelta(seconds=10))
    refresh.run(rt.db, rt.cipher, rt.settings, rt.clock, refresh.jobs_for(
        rt.db, rt.cipher, [consultant_id(rt)]), on_outage=lambda *_: None, fetch=answer)
    clock.set(START)  # the earlier reading answers last, with nothing busy

    def empty(_source: CalendarSource, _start: datetime, _end: datetime) -> list[str]:
        return [vcalendar()]

    assert refresh.run(rt.db, rt.cipher, rt.settings, rt.clock, early,
                       on_outage=lambda *_: None, fetch=empty) == 0
    assert cached(rt) == [EXPECTED[2]]


def test_the_outbox_worker_round_reads_due_calendars(rt: Runtime, clock: ManualClock) -> None:
    from consultbot.worker import Worker

    with feed_server(LEAVE) as feed:
        connect(rt, CalendarSource(FEED, feed.url))
        Worker(rt, senders={}).tick()
        assert feed.requests == 1
        Worker(rt, senders={}).tick()
        assert feed.requests == 1  # not due again for CALENDAR_REFRESH_MINUTES
        clock.advance(timedelta(minutes=rt.settings.calendar_refresh_minutes))
        Worker(rt, senders={}).tick()
        assert feed.requests == 2
    assert cached(rt) == [EXPECTED[2]]

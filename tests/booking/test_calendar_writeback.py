"""CALENDAR_WRITE_BACK against a real Radicale: a booking appears in the consultant's CalDAV
calendar, moves with it (to another consultant's calendar too) and goes when cancelled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta

import caldav
import pytest
from caldav.lib import error as dav_error
from sqlmodel import select

from booking import service
from booking.calendars.models import CalendarCopy
from booking.models import Consultant, WeeklyHours
from bot.calendar_checks import run_calendar_jobs
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from tests.booking.calendar_server import Radicale
from tests.booking.test_calendars import cached, caldav_source, connect, consultant_id
from tests.booking.test_service import book, person

TUE_0900 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], any_database_url: str) -> Runtime:
    return make_runtime(calendar_write_back=True, database_url=any_database_url)


def copy_in(calendar: caldav.Calendar, uid: str) -> tuple[datetime, datetime, int] | None:
    try:
        event = calendar.event_by_uid(uid)
    except dav_error.NotFoundError:
        return None
    vevent = event.icalendar_component
    return vevent["DTSTART"].dt, vevent["DTEND"].dt, int(vevent.get("SEQUENCE", 0))


def test_a_booking_is_copied_moved_and_removed(rt: Runtime, radicale: Radicale,
                                               clock: ManualClock) -> None:
    calendar = radicale.new_calendar()
    connect(rt, caldav_source(calendar))
    run_calendar_jobs(rt)
    with rt.db.transaction() as session:
        who = person(session, "anna")
        booking = book(session, rt.settings, who, TUE_0900, "k1")
        uid, booking_id = booking.ics_uid, booking.id
    assert run_calendar_jobs(rt) == 1
    assert copy_in(calendar, uid) == (TUE_0900, TUE_0900 + timedelta(minutes=30), 0)
    event = calendar.event_by_uid(uid).icalendar_component
    assert str(event["SUMMARY"]) == "Consultation (The Human Rights)"
    assert run_calendar_jobs(rt) == 0  # nothing more to do

    # Our own copy, read back from the calendar, does not block anything twice.
    clock.advance(timedelta(minutes=5))
    run_calendar_jobs(rt)
    assert cached(rt) == []

    later = TUE_0900 + timedelta(hours=2)
    with rt.db.transaction() as session:
        moved = service.reschedule(session, rt.settings, clock(), booking_id=booking_id,
                                   conversation_id=who, start=later, request_key="k2")
        moved_id = moved.id
    assert run_calendar_jobs(rt) == 1
    assert copy_in(calendar, uid) == (later, later + timedelta(minutes=30), 1)

    with rt.db.transaction() as session:
        service.cancel(session, moved_id, clock(), by="person")
    assert run_calendar_jobs(rt) == 1
    assert copy_in(calendar, uid) is None
    with rt.db.transaction() as session:
        copy = session.exec(select(CalendarCopy)).one()
        assert (copy.written_consultant_id, copy.booking_id) == (None, moved_id)


def test_a_move_to_another_consultant_moves_the_copy_between_calendars(
        rt: Runtime, radicale: Radicale, clock: ManualClock) -> None:
    first_calendar, second_calendar = radicale.new_calendar(), radicale.new_calendar()
    first = connect(rt, caldav_source(first_calendar))
    with rt.db.transaction() as session:
        other = Consultant(name="Second", email="second@example.org", timezone="Europe/London",
                           active=True, created_at=clock())
        session.add(other)
        session.flush()
        assert other.id is not None
        second = other.id
        for weekday in range(5):
            session.add(WeeklyHours(consultant_id=second, weekday=weekday,
                                    start_time=time(9), end_time=time(17)))
    connect(rt, caldav_source(second_calendar), second)
    run_calendar_jobs(rt)
    with rt.db.transaction() as session:
        who = person(session, "anna")
        booking = book(session, rt.settings, who, TUE_0900, "k1", preferred_consultant_id=first)
        uid, booking_id = booking.ics_uid, booking.id
        assert booking.consultant_id == first
    run_calendar_jobs(rt)
    assert copy_in(first_calendar, uid) is not None
    later = TUE_0900 + timedelta(hours=2)
    with rt.db.transaction() as session:
        moved = service.reschedule(session, rt.settings, clock(), booking_id=booking_id,
                                   conversation_id=who, start=later, request_key="k2",
                                   preferred_consultant_id=second)
        assert moved.consultant_id == second
    assert run_calendar_jobs(rt) == 1
    assert copy_in(first_calendar, uid) is None
    assert copy_in(second_calendar, uid) == (later, later + timedelta(minutes=30), 1)
    assert consultant_id(rt) == first


def test_a_server_down_keeps_the_copy_due_and_retries_later(
        make_runtime: Callable[..., Runtime], tmp_path, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    rt = make_runtime(calendar_write_back=True, calendar_unreadable="offer")
    server = Radicale(tmp_path)
    calendar = server.new_calendar()
    connect(rt, caldav_source(calendar))
    run_calendar_jobs(rt)
    server.stop()
    with rt.db.transaction() as session:
        who = person(session, "anna")
        uid = book(session, rt.settings, who, TUE_0900, "k1").ics_uid
    assert run_calendar_jobs(rt) == 0
    with rt.db.transaction() as session:
        copy = session.exec(select(CalendarCopy)).one()
        assert copy.attempts == 1 and copy.written_consultant_id is None
        assert copy.last_error is not None and "cannot be reached" in copy.last_error
        assert copy.next_attempt_at == clock() + timedelta(seconds=30)
    assert run_calendar_jobs(rt) == 0  # not due yet: no second attempt
    with rt.db.transaction() as session:
        assert session.exec(select(CalendarCopy)).one().attempts == 1
    assert uid


def test_nothing_is_written_back_unless_switched_on(
        make_runtime: Callable[..., Runtime], radicale: Radicale) -> None:
    rt = make_runtime()
    calendar = radicale.new_calendar()
    connect(rt, caldav_source(calendar))
    run_calendar_jobs(rt)
    with rt.db.transaction() as session:
        uid = book(session, rt.settings, person(session, "anna"), TUE_0900, "k1").ics_uid
    run_calendar_jobs(rt)
    assert copy_in(calendar, uid) is None
    with rt.db.transaction() as session:
        assert session.exec(select(CalendarCopy)).all() == []

"""The booking service on a real database: default consultant, holds, book, cancel, reschedule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from booking import service
from booking.models import (
    Booking,
    BookingStatus,
    Consultant,
    DateOverride,
    MeetingStatus,
    SlotHold,
    WeeklyHours,
)
from bot.models import Conversation
from consultbot.runtime import Runtime, build_runtime
from plumbing.clock import ManualClock
from plumbing.settings import Settings, SettingsError
from tests.fixtures import START

# With the defaults (Mon-Fri 09:00-17:00 London, 30 min + 10 min buffer, 12 h notice) the
# first slot after START (Mon 2 March 09:30 UTC) is Tuesday 09:00.
TUE_0900 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
TUE_0940 = TUE_0900 + timedelta(minutes=40)


@pytest.fixture
def rt(any_database_url: str, make_runtime: Callable[..., Runtime]) -> Iterator[Runtime]:
    runtime = make_runtime(database_url=any_database_url)
    yield runtime
    runtime.db.dispose()


def person(session: Session, name: str) -> int:
    conversation = Conversation(channel="console", user_key=name, state="menu",
                                created_at=START, updated_at=START)
    session.add(conversation)
    session.flush()
    assert conversation.id is not None
    return conversation.id


def book(session: Session, settings: Settings, who: int, start: datetime, key: str,
         now: datetime = START, **extra: object) -> Booking:
    return service.book(session, settings, now, conversation_id=who, start=start,
                        request_key=key, channel="console",
                        language="en", applicant_timezone="Europe/Berlin", **extra)


def starts(session: Session, settings: Settings, who: int | None = None,
           now: datetime = START) -> list[datetime]:
    return [s.start for s in service.find_free_slots(session, settings, now, conversation_id=who)]


def add_consultant(session: Session, name: str, zone: str = "Europe/London",
                   hours: tuple[time, time] = (time(9), time(17))) -> int:
    consultant = Consultant(name=name, email=f"{name}@example.org", timezone=zone,
                            created_at=START)
    session.add(consultant)
    session.flush()
    assert consultant.id is not None
    for weekday in range(5):
        session.add(WeeklyHours(consultant_id=consultant.id, weekday=weekday,
                                start_time=hours[0], end_time=hours[1]))
    return consultant.id


# --- default consultant ---------------------------------------------------------------


def test_first_start_creates_one_consultant_with_the_settings_hours(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        [consultant] = session.exec(select(Consultant)).all()
        hours = session.exec(select(WeeklyHours)).all()
        assert (consultant.name, consultant.timezone, consultant.active) == \
            ("Consultant", "Europe/London", True)
        assert sorted((h.weekday, h.start_time, h.end_time) for h in hours) == \
            [(d, time(9), time(17)) for d in range(5)]
        assert starts(session, rt.settings)[:3] == [
            TUE_0900, TUE_0940, TUE_0900 + timedelta(minutes=80)]
    # A second start (another process) adds nobody.
    again = build_runtime(rt.settings, clock=rt.clock)
    with again.db.transaction() as session:
        assert len(session.exec(select(Consultant)).all()) == 1
        assert service.ensure_default_consultant(session, rt.settings, START) is None
    again.db.dispose()


def test_default_hours_are_local_time_of_the_configured_zone(make_runtime: Callable[..., Runtime],
                                                             clock: ManualClock) -> None:
    runtime = make_runtime(booking_timezone="America/New_York",
                           booking_weekly_hours="sat 10:00-11:00", booking_buffer_minutes=0)
    with runtime.db.transaction() as session:
        found = starts(session, runtime.settings)
    # Saturday 7 March: New York is UTC-5; on Saturday 14 March, after the US change, UTC-4.
    assert found[:4] == [datetime(2026, 3, 7, 15, 0, tzinfo=UTC),
                         datetime(2026, 3, 7, 15, 30, tzinfo=UTC),
                         datetime(2026, 3, 14, 14, 0, tzinfo=UTC),
                         datetime(2026, 3, 14, 14, 30, tzinfo=UTC)]


def test_unreadable_weekly_hours_name_the_setting(make_runtime: Callable[..., Runtime]) -> None:
    with pytest.raises(SettingsError, match="BOOKING_WEEKLY_HOURS"):
        make_runtime(booking_weekly_hours="weekdays nine to five")


# --- holds and bookings ---------------------------------------------------------------


def test_a_hold_hides_the_slot_from_others_until_it_expires(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        hold = service.hold_slot(session, rt.settings, START, conversation_id=anna,
                                 start=TUE_0900)
        assert hold.expires_at == START + timedelta(minutes=rt.settings.booking_hold_minutes)
        assert TUE_0900 in starts(session, rt.settings, anna)  # not blocked by her own hold
        assert TUE_0900 not in starts(session, rt.settings, boris)
        with pytest.raises(service.SlotTaken) as taken:
            service.hold_slot(session, rt.settings, START, conversation_id=boris, start=TUE_0900)
        assert taken.value.nearest[0].start == TUE_0940
        later = hold.expires_at + timedelta(seconds=1)
        assert TUE_0900 in starts(session, rt.settings, boris, now=later)
        # A new hold replaces the person's previous one.
        service.hold_slot(session, rt.settings, START, conversation_id=anna, start=TUE_0940)
        mine = session.exec(select(SlotHold).where(SlotHold.conversation_id == anna)).all()
        assert [h.start for h in mine] == [TUE_0940]


def test_booking_takes_the_slot_and_the_buffer_around_it(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        service.hold_slot(session, rt.settings, START, conversation_id=anna, start=TUE_0940)
        booking = book(session, rt.settings, anna, TUE_0940, "anna:1", case_id=None)
        assert (booking.status, booking.start, booking.end) == \
            (BookingStatus.CONFIRMED, TUE_0940, TUE_0940 + timedelta(minutes=30))
        assert booking.meeting_status == MeetingStatus.NONE  # no Zoom, no fallback link
        assert session.exec(select(SlotHold)).all() == []  # the hold is used up
        free = starts(session, rt.settings, boris)
        assert TUE_0940 not in free
        assert TUE_0900 in free and TUE_0940 + timedelta(minutes=40) in free


def test_the_same_confirmation_twice_makes_one_booking(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna = person(session, "anna")
        first = book(session, rt.settings, anna, TUE_0900, "anna:7")
        again = book(session, rt.settings, anna, TUE_0900, "anna:7")
        assert again.id == first.id
        assert len(session.exec(select(Booking)).all()) == 1


def test_a_taken_slot_offers_the_nearest_free_ones(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        target = TUE_0900 + timedelta(minutes=160)  # 11:40
        book(session, rt.settings, anna, target, "anna:1")
        with pytest.raises(service.SlotTaken) as taken:
            book(session, rt.settings, boris, target, "boris:1")
        nearest = [s.start for s in taken.value.nearest]
        assert len(nearest) == service.NEAREST_COUNT
        assert nearest == sorted(nearest) and target not in nearest
        assert target - timedelta(minutes=80) in nearest  # 10:20, before it
        assert target + timedelta(minutes=40) in nearest  # 12:20, after it
        assert all(abs(s - target) <= timedelta(minutes=120) for s in nearest)


def test_bookings_are_spread_over_free_consultants(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        second = add_consultant(session, "second")
        people = [person(session, n) for n in ("a", "b", "c")]
        one = book(session, rt.settings, people[0], TUE_0900, "a:1")
        two = book(session, rt.settings, people[1], TUE_0900, "b:1")
        assert {one.consultant_id, two.consultant_id} == {1, second}
        with pytest.raises(service.SlotTaken):
            book(session, rt.settings, people[2], TUE_0900, "c:1")
        # The next slot goes to whoever is less loaded that day: a tie, so by id.
        three = book(session, rt.settings, people[2], TUE_0940, "c:2")
        assert three.consultant_id == 1


def test_the_unique_index_refuses_a_second_active_booking_of_a_slot(rt: Runtime) -> None:
    def row(who: int, key: str, status: str) -> Booking:
        return Booking(consultant_id=1, conversation_id=who, channel="console",
                       language="en", applicant_timezone="UTC", start=TUE_0900,
                       end=TUE_0900 + timedelta(minutes=30), status=status, created_at=START,
                       request_key=key, ics_uid=key)

    with rt.db.transaction() as session:
        who = person(session, "anna")
        session.add(row(who, "cancelled-1", BookingStatus.CANCELLED))
        session.add(row(who, "rescheduled-1", BookingStatus.RESCHEDULED))
        session.add(row(who, "live-1", BookingStatus.CONFIRMED))
        session.flush()  # inactive rows do not count
    with pytest.raises(IntegrityError), rt.db.transaction() as session:
        session.add(row(who, "live-2", BookingStatus.CONFIRMED))
        session.flush()


def test_date_overrides_give_days_off_and_extra_hours(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        session.add(DateOverride(consultant_id=1, day=date(2026, 3, 3), hours=""))
        session.add(DateOverride(consultant_id=1, day=date(2026, 3, 7), hours="10:00-11:00"))
        found = starts(session, rt.settings)
    assert not any(s.date() == date(2026, 3, 3) for s in found)
    assert [s for s in found if s.date() == date(2026, 3, 7)] == [
        datetime(2026, 3, 7, 10, 0, tzinfo=UTC)]
    assert found[0] == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_the_daily_limit_closes_a_day(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(booking_daily_limit=2)
    with runtime.db.transaction() as session:
        a, b = person(session, "a"), person(session, "b")
        book(session, runtime.settings, a, TUE_0900, "a:1")
        service.hold_slot(session, runtime.settings, START, conversation_id=b, start=TUE_0940)
        others = person(session, "c")
        assert not any(s.date() == date(2026, 3, 3) for s in starts(session, runtime.settings,
                                                                   others))


def test_notice_and_horizon_limit_the_offer(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        found = starts(session, rt.settings)
    assert found[0] >= START + timedelta(hours=rt.settings.booking_min_notice_hours)
    assert found[-1] <= START + timedelta(days=rt.settings.booking_horizon_days)


# --- cancel and reschedule ------------------------------------------------------------


def test_cancel_frees_the_slot_and_asks_for_the_meeting_to_go(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        booking = book(session, rt.settings, anna, TUE_0900, "anna:1")
        booking.meeting_id, booking.meeting_status = "123", MeetingStatus.READY
        later = START + timedelta(hours=1)
        cancelled = service.cancel(session, booking.id, later, by="applicant",
                                   reason_enc=rt.cipher.encrypt("found another date"))
        assert (cancelled.status, cancelled.cancelled_at, cancelled.cancelled_by) == \
            (BookingStatus.CANCELLED, later, "applicant")
        assert rt.cipher.decrypt(cancelled.cancel_reason_enc or "") == "found another date"
        assert (cancelled.meeting_status, cancelled.ics_sequence) == (MeetingStatus.DELETE, 1)
        assert service.cancel(session, booking.id, later, by="x").ics_sequence == 1  # once
        assert service.upcoming_for(session, anna, later) == []
        assert book(session, rt.settings, boris, TUE_0900, "boris:1").start == TUE_0900


def test_cancel_before_the_meeting_exists_needs_no_delete(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna = person(session, "anna")
        booking = book(session, rt.settings, anna, TUE_0900, "anna:1")
        booking.meeting_status = MeetingStatus.PENDING
        assert service.cancel(session, booking.id, START, by="applicant").meeting_status == \
            MeetingStatus.CANCELLED


def test_reschedule_takes_the_new_slot_and_releases_the_old_together(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        old = book(session, rt.settings, anna, TUE_0900, "anna:1")
        old.meeting_id, old.join_url, old.meeting_status = "555", "https://zoom/j/555", \
            MeetingStatus.READY
        new = service.reschedule(session, rt.settings, START, booking_id=old.id,
                                 conversation_id=anna, start=TUE_0940, request_key="anna:2")
        assert (old.status, old.meeting_status) == (BookingStatus.RESCHEDULED, MeetingStatus.MOVED)
        assert (new.status, new.start, new.rescheduled_from_id) == \
            (BookingStatus.CONFIRMED, TUE_0940, old.id)
        assert (new.meeting_id, new.join_url, new.meeting_status) == \
            ("555", "https://zoom/j/555", MeetingStatus.UPDATE)
        assert (new.ics_uid, new.ics_sequence) == (old.ics_uid, old.ics_sequence + 1)
        assert [b.id for b in service.upcoming_for(session, anna, START)] == [new.id]
        # The same request again changes nothing; the old slot is free for others.
        again = service.reschedule(session, rt.settings, START, booking_id=old.id,
                                   conversation_id=anna, start=TUE_0940, request_key="anna:2")
        assert again.id == new.id
        assert book(session, rt.settings, boris, TUE_0900, "boris:1").start == TUE_0900


def test_reschedule_within_a_full_day_is_allowed(make_runtime: Callable[..., Runtime]) -> None:
    """The booking being moved does not count against its own replacement."""
    runtime = make_runtime(booking_daily_limit=1)
    with runtime.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        old = book(session, runtime.settings, anna, TUE_0940, "anna:1")
        assert TUE_0900 not in starts(session, runtime.settings, boris)  # Tuesday is full
        new = service.reschedule(session, runtime.settings, START, booking_id=old.id,
                                 conversation_id=anna, start=TUE_0900, request_key="anna:2")
        assert new.start == TUE_0900
        assert not any(s.date() == TUE_0900.date()
                       for s in starts(session, runtime.settings, boris))


def test_a_failed_reschedule_keeps_the_old_booking(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        old = book(session, rt.settings, anna, TUE_0900, "anna:1")
        taken = TUE_0900 + timedelta(minutes=120)
        book(session, rt.settings, boris, taken, "boris:1")
        with pytest.raises(service.SlotTaken) as error:
            service.reschedule(session, rt.settings, START, booking_id=old.id,
                               conversation_id=anna, start=taken, request_key="anna:2")
        assert error.value.nearest
        assert old.status == BookingStatus.CONFIRMED
        assert [b.id for b in service.upcoming_for(session, anna, START)] == [old.id]
        with pytest.raises(service.NotBookable):  # nobody moves someone else's booking
            service.reschedule(session, rt.settings, START, booking_id=old.id,
                               conversation_id=boris, start=TUE_0940, request_key="boris:2")


# --- outcomes -------------------------------------------------------------------------


def refusal(session: Session, booking_id: int, outcome: str, now: datetime) -> tuple:
    with pytest.raises(service.OutcomeRefused) as refused:
        service.record_outcome(session, booking_id, outcome, now)
    assert isinstance(refused.value, service.NotBookable)
    return refused.value.reason, refused.value.status


def test_an_outcome_only_for_a_consultation_that_has_started(rt: Runtime) -> None:
    with rt.db.transaction() as session:
        booking = book(session, rt.settings, person(session, "anna"), TUE_0900, "anna:1")
        early = TUE_0900 - timedelta(seconds=1)
        assert refusal(session, booking.id, BookingStatus.COMPLETED, early) == \
            (service.OUTCOME_NOT_STARTED, BookingStatus.CONFIRMED)
        assert booking.status == BookingStatus.CONFIRMED
        assert service.record_outcome(session, booking.id, BookingStatus.NO_SHOW,
                                      TUE_0900).status == BookingStatus.NO_SHOW
        later = TUE_0900 + timedelta(days=2)
        assert service.record_outcome(session, booking.id, BookingStatus.COMPLETED,
                                      later).status == \
            BookingStatus.COMPLETED  # staff can correct it
        assert refusal(session, booking.id, "rescheduled", later) == \
            (service.OUTCOME_UNKNOWN, None)
        assert refusal(session, 10_000, BookingStatus.COMPLETED, later) == \
            (service.OUTCOME_NO_BOOKING, None)
    with rt.db.transaction() as session:
        assert session.get(Booking, booking.id).status == BookingStatus.COMPLETED  # type: ignore[union-attr]


def test_no_outcome_for_a_cancelled_or_moved_booking(rt: Runtime) -> None:
    after = TUE_0940 + timedelta(hours=1)
    with rt.db.transaction() as session:
        anna, boris = person(session, "anna"), person(session, "boris")
        old = book(session, rt.settings, anna, TUE_0900, "anna:1")
        service.reschedule(session, rt.settings, START, booking_id=old.id,
                           conversation_id=anna, start=TUE_0940, request_key="anna:2")
        gone = book(session, rt.settings, boris, TUE_0900, "boris:1")
        service.cancel(session, gone.id, START, by="applicant")
        assert refusal(session, old.id, BookingStatus.COMPLETED, after) == \
            (service.OUTCOME_WRONG_STATUS, BookingStatus.RESCHEDULED)
        assert refusal(session, gone.id, BookingStatus.NO_SHOW, after) == \
            (service.OUTCOME_WRONG_STATUS, BookingStatus.CANCELLED)

"""Reminders fall due at the right instant (across DST), once, in the person's language and zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from booking import service
from booking.models import Booking
from bot.identifiers import find_conversation, new_conversation
from bot.messages import Text
from bot.notices.reminders import schedule_due_reminders
from channels.delivery import Delivery
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, OutboxStatus
from tests.fixtures import OPEN_HOURS

# Britain moves to summer time on Sunday 29 March 2026 at 01:00 UTC: a 10:00 consultation
# that day is 09:00 UTC, and the reminder 24 hours before is 09:00 UTC (09:00 GMT) on the
# 28th, not 10:00 UTC as "the same wall time the day before" would give.
SUNDAY_1000_BST = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
BOOKED_AT = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    def send(self, delivery: Delivery) -> str | None:
        self.sent.append(delivery)
        return str(len(self.sent))


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock_=ManualClock(BOOKED_AT), **OPEN_HOURS)


def at(runtime: Runtime, instant: datetime) -> None:
    runtime.clock.set(instant)  # type: ignore[attr-defined]


def book(runtime: Runtime, start: datetime, *, user: str = "maria", language: str = "en",
         zone: str = "Europe/London", channel: str = "telegram", join_url: str | None =
         "https://zoom.example/j/123") -> int:
    now = runtime.clock()
    with runtime.db.transaction() as session:
        person = find_conversation(session, runtime.cipher, channel, user)
        if person is None:
            person = new_conversation(runtime.cipher, channel=channel, user_id=user, state="menu",
                                      created_at=now, updated_at=now, last_inbound_at=now)
            session.add(person)
            session.flush()
        booking = service.book(session, runtime.settings, now, conversation_id=person.id,
                               start=start, request_key=f"{user}-{start:%s}", channel=channel,
                               language=language, applicant_timezone=zone)
        booking.join_url = join_url
        session.add(booking)
        return booking.id  # type: ignore[return-value]


def stored(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def texts(runtime: Runtime) -> list[str]:
    sender = RecordingSender()
    Worker(runtime, {"telegram": sender, "whatsapp": sender}).drain()
    return ["\n".join(r.text for r in d.replies if isinstance(r, Text)) for d in sender.sent]


def test_reminders_fall_due_at_the_exact_instant_across_a_dst_change(rt: Runtime) -> None:
    booking = book(rt, SUNDAY_1000_BST)
    at(rt, datetime(2026, 3, 28, 8, 59, 59, tzinfo=UTC))
    assert schedule_due_reminders(rt) == 0
    at(rt, datetime(2026, 3, 28, 9, 0, tzinfo=UTC))
    assert schedule_due_reminders(rt) == 1
    assert schedule_due_reminders(rt) == 0  # stored once
    (message,) = stored(rt)
    assert message.key == f"reminder:{booking}:20260329T0900Z:24h"
    assert message.due_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert texts(rt) == [
        "Reminder: your free consultation with The Human Rights: Sunday, March 29, 2026, "
        "10:00\u202fAM – 10:30\u202fAM, London (GMT+01:00) time.\n"
        "Join on Zoom: https://zoom.example/j/123"]

    at(rt, datetime(2026, 3, 29, 7, 59, 59, tzinfo=UTC))
    assert schedule_due_reminders(rt) == 0
    at(rt, datetime(2026, 3, 29, 8, 0, tzinfo=UTC))
    assert schedule_due_reminders(rt) == 1
    assert stored(rt)[-1].key == f"reminder:{booking}:20260329T0900Z:1h"
    assert len(texts(rt)) == 1
    at(rt, SUNDAY_1000_BST)
    assert schedule_due_reminders(rt) == 0


def test_the_text_is_in_the_persons_language_and_zone(rt: Runtime) -> None:
    book(rt, SUNDAY_1000_BST, language="ru", zone="Europe/Moscow")
    at(rt, SUNDAY_1000_BST - timedelta(hours=24))
    schedule_due_reminders(rt)
    assert texts(rt) == [
        "Напоминаем: бесплатная консультация с The Human Rights — воскресенье, 29 марта "
        "2026\u202fг., 12:00 – 12:30 (часовой пояс: Москва (GMT+03:00)).\n"
        "Подключиться в Zoom: https://zoom.example/j/123"]


def test_an_american_zone_changes_its_clocks_on_another_date(rt: Runtime) -> None:
    # New York moved to summer time on 8 March; on 29 March it is UTC-4.
    book(rt, SUNDAY_1000_BST, zone="America/New_York", join_url=None)
    at(rt, SUNDAY_1000_BST - timedelta(hours=1))
    schedule_due_reminders(rt)
    assert texts(rt) == [
        "Reminder: your free consultation with The Human Rights: Sunday, March 29, 2026, "
        "5:00\u202fAM – 5:30\u202fAM, New York (GMT-04:00) time.\n"
        "We will send you the Zoom link before it starts."]


def test_whatsapp_gets_the_approved_template_variables(rt: Runtime) -> None:
    book(rt, SUNDAY_1000_BST, channel="whatsapp", user="whatsapp:+447700900123")
    at(rt, SUNDAY_1000_BST - timedelta(hours=24))
    schedule_due_reminders(rt)
    sender = RecordingSender()
    Worker(rt, {"whatsapp": sender}).drain()
    (delivery,) = sender.sent
    assert delivery.recipient == "whatsapp:+447700900123"
    assert delivery.template is not None and delivery.template.name == "reminder"
    assert delivery.template.variables == (
        "Sunday, March 29, 2026, 10:00\u202fAM – 10:30\u202fAM (London (GMT+01:00))",
        "https://zoom.example/j/123")


def test_a_booking_made_three_hours_ahead_gets_only_the_one_hour_reminder(rt: Runtime) -> None:
    start = BOOKED_AT + timedelta(hours=3)
    booking = book(rt, start)
    for minutes in range(0, 180, 5):
        at(rt, BOOKED_AT + timedelta(minutes=minutes))
        schedule_due_reminders(rt)
    assert [m.key for m in stored(rt)] == [f"reminder:{booking}:{start:%Y%m%dT%H%MZ}:1h"]
    assert stored(rt)[0].due_at == start - timedelta(hours=1)


def test_after_a_stopped_worker_only_the_latest_reminder_goes(rt: Runtime) -> None:
    booking = book(rt, SUNDAY_1000_BST)
    at(rt, SUNDAY_1000_BST - timedelta(minutes=30))  # both instants passed while stopped
    assert schedule_due_reminders(rt) == 1
    assert [m.key for m in stored(rt)] == [f"reminder:{booking}:20260329T0900Z:1h"]


def test_offsets_come_from_the_settings(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(clock_=ManualClock(BOOKED_AT), **OPEN_HOURS,
                           reminder_hours_before="48, 2")
    booking = book(runtime, SUNDAY_1000_BST)
    keys = []
    for hours in range(96, -1, -1):
        at(runtime, SUNDAY_1000_BST - timedelta(hours=hours))
        schedule_due_reminders(runtime)
    keys = [m.key for m in stored(runtime)]
    assert keys == [f"reminder:{booking}:20260329T0900Z:48h",
                    f"reminder:{booking}:20260329T0900Z:2h"]
    runtime.db.dispose()


def test_no_reminder_for_a_cancelled_booking(rt: Runtime) -> None:
    booking = book(rt, SUNDAY_1000_BST)
    with rt.db.transaction() as session:
        service.cancel(session, booking, rt.clock(), by="applicant")
    for hours in (24, 1):
        at(rt, SUNDAY_1000_BST - timedelta(hours=hours))
        assert schedule_due_reminders(rt) == 0
    assert stored(rt) == []


def test_a_stored_reminder_is_withdrawn_when_the_booking_is_cancelled(rt: Runtime) -> None:
    booking = book(rt, SUNDAY_1000_BST)
    at(rt, SUNDAY_1000_BST - timedelta(hours=24))
    schedule_due_reminders(rt)  # stored; the worker has not sent it yet
    with rt.db.transaction() as session:
        service.cancel(session, booking, rt.clock(), by="staff")
    schedule_due_reminders(rt)
    assert [m.status for m in stored(rt)] == [OutboxStatus.CANCELLED]
    assert texts(rt) == []


def test_a_rescheduled_booking_is_reminded_at_its_new_time(rt: Runtime) -> None:
    old = book(rt, SUNDAY_1000_BST)
    at(rt, SUNDAY_1000_BST - timedelta(hours=24))
    schedule_due_reminders(rt)
    assert len(texts(rt)) == 1  # the 24-hour reminder of the old time went out
    later = SUNDAY_1000_BST + timedelta(days=2)
    new = move(rt, old, later)
    at(rt, SUNDAY_1000_BST - timedelta(hours=1))
    assert schedule_due_reminders(rt) == 0  # nothing at the old time
    sent = []
    for instant in (later - timedelta(hours=24), later - timedelta(hours=1)):
        at(rt, instant - timedelta(seconds=1))
        assert schedule_due_reminders(rt) == 0
        at(rt, instant)
        assert schedule_due_reminders(rt) == 1
        sent += texts(rt)
    assert [m.key for m in stored(rt)] == [
        f"reminder:{old}:20260329T0900Z:24h",
        f"reminder:{new}:20260331T0900Z:24h", f"reminder:{new}:20260331T0900Z:1h"]
    assert len(sent) == 2
    assert all("Tuesday, March 31, 2026, 10:00\u202fAM – 10:30\u202fAM, London (GMT+01:00) time."
               in text for text in sent)
    assert [m.status for m in stored(rt)] == [OutboxStatus.SENT] * 3


def test_a_pending_reminder_of_a_moved_booking_is_withdrawn(rt: Runtime) -> None:
    old = book(rt, SUNDAY_1000_BST)
    at(rt, SUNDAY_1000_BST - timedelta(hours=24))
    schedule_due_reminders(rt)  # stored, not yet sent
    move(rt, old, SUNDAY_1000_BST + timedelta(hours=2))
    schedule_due_reminders(rt)
    assert [(m.key.split(":")[1], m.status) for m in stored(rt)] == \
        [(str(old), OutboxStatus.CANCELLED)]
    assert texts(rt) == []


def move(runtime: Runtime, booking_id: int, start: datetime) -> int:
    with runtime.db.transaction() as session:
        old = session.get(Booking, booking_id)
        assert old is not None
        new = service.reschedule(session, runtime.settings, runtime.clock(),
                                 booking_id=booking_id, conversation_id=old.conversation_id,
                                 start=start, request_key=f"move-{start:%s}")
        return new.id  # type: ignore[return-value]

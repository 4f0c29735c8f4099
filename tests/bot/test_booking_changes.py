"""Cancelling or moving a booking withdraws what still waits for the old time and alerts
staff, whichever side (chat, dashboard, erasure) makes the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from booking import service
from booking.models import Booking, BookingStatus
from bot.booking_changes import cancel_booking, confirm_booking
from bot.messages import Text, reply_to_dict
from bot.notices.reminders import schedule_due_reminders
from consultbot.runtime import Runtime
from plumbing import outbox_keys
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, OutboxStatus, enqueue
from tests.bot.test_reminders import BOOKED_AT, OPEN_HOURS, SUNDAY_1000_BST, at, book


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock_=ManualClock(BOOKED_AT), **OPEN_HOURS, smtp_host="mail.test",
                        smtp_from="bot@firm.test", staff_alert_emails="team@firm.test")


def queue_link(rt: Runtime, booking_id: int) -> None:
    with rt.db.transaction() as session:
        enqueue(session, rt.cipher, key=outbox_keys.meeting_link(booking_id, "m1"),
                kind="meeting_link", channel="telegram", recipient="maria",
                replies=[reply_to_dict(Text("link"))], now=rt.clock())


def statuses(rt: Runtime) -> dict[str, str]:
    with rt.db.transaction() as session:
        return {m.key.split(":")[0] + ":" + (m.key.split(":")[1]): m.status
                for m in session.exec(select(OutboxMessage)).all()}


def test_cancelling_withdraws_the_waiting_reminder_and_link_and_alerts_staff(
        rt: Runtime) -> None:
    booking_id = book(rt, SUNDAY_1000_BST)
    at(rt, SUNDAY_1000_BST - timedelta(hours=24))
    assert schedule_due_reminders(rt) == 1
    queue_link(rt, booking_id)
    with rt.db.transaction() as session:
        cancelled = cancel_booking(session, rt, booking_id, rt.clock(), by="applicant")
        assert cancelled.status == BookingStatus.CANCELLED
    found = statuses(rt)
    assert found["reminder:" + str(booking_id)] == OutboxStatus.CANCELLED
    assert found["meeting-link:" + str(booking_id)] == OutboxStatus.CANCELLED
    assert found["staff:booking_cancelled"] == OutboxStatus.PENDING


def test_cancelling_twice_changes_nothing_more(rt: Runtime) -> None:
    booking_id = book(rt, SUNDAY_1000_BST)
    for _ in range(2):
        with rt.db.transaction() as session:
            cancel_booking(session, rt, booking_id, rt.clock(), by="applicant")
    with rt.db.transaction() as session:
        alerts = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "staff_alert")).all()
    assert len(alerts) == 1


def test_moving_withdraws_what_names_the_old_time(rt: Runtime) -> None:
    booking_id = book(rt, SUNDAY_1000_BST)
    queue_link(rt, booking_id)
    new_start = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    with rt.db.transaction() as session:
        moved = service.reschedule(session, rt.settings, rt.clock(), booking_id=booking_id,
                                   conversation_id=session.get(Booking, booking_id)
                                   .conversation_id, start=new_start, request_key="move-1")
        confirm_booking(session, rt, moved, rt.clock(), moved_from=booking_id)
    found = statuses(rt)
    assert found["meeting-link:" + str(booking_id)] == OutboxStatus.CANCELLED
    assert found["staff:booking_moved"] == OutboxStatus.PENDING

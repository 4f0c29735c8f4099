"""Erasure that erases: nothing the person told is readable afterwards, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from booking.models import Booking, BookingStatus, MeetingStatus
from bot.engine import Bot
from bot.models import Conversation, InboundMessage
from bot.notices.booking_notices import when_text
from consultbot.runtime import Runtime
from tests.privacy.people import Person, book_and_get_help, found, tell_everything


@pytest.fixture
def runtime(any_database_url: str, make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(database_url=any_database_url, staff_alert_emails="team@example.org",
                        zoom_fallback_link="https://zoom.example/j/1")


def test_after_erasure_nothing_the_person_told_can_be_read(runtime: Runtime) -> None:
    person = Person(Bot(runtime))
    assert "Your details are saved" in tell_everything(person)
    book_and_get_help(runtime, person)
    assert found(runtime)  # the scanner does see it all before
    with runtime.db.transaction() as session:
        booked = session.exec(select(Booking)).one()
    warning = person.say("Delete my data")
    when = when_text(booked.start, booked.end, "Europe/London", "en")
    assert f"Your consultation on {when}" in warning and "will be cancelled" in warning
    with runtime.db.transaction() as session:  # nothing is cancelled before the yes
        assert session.exec(select(Booking)).one().status != BookingStatus.CANCELLED
    assert "has been deleted" in person.say("Yes, delete")
    assert found(runtime) == []
    with runtime.db.transaction() as session:
        cancelled = session.exec(select(Booking)).one()
        stub = session.exec(select(Conversation)).one()
        last = session.exec(select(InboundMessage).order_by(InboundMessage.id.desc())).first()  # type: ignore[union-attr]
    assert (cancelled.status, cancelled.meeting_status) == \
        (BookingStatus.CANCELLED, "cancelled") or \
        cancelled.meeting_status == MeetingStatus.DELETE
    assert stub.erased_at == runtime.clock() and stub.user_id_enc is None
    assert last is not None and last.text_enc is None and last.replies_enc is None


def test_a_message_after_erasure_starts_afresh(runtime: Runtime) -> None:
    person = Person(Bot(runtime))
    tell_everything(person)
    person.say("menu")
    person.say("Delete my data")
    person.say("Yes, delete")
    again = person.say("Hello")
    assert "Which language do you prefer?" in again or "welcome" in again.lower()
    assert "Zarina" not in again
    with runtime.db.transaction() as session:
        [stub] = session.exec(select(Conversation)).all()
    assert stub.state != "new" and stub.user_id_enc is not None  # reachable again
    assert "Who is writing to us?" in (person.say("1") + person.say("book"))

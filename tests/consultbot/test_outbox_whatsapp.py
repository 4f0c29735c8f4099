"""A reminder to WhatsApp from booking to Twilio: free text inside the 24-hour window, the
approved template outside it, and the reason stored when no template is configured."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from booking import service
from bot.identifiers import new_conversation
from bot.notices.reminders import schedule_due_reminders
from consultbot.registry import build_senders
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, OutboxStatus
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    FakeTwilioApi,
)
from tests.fixtures import OPEN_HOURS

START = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
BOOKED_AT = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
NUMBER = "+447911123456"
REMINDER_SID = "HX" + "c" * 32


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER) as api:
        yield api


@pytest.fixture
def make_runtime(make_runtime: Callable[..., Runtime],
                 twilio: FakeTwilioApi) -> Callable[..., Runtime]:
    """The shared factory with WhatsApp on against the fake Twilio, at :data:`BOOKED_AT`."""
    settings: dict[str, object] = {
        **OPEN_HOURS, "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
        "twilio_whatsapp_from": SENDER, "public_base_url": PUBLIC_BASE_URL,
        "twilio_api_base_url": twilio.base_url, "zoom_fallback_link": "https://zoom.example/j/42"}
    return lambda **overrides: make_runtime(clock_=ManualClock(BOOKED_AT),
                                            **{**settings, **overrides})


def book_by_whatsapp(runtime: Runtime, last_wrote: datetime) -> None:
    with runtime.db.transaction() as session:
        person = new_conversation(runtime.cipher, channel="whatsapp", user_id=NUMBER,
                                  state="menu", created_at=BOOKED_AT, updated_at=BOOKED_AT,
                              last_inbound_at=last_wrote)
        session.add(person)
        session.flush()
        booking = service.book(session, runtime.settings, BOOKED_AT, conversation_id=person.id,
                               start=START, request_key="wa-1", channel="whatsapp",
                               language="en",
                               applicant_timezone="Europe/London")
        booking.join_url = "https://zoom.example/j/42"
        session.add(booking)


def remind(runtime: Runtime, hours_before: int) -> OutboxMessage:
    runtime.clock.set(START - timedelta(hours=hours_before))  # type: ignore[attr-defined]
    assert schedule_due_reminders(runtime) == 1
    senders = build_senders(runtime)
    Worker(runtime, {"whatsapp": senders["whatsapp"]}).drain()
    with runtime.db.transaction() as session:
        return session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()  # type: ignore[union-attr, return-value]


def test_inside_the_window_the_reminder_is_free_text(make_runtime: Callable[..., Runtime],
                                                     twilio: FakeTwilioApi) -> None:
    runtime = make_runtime()
    book_by_whatsapp(runtime, last_wrote=START - timedelta(hours=30))
    message = remind(runtime, 24)  # the person wrote 6 hours ago
    (sent,) = twilio.messages
    assert message.status == OutboxStatus.SENT and message.provider_message_id == sent["sid"]
    assert sent["To"] == f"whatsapp:{NUMBER}"
    assert sent["Body"].startswith("Reminder: your free consultation with The Human Rights: ")
    assert "https://zoom.example/j/42" in sent["Body"] and "ContentSid" not in sent
    runtime.db.dispose()


def test_outside_the_window_the_approved_template_carries_the_reminder(
        make_runtime: Callable[..., Runtime], twilio: FakeTwilioApi) -> None:
    runtime = make_runtime(twilio_template_sid_reminder=REMINDER_SID)
    book_by_whatsapp(runtime, last_wrote=BOOKED_AT)
    message = remind(runtime, 1)  # the person last wrote six days ago
    (sent,) = twilio.messages
    assert message.status == OutboxStatus.SENT
    assert sent["ContentSid"] == REMINDER_SID and "Body" not in sent
    variables = json.loads(sent["ContentVariables"])
    assert variables["2"] == "https://zoom.example/j/42"
    assert "Tuesday, March 31, 2026" in variables["1"] and "London (GMT+01:00)" in variables["1"]
    runtime.db.dispose()


def test_outside_the_window_without_a_template_the_reason_is_stored(
        make_runtime: Callable[..., Runtime], twilio: FakeTwilioApi) -> None:
    runtime = make_runtime()
    book_by_whatsapp(runtime, last_wrote=BOOKED_AT)
    message = remind(runtime, 1)
    assert twilio.messages == []
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert message.last_error is not None
    assert "TWILIO_TEMPLATE_SID_REMINDER is not set" in message.last_error
    runtime.db.dispose()

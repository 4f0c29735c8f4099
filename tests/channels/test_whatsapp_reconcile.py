"""A message Twilio took but answered too late: the retry asks Twilio, and sends nothing
twice; a message Twilio never got is sent again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.messages import Text
from channels.delivery import DeliveryFailed
from channels.whatsapp.sender import WhatsAppSender
from plumbing.clock import ManualClock
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilioApi
from tests.channels.test_whatsapp_sender import REMINDER_TEMPLATE, delivery, settings_for


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER, clock=clock) as api:
        yield api


@pytest.fixture
def sender(fake: FakeTwilioApi, clock: ManualClock) -> WhatsAppSender:
    return WhatsAppSender(settings_for(fake.base_url), clock, timeout=0.3)


@pytest.mark.parametrize("outside_window", [False, True])
def test_a_late_answer_is_reconciled_exactly_one_message(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock,
        outside_window: bool) -> None:
    message = delivery(clock, Text("Your Zoom link: https://zoom.test/j/1"),
                       hours_ago=30 if outside_window else 1, template=REMINDER_TEMPLATE)
    fake.answer_late()
    with pytest.raises(DeliveryFailed) as lost:
        sender.send(message)
    assert not lost.value.permanent
    fake.release.set()
    assert len(fake.messages) == 1  # Twilio took it
    clock.advance(timedelta(seconds=30))  # the outbox's retry
    sid = sender.send(message)
    assert len(fake.messages) == 1 and sid == fake.messages[0]["sid"]
    clock.advance(timedelta(minutes=10))
    sender.send(message)  # a new delivery of the same content is sent: nothing is pending
    assert len(fake.messages) == 2


def test_a_refused_connection_is_simply_sent_again(fake: FakeTwilioApi,
                                                   clock: ManualClock) -> None:
    unreachable = WhatsAppSender(settings_for("http://127.0.0.1:9"), clock, timeout=0.3)
    message = delivery(clock, Text("Hello"))
    with pytest.raises(DeliveryFailed):
        unreachable.send(message)
    assert unreachable._unsure == {}  # nothing can have been sent: no look-up needed

"""Sending first: the outbox's WhatsApp sender against a local fake of Twilio's REST API."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.messages import Choice, Choices, Document, Text
from channels.delivery import Delivery, DeliveryFailed, Template
from channels.whatsapp.sender import WhatsAppSender, build_sender
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import Settings, load_settings
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    FakeTwilioApi,
)

ANNA = "+447911123456"
REMINDER = "HX" + "a" * 32
NOTICE = "HX" + "b" * 32
BUTTONS_2 = "HX" + "2" * 32


@pytest.fixture
def fake() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER) as api:
        yield api


def settings_for(base_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": "sqlite:///unused.db", "data_encryption_key": new_key(),
        "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
        "twilio_whatsapp_from": SENDER, "public_base_url": PUBLIC_BASE_URL,
        "twilio_api_base_url": base_url, "twilio_template_sid_reminder": REMINDER,
    }
    return load_settings(**{**values, **overrides})


@pytest.fixture
def sender(fake: FakeTwilioApi, clock: ManualClock) -> WhatsAppSender:
    return WhatsAppSender(settings_for(fake.base_url), clock)


def delivery(clock: ManualClock, *replies: Text | Choices | Document, hours_ago: float | None = 1,
             template: Template | None = None, recipient: str = ANNA) -> Delivery:
    last = clock() - timedelta(hours=hours_ago) if hours_ago is not None else None
    return Delivery(key="reminder:17:24h", kind="reminder", recipient=recipient,
                    replies=replies, template=template, last_inbound_at=last)


REMINDER_TEMPLATE = Template("reminder", ("Anna", "Tuesday 3 March,\n10:00  (London)"))


def test_no_sender_until_twilio_is_configured(runtime: Runtime) -> None:
    assert build_sender(runtime) is None


def test_inside_the_window_free_text_and_numbered_choices_in_one_message(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    sid = sender.send(delivery(clock, Text("Your consultation is confirmed."), Choices(
        "Anything else?", (Choice("menu", "Main menu"), Choice("human", "Talk to a person")))))
    [sent] = fake.messages
    assert sid == sent["sid"]
    assert sent["To"] == f"whatsapp:{ANNA}" and sent["From"] == SENDER
    assert sent["Body"] == ("Your consultation is confirmed.\n\nAnything else?\n\n"
                            "1. Main menu\n2. Talk to a person")
    assert sent["StatusCallback"] == (
        f"{PUBLIC_BASE_URL}/webhooks/whatsapp/status?key=reminder%3A17%3A24h")
    assert "ContentSid" not in sent


def test_a_long_text_is_split_at_twilios_limit_in_order(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    words = [f"word{n}" for n in range(900)]
    text = " ".join(words)
    sid = sender.send(delivery(clock, Text(text)))
    assert len(text) == 7089 and len(fake.messages) == 5  # as few as the limit allows
    assert all(len(m["Body"]) <= 1600 for m in fake.messages)
    assert " ".join(m["Body"] for m in fake.messages).split() == words
    assert sid == fake.messages[-1]["sid"]


def test_a_document_goes_as_media_with_its_caption(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    sender.send(delivery(clock, Document("report.pdf", "Sample report",
                                         url="https://example.org/report.pdf")))
    [sent] = fake.messages
    assert sent["Body"] == "Sample report"
    assert sent["MediaUrl"] == ["https://example.org/report.pdf"]


def test_outside_the_window_the_approved_template_is_filled_in(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    sender.send(delivery(clock, Text("free text that may not be sent now"), hours_ago=30,
                         template=REMINDER_TEMPLATE))
    [sent] = fake.messages
    assert sent["ContentSid"] == REMINDER and "Body" not in sent
    # WhatsApp refuses template variables with new lines or runs of spaces.
    assert json.loads(sent["ContentVariables"]) == {"1": "Anna",
                                                    "2": "Tuesday 3 March, 10:00 (London)"}


@pytest.mark.parametrize(("hours_ago", "uses_template"), [
    (23.9, False), (23.95, True), (24.5, True), (None, True)])
def test_the_window_is_24_hours_since_the_last_message_with_a_margin(
        hours_ago: float | None, uses_template: bool, sender: WhatsAppSender,
        fake: FakeTwilioApi, clock: ManualClock) -> None:
    sender.send(delivery(clock, Text("hello"), hours_ago=hours_ago, template=REMINDER_TEMPLATE))
    assert ("ContentSid" in fake.messages[0]) is uses_template


def test_outside_the_window_without_a_template_fails_for_good_without_calling_twilio(
        fake: FakeTwilioApi, clock: ManualClock) -> None:
    sender = WhatsAppSender(settings_for(fake.base_url), clock)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hi"), hours_ago=48,
                             template=Template("notice", ("x",))))
    assert failed.value.permanent and "TWILIO_TEMPLATE_SID_NOTICE" in failed.value.reason
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hi"), hours_ago=48))
    assert failed.value.permanent and fake.requests == 0


def test_63016_from_twilio_falls_back_to_the_template(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    fake.fail_next(400, 63016, "Failed to send freeform message because you are outside the "
                               "allowed window.")
    sid = sender.send(delivery(clock, Text("hello"), hours_ago=2, template=REMINDER_TEMPLATE))
    [sent] = fake.messages
    assert sent["ContentSid"] == REMINDER and sid == sent["sid"]
    fake.fail_next(400, 63016, "outside the allowed window")
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hello"), hours_ago=2))
    assert failed.value.permanent and "63016" in failed.value.reason


@pytest.mark.parametrize(("status", "code", "headers", "permanent", "unreachable", "retry_after"), [
    (400, 21211, {}, True, True, None),
    (400, 63024, {}, True, True, None),
    (400, 21610, {}, True, False, None),
    (429, 20429, {"Retry-After": "7"}, False, False, 7.0),
    (400, 63018, {}, False, False, None),
    (500, None, {}, False, False, None),
    (503, 20503, {"Retry-After": "120"}, False, False, 120.0),
])
def test_twilio_errors_are_permanent_or_retryable(
        status: int, code: int | None, headers: dict[str, str], permanent: bool,
        unreachable: bool, retry_after: float | None, sender: WhatsAppSender,
        fake: FakeTwilioApi, clock: ManualClock) -> None:
    fake.fail_next(status, code, "refused", headers)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hello")))
    assert (failed.value.permanent, failed.value.unreachable) == (permanent, unreachable)
    assert failed.value.retry_after == retry_after
    assert f"HTTP {status}" in failed.value.reason
    assert fake.messages == []


def test_a_retry_after_a_partial_delivery_sends_only_what_is_missing(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    confirmation = delivery(clock, Text("Your consultation is booked."),
                            Document("report.pdf", "Sample report",
                                     url="https://example.org/report.pdf"))
    fake.fail_next(429, 20429, "Too Many Requests", {"Retry-After": "3"}, after=1)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(confirmation)
    assert not failed.value.permanent
    assert [m["Body"] for m in fake.messages] == ["Your consultation is booked."]
    sid = sender.send(confirmation)  # the outbox's retry
    assert [m["Body"] for m in fake.messages] == ["Your consultation is booked.",
                                                  "Sample report"]
    assert sid == fake.messages[-1]["sid"]
    sender.send(confirmation)  # sent in full: a later send of the key starts over
    assert len(fake.messages) == 4


def test_twilios_own_field_checks_reach_the_caller(
        sender: WhatsAppSender, fake: FakeTwilioApi, clock: ManualClock) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hello"), recipient="not a number"))
    assert failed.value.permanent and fake.requests == 0


def test_a_wrong_auth_token_is_a_permanent_failure(fake: FakeTwilioApi,
                                                   clock: ManualClock) -> None:
    sender = WhatsAppSender(settings_for(fake.base_url, twilio_auth_token="0" * 32), clock)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hello")))
    assert failed.value.permanent and "20003" in failed.value.reason


def test_twilio_unreachable_is_worth_retrying(clock: ManualClock) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = WhatsAppSender(settings_for(f"http://127.0.0.1:{port}"), clock)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(clock, Text("hello")))
    assert not failed.value.permanent and "unreachable" in failed.value.reason


def test_choices_become_quick_reply_buttons_when_a_template_is_configured(
        fake: FakeTwilioApi, clock: ManualClock) -> None:
    sender = WhatsAppSender(settings_for(
        fake.base_url, twilio_content_sid_buttons=f"2:{BUTTONS_2}"), clock)
    question = Choices("Does a lawyer represent you?", (Choice("yes", "Yes"), Choice("no", "No")),
                       "a")
    sender.send(delivery(clock, question))
    [sent] = fake.messages
    assert sent["ContentSid"] == BUTTONS_2
    assert json.loads(sent["ContentVariables"]) == {
        "1": "Does a lawyer represent you?", "2": "Yes", "3": "cb:a:yes", "4": "No",
        "5": "cb:a:no"}
    # A template Twilio refuses (deleted, wrong variables) still gets the question across.
    fake.fail_next(400, 21656, "The ContentVariables Parameter is invalid.")
    sender.send(delivery(clock, question))
    assert fake.messages[-1]["Body"] == "Does a lawyer represent you?\n\n1. Yes\n2. No"

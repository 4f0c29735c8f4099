"""Quick replies through the outbox worker, and Twilio's signed delivery reports on them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from bot.identifiers import find_conversation
from channels.whatsapp.sender import WhatsAppSender
from consultbot.runtime import Runtime, build_runtime
from consultbot.web import create_app
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus, enqueue
from plumbing.settings import load_settings
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    FakeTwilioApi,
    TwilioWebhooks,
    new_sid,
    twiml_bodies,
)

ANNA = "+447911123456"
BUTTONS_2 = "HX" + "2" * 32
STATUS = "/webhooks/whatsapp/status"


@pytest.fixture
def fake() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER) as api:
        yield api


@pytest.fixture
def setup(database_url: str, clock: ManualClock, fake: FakeTwilioApi
          ) -> Iterator[tuple[Runtime, Flask, TwilioWebhooks, Worker]]:
    settings = load_settings(
        database_url=database_url, data_encryption_key=new_key(),
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL,
        twilio_api_base_url=fake.base_url, twilio_content_sid_buttons=f"2:{BUTTONS_2}")
    runtime = build_runtime(settings, clock=clock)
    app = create_app(runtime)
    worker = Worker(runtime, {"whatsapp": WhatsAppSender(settings, clock)})
    yield runtime, app, TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL), worker
    runtime.db.dispose()


def rows(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def report(twilio: TwilioWebhooks, callback_url: str, sid: str, status: str,
           error_code: str | None = None, **options: Any) -> Any:
    """A status callback as Twilio posts it to the URL the message was sent with."""
    fields = {
        "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
        "AccountSid": ACCOUNT_SID, "From": SENDER, "To": f"whatsapp:{ANNA}",
        "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp",
        "ChannelToAddress": ANNA, "StructuredMessage": "false",
    }
    if error_code:
        fields["ErrorCode"] = error_code
    path = callback_url.removeprefix(PUBLIC_BASE_URL)
    return twilio.client.post(path, data=fields, headers={
        "X-Twilio-Signature": options.get("signature")
        or twilio.validator.compute_signature(callback_url, fields)})


def send_buttons(setup: tuple[Runtime, Flask, TwilioWebhooks, Worker],
                 fake: FakeTwilioApi) -> tuple[OutboxMessage, dict[str, Any]]:
    """Anna writes and asks to book; the two-option "who is writing" question goes out as
    buttons through the worker (longer questions are numbered lines in the TwiML)."""
    runtime, _, twilio, worker = setup
    for text in ("Hello", "1", "book"):
        assert twilio.message(ANNA, text).status_code == 200
    assert worker.run_once() == {"sent": 1}
    [row] = rows(runtime)
    [sent] = fake.messages
    return row, sent


def test_the_language_question_goes_out_as_buttons(setup: Any, fake: FakeTwilioApi) -> None:
    row, sent = send_buttons(setup, fake)
    assert sent["ContentSid"] == BUTTONS_2 and sent["To"] == f"whatsapp:{ANNA}"
    variables = json.loads(sent["ContentVariables"])
    assert variables["1"] == "Who is writing to us?"
    assert variables["2"] == "I am the applicant" and variables["3"].endswith(":applicant")
    assert row.status == OutboxStatus.SENT and row.provider_message_id == sent["sid"]
    # Tapping the button Twilio showed continues the conversation.
    runtime, _, twilio, _ = setup
    answer = twilio.message(ANNA, "", button=(variables["2"], variables["3"]))
    assert "What is your full name?" in "\n".join(twiml_bodies(answer.data))
    assert len(rows(runtime)) == 1


def test_delivery_reports_only_move_forward(setup: Any, fake: FakeTwilioApi) -> None:
    runtime, _, twilio, _ = setup
    _, sent = send_buttons(setup, fake)
    for status, expected in (("sent", "sent"), ("read", "read"), ("delivered", "read")):
        assert report(twilio, sent["StatusCallback"], sent["sid"], status).status_code == 204
        assert rows(runtime)[0].delivery_status == expected


def test_a_failure_outside_the_window_is_recorded_with_its_code(setup: Any,
                                                               fake: FakeTwilioApi) -> None:
    runtime, _, twilio, _ = setup
    _, sent = send_buttons(setup, fake)
    assert report(twilio, sent["StatusCallback"], sent["sid"], "failed", "63016"
                  ).status_code == 204
    [stored] = rows(runtime)
    assert stored.delivery_status == "failed"
    assert stored.last_error is not None and "63016" in stored.last_error \
        and "24-hour" in stored.last_error


def test_a_recipient_who_cannot_get_whatsapp_is_marked_unreachable(
        setup: Any, fake: FakeTwilioApi) -> None:
    runtime, _, twilio, _ = setup
    _, sent = send_buttons(setup, fake)
    report(twilio, sent["StatusCallback"], sent["sid"], "undelivered", "63024")
    with runtime.db.transaction() as session:
        person = find_conversation(session, runtime.cipher, "whatsapp", ANNA)
        assert person is not None
    assert person.unreachable
    # Writing again makes them reachable again (the flow clears it).
    twilio.message(ANNA, "Hello again")
    with runtime.db.transaction() as session:
        person = find_conversation(session, runtime.cipher, "whatsapp", ANNA)
        assert person is not None
    assert not person.unreachable


def test_a_report_before_the_worker_stored_the_sid_is_found_by_key(
        setup: Any, clock: ManualClock) -> None:
    runtime, _, twilio, _ = setup
    with runtime.db.transaction() as session:
        enqueue(session, runtime.cipher, key="notice:9", kind="notice", channel="whatsapp",
                recipient=ANNA, replies=[], now=clock())
    url = f"{PUBLIC_BASE_URL}{STATUS}?key=notice%3A9"
    assert report(twilio, url, new_sid(), "queued").status_code == 204
    assert rows(runtime)[0].delivery_status == "queued"


def test_unknown_forged_and_malformed_reports(setup: Any, fake: FakeTwilioApi) -> None:
    runtime, _, twilio, _ = setup
    _, sent = send_buttons(setup, fake)
    url = sent["StatusCallback"]
    assert report(twilio, url, new_sid(), "delivered").status_code == 204
    assert report(twilio, url, sent["sid"], "delivered",
                  signature="Zm9yZ2VkIHNpZ25hdHVyZQ==").status_code == 403
    other_url = f"{PUBLIC_BASE_URL}{STATUS}"
    fields = {"MessageSid": sent["sid"], "MessageStatus": "delivered"}
    assert twilio.post(STATUS, fields, signed_url=other_url + "?key=x").status_code == 403
    assert twilio.post(STATUS, {"MessageSid": sent["sid"]}).status_code == 400
    assert twilio.post(STATUS, {**fields, "ErrorCode": "abc"}).status_code == 400
    assert rows(runtime)[0].delivery_status is None

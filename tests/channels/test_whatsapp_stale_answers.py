"""Typed answers not meant for the current question: a quoted earlier question, and the
same number twice within seconds."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from sqlmodel import select

from bot.models import Conversation
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from tests.channels.fake_twilio import new_sid
from tests.channels.test_whatsapp_conversation import ANNA, Phone, phone, wa_runtime  # noqa: F401


def answer_with_action(device: Phone, fields: dict[str, str]) -> tuple[str, str | None]:
    """Post a message; the TwiML's text and the ``action`` URL its question reports to."""
    response = device.twilio.post("/webhooks/whatsapp", fields)
    assert response.status_code == 200
    messages = ElementTree.fromstring(response.data).findall("Message")
    device.last = "\n\n".join("".join(m.itertext()) for m in messages)
    actions = {m.get("action") for m in messages}
    assert len(actions) == 1
    return device.last, actions.pop()


def delivered(device: Phone, action: str) -> str:
    """Twilio reports a TwiML message's SID to its action URL; returns that SID."""
    sid = new_sid()
    parts = urlsplit(action)
    response = device.twilio.post(f"{parts.path}?{parts.query}",
                                 {"MessageSid": sid, "SmsSid": sid, "SmsStatus": "sent",
                                  "MessageStatus": "sent", "To": f"whatsapp:{ANNA}"})
    assert response.status_code == 204
    return sid


def state(runtime: Runtime) -> str:
    with runtime.db.transaction() as session:
        return session.exec(select(Conversation.state)).one()


def test_a_quoted_earlier_question_is_stale_the_current_one_is_taken(
        phone: Phone, wa_runtime: Runtime) -> None:  # noqa: F811
    phone.send("Hello")
    _, language_action = answer_with_action(phone, phone.twilio.message_fields(ANNA, "1"))
    assert language_action and "asked=" in language_action
    language_sid = delivered(phone, language_action)
    menu_sid_action = answer_with_action(
        phone, phone.twilio.message_fields(ANNA, str(phone.options()["Book free consultation"])))
    assert "Who is writing to us?" in menu_sid_action[0]
    delivered(phone, menu_sid_action[1] or "")
    before = state(wa_runtime)

    quoting_old = phone.twilio.message_fields(ANNA, "2")
    quoting_old["OriginalRepliedMessageSid"] = language_sid
    answer, asked_again = answer_with_action(phone, quoting_old)
    current_sid = delivered(phone, asked_again or "")
    assert "You replied to an earlier question" in answer
    assert "Who is writing to us?" in answer  # and the current question again
    assert state(wa_runtime) == before

    quoting_current = phone.twilio.message_fields(ANNA, "1")
    quoting_current["OriginalRepliedMessageSid"] = current_sid
    response = phone.twilio.post("/webhooks/whatsapp", quoting_current)
    assert b"earlier question" not in response.data and b"full name" in response.data
    assert parse_qs(urlsplit(menu_sid_action[1] or "").query)["asked"]


def test_the_same_number_twice_within_seconds_is_confirmed(
        phone: Phone, wa_runtime: Runtime) -> None:  # noqa: F811
    clock: ManualClock = wa_runtime.clock  # type: ignore[assignment]
    phone.send("Hello")
    phone.choose("Continue in English")
    number = str(phone.options()["Book free consultation"])
    phone.send(number)  # -> Who is writing to us?
    assert phone.options()["Lawyer / law firm"] == int(number)  # the same number means that
    asked = state(wa_runtime)
    phone.clock = None  # from here the messages come within a second of each other
    clock.advance(timedelta(seconds=1))
    who = phone.send(number)  # the same number again, a second later
    assert "twice in a row" in who and "Who is writing to us?" in who
    assert state(wa_runtime) == asked  # not taken
    clock.advance(timedelta(seconds=1))
    assert "client's full name" in phone.send(number)  # sent once more: taken (a lawyer)
    clock.advance(timedelta(seconds=1))
    assert "twice" not in phone.send("Anna Petrova")


def test_question_records_are_forgotten_after_a_week(wa_runtime: Runtime) -> None:  # noqa: F811
    from channels.whatsapp.questions import forget_old, remember, token_of

    clock: ManualClock = wa_runtime.clock  # type: ignore[assignment]
    with wa_runtime.db.transaction() as session:
        remember(session, "SM" + "1" * 32, "a", clock())
    clock.advance(timedelta(days=6))
    assert forget_old(wa_runtime) == 0
    clock.advance(timedelta(days=2))
    assert forget_old(wa_runtime) == 1
    with wa_runtime.db.transaction() as session:
        assert token_of(session, "SM" + "1" * 32) is None

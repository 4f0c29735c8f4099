"""People and transcripts as staff read them: button presses by their labels in the person's
language, the platform's name for someone who has not given theirs yet."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from bot.messages import Choices, Inbound, Reply
from bot.models import Conversation, HandoffRequest
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock


def press(bot, message_id: str, replies: list[Reply], **inbound) -> tuple[str, list[Reply]]:  # type: ignore[no-untyped-def]
    """Press the first button the last question offered; its label and the bot's answer."""
    question = next(r for r in reversed(replies) if isinstance(r, Choices))
    choice = question.choices[0]
    return choice.label, bot.handle(Inbound(
        channel="telegram", user_id="42", message_id=message_id, choice_id=choice.id,
        choice_token=question.token or None, **inbound))


def test_a_pressed_button_shows_as_its_label(
        app: Flask, runtime: Runtime, staff: FlaskClient) -> None:
    bot = app.extensions["consultbot.bot"]
    replies = bot.handle(Inbound(channel="telegram", user_id="42", message_id="1",
                                 text="Здравствуйте", language_hint="ru"))
    first_label, replies = press(bot, "2", replies)
    second_label, _ = press(bot, "3", replies)
    with runtime.db.transaction() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.language == "ru"
    page = staff.get(f"/staff/people/{conversation.id}").text
    for label in (first_label, second_label):
        assert f'<span class="text">{label}</span>' in page
    assert page.count("Applicant pressed a button") == 2
    assert "lang:" not in page and 'class="text">menu:' not in page


def test_the_platform_name_shows_until_the_person_gives_theirs(
        app: Flask, runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    bot = app.extensions["consultbot.bot"]
    bot.handle(Inbound(channel="telegram", user_id="7", message_id="1", text="Hello",
                       display_name="Anna K."))
    with runtime.db.transaction() as session:
        conversation = session.exec(select(Conversation)).one()
        assert "Anna K." not in (conversation.data_enc or "")  # stored encrypted
        session.add(HandoffRequest(conversation_id=conversation.id, requested_at=clock()))
    waiting = staff.get("/staff/waiting").text
    assert f"Anna K. (telegram profile name, #{conversation.id})" in waiting
    assert "no name yet" not in waiting
    bot.handle(Inbound(channel="telegram", user_id="8", message_id="2", text="Hello"))
    with runtime.db.transaction() as session:
        unnamed = max(c.id for c in session.exec(select(Conversation)) if c.id)
    assert f"(no name yet: telegram #{unnamed})" in staff.get(f"/staff/people/{unnamed}").text

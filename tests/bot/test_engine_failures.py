"""A flow step that fails leaves nothing half done: no savepoint on the common path, yet
neither its rows nor its changes to the conversation are stored; the person gets the error
answer and the message is stored once."""

from __future__ import annotations

import pytest
from sqlmodel import select

import bot.engine as engine
from bot.engine import Bot
from bot.i18n import Translator
from bot.identifiers import find_conversation
from bot.messages import Inbound, reply_plain_text
from bot.models import HandoffRequest
from consultbot.runtime import Runtime
from tests.fixtures import runtime_for


def at_menu(bot: Bot) -> None:
    bot.handle(Inbound("console", "p1", "m1", text="hello"))
    bot.handle(Inbound("console", "p1", "m2", text="1"))


def stored(runtime: Runtime) -> tuple[str, dict[str, object], int]:
    with runtime.db.transaction() as session:
        conversation = find_conversation(session, runtime.cipher, "console", "p1")
        assert conversation is not None and conversation.data_enc
        handoffs = len(session.exec(select(HandoffRequest)).all())
        return conversation.state, runtime.cipher.decrypt_json(conversation.data_enc), handoffs


@pytest.mark.parametrize("flush", [False, True], ids=["unflushed", "written"])
def test_a_failing_step_changes_nothing_but_is_answered_and_stored(
        any_database_url: str, monkeypatch: pytest.MonkeyPatch, flush: bool) -> None:
    runtime = runtime_for(any_database_url)
    bot = Bot(runtime)
    at_menu(bot)
    before = stored(runtime)
    assert before[0] == "menu" and before[2] == 0

    def failing_step(turn) -> None:  # type: ignore[no-untyped-def]
        turn.conversation.state = "handoff"
        turn.data["half"] = "done"
        turn.session.add(HandoffRequest(conversation_id=turn.conversation.id,
                                        requested_at=turn.now))
        if flush:
            turn.session.flush()  # a row really written inside the transaction
        raise RuntimeError("a bug in a state")

    monkeypatch.setattr(engine, "step", failing_step)
    handled = bot.receive(Inbound("console", "p1", "m3", text="anything"))
    assert [reply_plain_text(r) for r in handled.replies] == [Translator("en")("common.error")]
    assert stored(runtime) == before
    monkeypatch.undo()
    again = bot.receive(Inbound("console", "p1", "m3", text="anything"))
    assert again.repeated and [reply_plain_text(r) for r in again.replies] == [
        Translator("en")("common.error")]
    runtime.db.dispose()

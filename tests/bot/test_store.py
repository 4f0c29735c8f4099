"""The turn's own rows (``bot.store``): what a first contact sends, the race it may lose,
and the conversation handed to the flow looking like one the ORM loaded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, inspect, select

from bot import store
from bot.engine import Bot
from bot.models import Conversation
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime


@pytest.fixture
def sent(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement the engine's connections send, as text."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(runtime.db.engine, "before_cursor_execute", note)
    yield statements
    event.remove(runtime.db.engine, "before_cursor_execute", note)


def test_a_first_contact_gets_its_row_back_from_the_insert(
        runtime: Runtime, sent: list[str]) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    assert "Which language do you prefer?" in chat.send("Hello")
    conversation_reads = [s for s in sent if s.startswith("SELECT") and "FROM conversation" in s]
    inserts = [s for s in sent if s.startswith("INSERT INTO conversation")]
    assert len(inserts) == 1 and "RETURNING" in inserts[0]
    assert len(conversation_reads) == 1  # the lock-free peek: the INSERT came first
    assert not any("IN (__[POSTCOMPILE" in s for s in sent)
    sent.clear()
    chat.send("1")
    assert not any(s.startswith("INSERT INTO conversation") for s in sent)


@pytest.mark.parametrize("new", [False, True])
def test_a_row_inserted_meanwhile_is_locked_instead(runtime: Runtime, new: bool) -> None:
    keys = ["k" * 64]
    now = runtime.clock()
    with runtime.db.begin() as connection:
        def create() -> dict[str, Any]:
            row = store.new_row("console", keys[0], "enc", now)
            # Another writer got there first (between the SELECT and the INSERT).
            store._CREATE[runtime.db.engine.dialect.name].rows(connection,
                                                               {**row, "state": "menu"})
            return row

        locked = store.lock(connection, "console", keys, create, new=new)
        assert locked.conversation.state == "menu"
    with runtime.db.transaction() as session:
        assert len(session.exec(select(Conversation)).all()) == 1  # type: ignore[call-overload]


def test_the_locked_conversation_is_like_a_loaded_one(runtime: Runtime) -> None:
    keys = ["k" * 64, "o" * 64]  # the current key's hash and an older key's
    with runtime.db.transaction() as session:
        session.add(Conversation(channel="console", user_key=keys[1], state="menu",
                                 created_at=runtime.clock(), updated_at=runtime.clock()))
    with runtime.db.begin() as connection:  # thought new, but two keys: looked up first
        locked = store.lock(connection, "console", keys, lambda: pytest.fail("not new"),
                            new=True)
        conversation = locked.conversation
        assert inspect(conversation).detached and store.changed(conversation) == {}
        assert conversation.created_at.tzinfo is not None
        conversation.state = "faq"  # before the flow asked for a session
        session = store.session_on(connection, conversation)
        try:
            assert inspect(conversation).persistent
            assert session.get(Conversation, conversation.id) is conversation
            conversation.language = None  # unchanged: not written
            assert store.changed(conversation) == locked.changed() == {"state": "faq"}
        finally:
            session.close()


def test_a_message_checks_out_one_connection_and_opens_no_session(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite: the lock-free read and the turn share one connection, and a turn whose step
    # writes no rows of its own (a first contact, a menu) runs without an ORM session.
    checkouts: list[object] = []
    event.listen(runtime.db.engine, "checkout", lambda *args: checkouts.append(args))
    sessions: list[object] = []
    real = store.session_on
    monkeypatch.setattr(store, "session_on", lambda *args: sessions.append(args) or real(*args))
    chat = ConsoleChannel(Bot(runtime), "anna")
    assert "Which language do you prefer?" in chat.send("Hello")
    assert "How can we help?" in chat.send("1")  # the language: the menu
    assert len(checkouts) == 2 and sessions == []

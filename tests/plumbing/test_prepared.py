"""Prepared statements on both databases: the same values as ``Connection.execute`` gives,
SQLAlchemy's errors and events, and nothing compiled twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError

from bot.models import Conversation, InboundMessage
from plumbing.db import Database
from plumbing.prepared import Prepared

conversation = Conversation.__table__  # type: ignore[attr-defined]
message = InboundMessage.__table__  # type: ignore[attr-defined]
WHEN = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
ROW = {"channel": "console", "user_key": "k" * 64, "state": "menu", "created_at": WHEN,
       "updated_at": WHEN, "unreachable": True}


@pytest.fixture
def db(any_database_url: str) -> Iterator[Database]:
    database = Database(any_database_url)
    yield database
    database.dispose()


def test_rows_come_back_as_execute_gives_them(db: Database) -> None:
    by_key = select(conversation).where(conversation.c.user_key == bindparam("key")).limit(1)
    prepared = Prepared(by_key, conversation.c)
    with db.transaction() as session:
        connection = session.connection()
        created = Prepared(insert(conversation).returning(*conversation.c),
                           conversation.c).first(connection, ROW)
        expected = tuple(connection.execute(by_key, {"key": "k" * 64}).one())
        assert created == expected == prepared.first(connection, {"key": "k" * 64})
        assert created is not None and created[8] == WHEN and created[11] is True
        assert prepared.first(connection, {"key": "none"}) is None
        assert len(prepared._forms) == 1  # compiled once for both executions


def test_driver_errors_are_sqlalchemy_errors_and_events_see_every_statement(
        db: Database) -> None:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", note)
    new_message = Prepared(insert(message))
    with pytest.raises(IntegrityError), db.transaction() as session:  # no such conversation
        new_message.rows(session.connection(), {
            "conversation_id": 12345, "channel": "console", "platform_message_id": "m",
            "received_at": WHEN, "text_enc": None, "replies_enc": None})
    assert "INSERT" in seen


def test_a_missing_value_is_refused_before_anything_is_sent(db: Database) -> None:
    with db.transaction() as session, pytest.raises(ValueError, match="key"):
        Prepared(select(conversation).where(
            conversation.c.user_key == bindparam("key"))).rows(session.connection(), {})

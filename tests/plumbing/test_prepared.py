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


def test_a_prepared_read_on_sqlite_sends_only_its_statement(tmp_path: Any) -> None:
    # Every message's peek: before, the AUTOCOMMIT switch cost a PRAGMA on each return of
    # the connection to the pool (and set the driver's isolation level back each time).
    db = Database(f"sqlite:///{tmp_path / 'reads.db'}")
    sent: list[str] = []

    @event.listens_for(db.engine, "connect")
    def _trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(sent.append)

    by_key = Prepared(select(conversation.c.state).where(
        conversation.c.user_key == bindparam("key")), [conversation.c.state])
    try:
        with db.transaction() as session:  # the table, and a connection in the pool
            session.connection().exec_driver_sql(
                "CREATE TABLE conversation (id INTEGER PRIMARY KEY, user_key TEXT, state TEXT)")
        sent.clear()
        for _ in range(2):
            with db.prepared_read() as connection:
                assert by_key.first(connection, {"key": "k"}) is None
        assert [s.split()[0] for s in sent] == ["SELECT", "SELECT"]
    finally:
        db.dispose()


def test_a_prepared_read_takes_no_write_lock_and_refuses_a_transaction(
        db: Database) -> None:
    one = Prepared(select(conversation.c.id).where(conversation.c.user_key == bindparam("key")),
                   [conversation.c.id])
    with db.transaction() as session:  # holds the write lock (SQLite) meanwhile
        Prepared(insert(conversation)).rows(session.connection(), ROW)
        with db.prepared_read() as connection:
            assert one.first(connection, {"key": "k" * 64}) is None  # not committed yet
    with pytest.raises(RuntimeError), db.prepared_read() as connection:
        connection.execute(select(conversation.c.id))  # would begin a transaction


def test_a_datetime_bound_again_is_converted_once_and_a_new_one_anew(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # A turn binds its one `now` to about five columns in three statements.
    from plumbing.db import UTCDateTime

    converted: list[datetime] = []
    real = UTCDateTime.process_bind_param
    monkeypatch.setattr(UTCDateTime, "process_bind_param",
                        lambda self, value, dialect: converted.append(value) or
                        real(self, value, dialect))
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # new objects: none converted before
    later = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    row = {**ROW, "created_at": when, "updated_at": when}
    by_key = select(conversation.c.created_at, conversation.c.updated_at).where(
        conversation.c.user_key == bindparam("key"))
    with db.transaction() as session:
        connection = session.connection()
        Prepared(insert(conversation)).rows(connection, row)  # `when` twice
        Prepared(insert(conversation)).rows(connection, {**row, "user_key": "o" * 64,
                                                         "updated_at": later})
        stored = [tuple(connection.execute(by_key, {"key": key}).one())
                  for key in ("k" * 64, "o" * 64)]
    assert converted == [when, later]  # the second row's `when`: the first's conversion
    assert stored == [(when, when), (when, later)]

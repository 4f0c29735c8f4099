"""``Database.begin`` on SQLite: ``BEGIN IMMEDIATE`` and ``COMMIT`` on the driver, with
what SQLAlchemy begins inside (a session, ``Connection.execute``) joining that transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from bot import store
from bot.engine import Bot
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime
from plumbing.db import Database, send


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'driver.db'}")
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE log (n INTEGER)"))
    yield database
    database.dispose()


def stored(db: Database) -> list[int]:
    with db.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT n FROM log ORDER BY rowid"))]


def test_a_first_contact_makes_no_sqlalchemy_transaction(runtime: Runtime) -> None:
    # Its BEGIN IMMEDIATE and COMMIT are statements on the driver's connection.
    frames: list[str] = []
    engine = runtime.db.engine
    event.listen(engine, "begin", lambda _conn: frames.append("sqlalchemy begin"))
    event.listen(engine, "commit", lambda _conn: frames.append("sqlalchemy commit"))
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: frames.append(sql)
                 if sql in ("BEGIN IMMEDIATE", "COMMIT") else None)
    chat = ConsoleChannel(Bot(runtime), "anna")
    assert "Which language do you prefer?" in chat.send("Hello")
    assert frames == ["BEGIN IMMEDIATE", "COMMIT"]


def test_what_a_session_and_execute_write_inside_commits_with_the_rest(db: Database) -> None:
    with db.begin() as connection:
        send(connection, "INSERT INTO log VALUES (1)")
        connection.execute(text("INSERT INTO log VALUES (2)"))  # begins SQLAlchemy's: joined
        session = Session(bind=connection, join_transaction_mode="rollback_only")
        session.execute(text("INSERT INTO log VALUES (3)"))
        session.close()  # leaves the transaction open
        send(connection, "INSERT INTO log VALUES (4)")
    assert stored(db) == [1, 2, 3, 4]


def test_a_session_made_for_the_flow_is_closed_without_ending_the_turn(db: Database) -> None:
    # The engine closes the flow's session before the turn's commit.
    with db.begin() as connection:
        send(connection, "INSERT INTO log VALUES (1)")
        session = store.session_on(connection, store.loaded({}))
        session.expunge_all()
        session.execute(text("INSERT INTO log VALUES (2)"))
        session.close()
    assert stored(db) == [1, 2]


@pytest.mark.parametrize("joined", [False, True])
def test_an_error_rolls_everything_back_and_the_connection_is_usable(
        db: Database, joined: bool) -> None:
    with db.shared() as shared:
        assert shared is not None
        with pytest.raises(RuntimeError), db.begin(shared) as connection:
            send(connection, "INSERT INTO log VALUES (1)")
            if joined:
                connection.execute(text("INSERT INTO log VALUES (2)"))
            raise RuntimeError("the step failed")
        assert not shared.connection.driver_connection.in_transaction  # type: ignore[attr-defined]
        assert not shared.in_transaction()
        with db.begin(shared) as connection:
            send(connection, "INSERT INTO log VALUES (5)")
    assert stored(db) == [5]


def test_a_failed_statement_inside_does_not_leave_a_transaction_open(db: Database) -> None:
    seen: list[Any] = []
    with pytest.raises(Exception, match="no such table"), db.begin() as connection:
        seen.append(connection)
        send(connection, "INSERT INTO missing VALUES (1)")
    with db.begin() as connection:  # the write lock was given back
        send(connection, "INSERT INTO log VALUES (7)")
    assert stored(db) == [7] and seen

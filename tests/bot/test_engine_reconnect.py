"""A dead PostgreSQL connection costs one retry of the turn, not a lost message (the pool
does not ping before each transaction)."""

from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import bot.engine as engine
from bot.engine import Bot
from bot.i18n import Translator
from bot.messages import Inbound, reply_plain_text
from tests.fixtures import runtime_for


def terminate_other_backends(database_url: str) -> int:
    """What a database restart does to the pool: every other connection is killed."""
    url = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
    return len(rows)


@pytest.mark.postgres
def test_a_turn_on_a_killed_connection_is_retried_at_once_and_stored(
        postgres_url: str, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The lock-free read before the turn would meet the dead connection first (and carry
    # on without it): skip it, so the transaction's first statement meets it.
    monkeypatch.setattr(engine, "peek", lambda *_args: engine.Peeked(
        None, False))
    runtime = runtime_for(postgres_url)
    sleeps: list[float] = []
    bot = Bot(runtime, sleep=sleeps.append)
    bot.handle(Inbound("console", "p1", "m1", text="hello"))
    assert terminate_other_backends(postgres_url) >= 1
    with caplog.at_level(logging.WARNING, logger="bot.engine"):
        handled = bot.receive(Inbound("console", "p1", "m2", attachments=1))
    assert reply_plain_text(handled.replies[0]) == Translator("en")("common.attachment")
    assert "retrying message (attempt 1): OperationalError" in caplog.text
    assert sleeps == []  # a dead connection is not a busy database: no back-off
    again = bot.receive(Inbound("console", "p1", "m2", attachments=1))
    assert again.repeated  # it was stored
    runtime.db.dispose()


@pytest.mark.postgres
def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_when_dead(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page read after a quiet spell in which the database restarted is not retried like
    a turn: the idle connection is pinged on checkout and a dead one replaced."""
    import plumbing.db as db_module

    now = [1000.0]
    monkeypatch.setattr(db_module, "_monotonic", lambda: now[0])
    runtime = runtime_for(postgres_url)
    with runtime.db.read() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert terminate_other_backends(postgres_url) >= 1
    now[0] += db_module.IDLE_PING_SECONDS
    with runtime.db.read() as connection:
        assert connection.execute(text("SELECT 2")).scalar() == 2
    with runtime.db.transaction() as session:  # the replaced connection begins as usual
        assert session.execute(text("SELECT 3")).scalar() == 3
    runtime.db.dispose()


@pytest.mark.postgres
def test_a_connection_in_steady_use_is_not_pinged(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a quiet spell there is no ping (no round trip per transaction): a dead
    connection then meets the first statement, which the turn's retry handles (above)."""
    from sqlalchemy.exc import OperationalError

    import plumbing.db as db_module

    monkeypatch.setattr(db_module, "_monotonic", lambda: 1000.0)
    runtime = runtime_for(postgres_url)
    with runtime.db.read() as connection:
        connection.execute(text("SELECT 1"))
    assert terminate_other_backends(postgres_url) >= 1
    with pytest.raises(OperationalError), runtime.db.read() as connection:
        connection.execute(text("SELECT 1"))
    runtime.db.dispose()

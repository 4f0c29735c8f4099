"""A dead PostgreSQL connection costs one retry of the turn, not a lost message (the pool
does not ping before each transaction)."""

from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy.engine import make_url

import bot.engine as engine
from bot.engine import Bot
from bot.i18n import Translator
from bot.messages import Inbound, reply_plain_text
from tests.conftest import runtime_for


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
    monkeypatch.setattr(engine, "peek", lambda db, cipher, inbound, now: engine.Peeked(
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

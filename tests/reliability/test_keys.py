"""The key check at start, ``consultbot keys rotate``, and undecryptable outbox messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.messages import Inbound
from bot.models import Conversation, InboundMessage
from consultbot.cli import main
from consultbot.keys import KeyCheckFailed, rotate_keys
from consultbot.runtime import build_runtime
from consultbot.worker import UNDECRYPTABLE, Worker
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus, enqueue
from plumbing.settings import load_settings


def start(url: str, keys: str, clock: ManualClock):  # type: ignore[no-untyped-def]
    return build_runtime(load_settings(database_url=url, data_encryption_key=keys), clock=clock,
                         check_key=True)


def talk(runtime, text: str, n: int) -> list:  # type: ignore[no-untyped-def]
    return Bot(runtime).handle(Inbound("console", "amina", f"m{n}", text=text))


def test_wrong_key_refused_both_keys_work_after_rotate_the_new_key_alone(
        any_database_url: str, clock: ManualClock, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_key(), new_key()
    first = start(any_database_url, old, clock)
    talk(first, "hello", 1)
    talk(first, "English", 2)
    first.db.dispose()

    with pytest.raises(KeyCheckFailed, match="DATA_ENCRYPTION_KEY"):
        start(any_database_url, new, clock)
    monkeypatch.setenv("DATABASE_URL", any_database_url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new)
    assert main(["worker", "--once"]) == 2  # every command refuses, with one line
    assert "DATA_ENCRYPTION_KEY" in capsys.readouterr().err

    both = start(any_database_url, f"{new},{old}", clock)
    assert talk(both, "menu", 3)
    rewritten = []
    assert rotate_keys(both.db, both.cipher, clock, batch=2,
                       report=lambda p: rewritten.append(p)) > 0
    assert rewritten and rewritten[-1].done == rewritten[-1].total
    assert rotate_keys(both.db, both.cipher, clock) == 0  # resumable: nothing left to do
    both.db.dispose()

    with pytest.raises(KeyCheckFailed):
        start(any_database_url, old, clock)  # the canary was re-written under the new key
    alone = start(any_database_url, new, clock)
    with alone.db.transaction() as session:
        for message in session.exec(select(InboundMessage)).all():
            alone.cipher.decrypt(message.text_enc or "")
        [person] = session.exec(select(Conversation)).all()
        assert alone.cipher.decrypt_json(person.data_enc or "") is not None
    assert talk(alone, "help", 4)
    alone.db.dispose()


def test_after_rotation_a_person_who_wrote_only_under_the_old_key_is_still_found(
        any_database_url: str, clock: ManualClock) -> None:
    old, new = new_key(), new_key()
    first = start(any_database_url, old, clock)
    talk(first, "hello", 1)
    first.db.dispose()
    both = start(any_database_url, f"{new},{old}", clock)
    rotate_keys(both.db, both.cipher, clock)  # the person did not write under both keys
    both.db.dispose()
    alone = start(any_database_url, new, clock)
    with alone.db.transaction() as session:
        assert find_conversation(session, alone.cipher, "console", "amina") is not None
    talk(alone, "help", 2)
    with alone.db.transaction() as session:
        assert len(session.exec(select(Conversation)).all()) == 1  # not welcomed as new
    alone.db.dispose()


def test_keys_rotate_command_reports_progress(database_url: str, clock: ManualClock,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_key(), new_key()
    runtime = start(database_url, old, clock)
    talk(runtime, "hello", 1)
    runtime.db.dispose()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", f"{new},{old}")
    assert main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert "inbound_message.text_enc: 1/1 looked at, 1 re-encrypted" in out
    assert "Done:" in out


def test_a_database_from_before_the_canary_is_checked_against_its_data(
        database_url: str, clock: ManualClock) -> None:
    runtime = start(database_url, new_key(), clock)
    talk(runtime, "hello", 1)
    with runtime.db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM key_canary")
    runtime.db.dispose()
    with pytest.raises(KeyCheckFailed, match="DATA_ENCRYPTION_KEY"):
        start(database_url, new_key(), clock)


def test_an_undecryptable_outbox_message_stays_pending(database_url: str,
                                                       clock: ManualClock) -> None:
    runtime = start(database_url, new_key(), clock)
    stranger = build_runtime(load_settings(database_url=database_url,
                                           data_encryption_key=new_key()),
                             clock=clock, migrate=False)
    with runtime.db.transaction() as session:  # written under a key we do not have
        enqueue(session, stranger.cipher, key="k1", kind="notice", channel="console",
                recipient="x", replies=[], now=clock())

    class Sender:
        def send(self, delivery):  # type: ignore[no-untyped-def]
            raise AssertionError("must not be sent")

    worker = Worker(runtime, senders={"console": Sender()})  # type: ignore[dict-item]
    for _ in range(runtime.settings.outbox_max_attempts + 2):
        assert worker.run_once() == {"retry": 1}
        clock.advance(timedelta(minutes=1))
    with runtime.db.transaction() as session:
        [row] = session.exec(select(OutboxMessage)).all()
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, UNDECRYPTABLE)
    runtime.db.dispose()
    stranger.db.dispose()

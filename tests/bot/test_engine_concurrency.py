"""Exactly-once and no interleaving, across threads and processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

import bot.engine as engine
from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.messages import Inbound, reply_plain_text
from bot.models import InboundMessage
from consultbot.runtime import Runtime
from plumbing.crypto import new_key
from tests.fixtures import runtime_for, worker_processes

QUESTIONS = ["how much does it cost?", "which countries do you cover?",
             "is the consultation free?", "how fast do you reply?", "what is a report?"]


def send(bot: Bot, user: str, message_id: str, text: str) -> str:
    replies = bot.handle(Inbound("console", user, message_id, text=text))
    return "\n".join(reply_plain_text(r) for r in replies)


def stored_messages(runtime: Runtime, user: str) -> list[InboundMessage]:
    with runtime.db.transaction() as session:
        conversation = find_conversation(session, runtime.cipher, "console", user)
        assert conversation is not None
        return list(session.exec(select(InboundMessage).where(
            InboundMessage.conversation_id == conversation.id)).all())


class OverlapProbe:
    """Wraps the flow's step to notice two turns of one person running at once."""

    def __init__(self, real_step) -> None:  # type: ignore[no-untyped-def]
        self.real_step = real_step
        self.lock = threading.Lock()
        self.active: Counter[int] = Counter()
        self.overlaps = 0
        self.entered = threading.Event()

    def __call__(self, turn) -> None:  # type: ignore[no-untyped-def]
        key = turn.conversation.id
        with self.lock:
            self.active[key] += 1
            if self.active[key] > 1:
                self.overlaps += 1
        try:
            # Give any other thread the chance to enter while we are inside.
            self.entered.wait(0.005)
            self.real_step(turn)
        finally:
            with self.lock:
                self.active[key] -= 1


def test_one_persons_messages_never_interleave(any_database_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = runtime_for(any_database_url, data_encryption_key=new_key())
    bot = Bot(runtime)
    send(bot, "p1", "setup-1", "/start")
    send(bot, "p1", "setup-2", "1")
    probe = OverlapProbe(engine.step)
    monkeypatch.setattr(engine, "step", probe)
    answers: dict[str, str] = {}

    def worker(name: str) -> None:
        for n in range(10):
            answers[f"{name}-{n}"] = send(bot, "p1", f"{name}-{n}", QUESTIONS[n % len(QUESTIONS)])

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert probe.overlaps == 0
    assert len(answers) == 30 and all(answers.values())
    assert len(stored_messages(runtime, "p1")) == 32
    runtime.db.dispose()


@pytest.mark.postgres
def test_different_people_proceed_in_parallel(postgres_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = runtime_for(postgres_url, data_encryption_key=new_key())
    bot = Bot(runtime)
    both_inside = threading.Barrier(2, timeout=10)
    real_step = engine.step

    def step_waiting_for_the_other(turn) -> None:  # type: ignore[no-untyped-def]
        both_inside.wait()  # only passes if the other person's turn is running too
        real_step(turn)

    monkeypatch.setattr(engine, "step", step_waiting_for_the_other)
    results: list[str] = []
    threads = [threading.Thread(target=lambda u=u: results.append(send(bot, u, f"{u}-1", "hi")))
               for u in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and all("Which language" in r for r in results)
    runtime.db.dispose()


def _process_worker(url: str, key: str, worker: int, out: multiprocessing.Queue) -> None:
    runtime = runtime_for(url, data_encryption_key=key)
    bot = Bot(runtime)
    got = {}
    for n in range(6):
        # Ids shared by all processes: a platform delivering the same message to each.
        message_id = f"shared-{n}" if n % 2 == 0 else f"w{worker}-{n}"
        got[message_id] = send(bot, "p2", message_id, QUESTIONS[n % len(QUESTIONS)])
    out.put(got)
    runtime.db.dispose()


@pytest.mark.slow
def test_processes_handle_each_message_once(any_database_url: str) -> None:
    key = new_key()
    setup = runtime_for(any_database_url, data_encryption_key=key)
    send(Bot(setup), "p2", "setup-1", "/start")
    context = worker_processes()
    out = context.Queue()
    processes = [context.Process(target=_process_worker, args=(any_database_url, key, w, out))
                 for w in range(3)]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    for n in (0, 2, 4):
        assert len({r[f"shared-{n}"] for r in results}) == 1  # the same replies everywhere
    ids = [m.platform_message_id for m in stored_messages(setup, "p2")]
    assert len(ids) == len(set(ids)) == 1 + 3 + 3 * 3
    setup.db.dispose()


@pytest.mark.slow
def test_restart_mid_conversation_loses_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}",
           "DATA_ENCRYPTION_KEY": new_key()}
    command = [sys.executable, "-m", "consultbot.cli", "chat", "--user", "maria"]

    def run(lines: list[str]) -> str:
        done = subprocess.run(command, input="\n".join(lines) + "\n", env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = run(["1", "Book free consultation", "1", "Maria Ivanova"])
    assert "Which country are you from?" in first
    second = run(["2", "Iran"])  # a new process: "/menu" is shown, then we resume booking
    assert "How can we help?" in second
    assert "continue where we stopped" in second
    assert "Which country are you from?" in second
    assert "In which country are you claiming asylum?" in second

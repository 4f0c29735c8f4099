"""Several workers on the local PostgreSQL: every message is claimed, and sent, by one of them."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlmodel import func, select

from bot.messages import Text, reply_to_dict
from channels.delivery import Delivery
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus, enqueue
from tests.fixtures import START, runtime_for, worker_processes

pytestmark = pytest.mark.postgres
MESSAGES = 200


class RecordingSender:
    """A fake platform shared by the workers of one process: which worker sent which key."""

    def __init__(self, worker: str, log: list[tuple[str, str]], lock: Any) -> None:
        self.worker, self.log, self.lock = worker, log, lock

    def send(self, delivery: Delivery) -> str | None:
        with self.lock:
            self.log.append((self.worker, delivery.key))
        return f"{self.worker}:{delivery.key}"


def fill(runtime: Runtime) -> list[str]:
    keys = [f"pg:{n}" for n in range(MESSAGES)]
    with runtime.db.transaction() as session:
        for key in keys:
            enqueue(session, runtime.cipher, key=key, kind="notice", channel="fake",
                    recipient="r", replies=[reply_to_dict(Text(key))], now=START)
    return keys


def check_everything_sent_once(runtime: Runtime, log: list[tuple[str, str]],
                               keys: list[str], workers: int) -> None:
    counts = Counter(key for _, key in log)
    assert sorted(counts) == sorted(keys)
    assert set(counts.values()) == {1}, "a message was sent twice"
    assert len({worker for worker, _ in log}) == workers, "the workers did not overlap"
    with runtime.db.transaction() as session:
        statuses = dict(session.exec(select(OutboxMessage.status, func.count()).group_by(
            OutboxMessage.status)).all())
        attempts = set(session.exec(select(OutboxMessage.attempts)).all())
    assert statuses == {OutboxStatus.SENT: MESSAGES}
    assert attempts == {1}


def test_threads_never_send_the_same_message_twice(postgres_url: str) -> None:
    key = new_key()
    setup = runtime_for(postgres_url, data_encryption_key=key)
    keys = fill(setup)
    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    workers = [Worker(runtime_for(postgres_url, data_encryption_key=key),
                      {"fake": RecordingSender(f"w{n}", log, lock)}, batch_size=5)
               for n in range(4)]
    start = threading.Barrier(len(workers))

    def run(worker: Worker) -> None:
        start.wait()
        worker.drain(max_batches=1000)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    check_everything_sent_once(setup, log, keys, len(workers))
    for worker in workers:
        worker.runtime.db.dispose()
    setup.db.dispose()


def _process_worker(url: str, key: str, name: str, start: Any, out: Any) -> None:
    log: list[tuple[str, str]] = []
    runtime = runtime_for(url, data_encryption_key=key)
    worker = Worker(runtime, {"fake": RecordingSender(name, log, threading.Lock())},
                    batch_size=5)
    start.wait()
    worker.drain(max_batches=1000)
    runtime.db.dispose()
    out.put(log)


@pytest.mark.slow
def test_processes_never_send_the_same_message_twice(postgres_url: str) -> None:
    key = new_key()
    setup = runtime_for(postgres_url, data_encryption_key=key)
    keys = fill(setup)
    context = worker_processes()
    start, out = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_process_worker,
                                 args=(postgres_url, key, f"p{n}", start, out))
                 for n in range(2)]
    for process in processes:
        process.start()
    log = [entry for _ in processes for entry in out.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    check_everything_sent_once(setup, log, keys, len(processes))
    setup.db.dispose()

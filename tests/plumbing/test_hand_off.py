"""SQLite's writers of one process take the write lock in the order they arrived."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from plumbing.db import Database, FileLock, HandOff


def queue_up(lock: HandOff, count: int, acquired: list[int],
             work: Callable[[int], None] | None = None) -> list[int]:
    """Start ``count`` threads one after another while the lock is held, each queued before
    the next starts, then release; each appends its number to ``acquired`` once it holds
    the lock (then runs ``work``). Returns the arrival order."""
    arrived: list[int] = []

    def writer(n: int) -> None:
        with lock.held():
            acquired.append(n)
            if work is not None:
                work(n)

    lock.acquire()
    threads = []
    for n in range(count):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        while lock.waiting < n + 1:  # until this one is queued (polling, not a timed wait)
            time.sleep(0.0005)
        arrived.append(n)
        threads.append(thread)
    lock.release()
    for thread in threads:
        thread.join()
    return arrived


def test_waiters_get_the_lock_in_arrival_order() -> None:
    acquired: list[int] = []
    arrived = queue_up(HandOff(), 16, acquired)
    assert acquired == arrived == list(range(16))


def test_a_newcomer_does_not_overtake_the_queue() -> None:
    lock = HandOff()
    acquired: list[int] = []
    newcomers: list[threading.Thread] = []

    def newcomer() -> None:
        with lock.held():
            acquired.append(99)

    def meanwhile(n: int) -> None:  # while the first holds it, someone else arrives
        if n == 0:
            newcomers.append(threading.Thread(target=newcomer))
            newcomers[0].start()
            while lock.waiting < 16:  # the 15 still queued, and the newcomer
                time.sleep(0.0005)

    arrived = queue_up(lock, 16, acquired, meanwhile)
    newcomers[0].join()
    assert acquired == [*arrived, 99]


def test_the_holder_may_enter_again_and_a_waiter_gives_up_after_its_timeout() -> None:
    lock = HandOff(timeout=0.05)
    with lock.held(), lock.held():  # a nested transaction does not wait on itself
        failed: list[BaseException] = []
        thread = threading.Thread(target=lambda: _try(lock, failed))
        thread.start()
        thread.join()
    assert len(failed) == 1 and isinstance(failed[0], PoolTimeout)
    assert lock.waiting == 0
    with lock.held():  # free again
        pass


def _try(lock: HandOff, failed: list[BaseException]) -> None:
    try:
        lock.acquire()
    except PoolTimeout as exc:
        failed.append(exc)


def test_sqlite_transactions_queue_in_arrival_order(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fifo.db'}")
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE log (n INTEGER)"))
    assert db.writers is not None

    committed: list[int] = []
    lock = db.writers
    arrived: list[int] = []

    def writer(n: int) -> None:
        with db.transaction() as session:
            session.execute(text("INSERT INTO log VALUES (:n)"), {"n": n})
            committed.append(n)

    threads = []
    with db.transaction() as session:  # holds the hand-off lock and SQLite's write lock
        session.execute(text("INSERT INTO log VALUES (-1)"))
        for n in range(8):
            thread = threading.Thread(target=writer, args=(n,))
            thread.start()
            while lock.waiting < n + 1:
                time.sleep(0.0005)
            arrived.append(n)
            threads.append(thread)
    for thread in threads:
        thread.join()
    with db.engine.connect() as connection:
        stored = [row[0] for row in connection.execute(text("SELECT n FROM log ORDER BY rowid"))]
    assert committed == arrived and stored == [-1, *arrived]
    db.dispose()


@pytest.mark.postgres
def test_postgres_has_no_hand_off(postgres_url: str) -> None:
    db = Database(postgres_url)
    assert db.writers is None  # row locks let different people proceed in parallel
    db.dispose()


def test_the_lock_file_closed_while_held_does_not_wedge_the_writers(tmp_path: Path) -> None:
    """``Database.dispose`` while a writer holds the lock (a stop mid-transaction) closes the
    file, which drops the lock; releasing it then still hands the lock on."""
    lock = HandOff(timeout=2, across=FileLock(tmp_path / "db-writers"))
    lock.acquire()
    assert lock.across is not None
    lock.across.close()
    lock.release()
    taken: list[bool] = []

    def next_writer() -> None:
        with lock.held():
            taken.append(True)

    thread = threading.Thread(target=next_writer)
    thread.start()
    thread.join(5)
    assert taken == [True]

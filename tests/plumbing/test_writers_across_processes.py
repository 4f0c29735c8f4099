"""SQLite's writers in several processes (``consultbot serve --processes N``) wait for each
other in the kernel, through the lock file beside the database, and take turns."""

from __future__ import annotations

import multiprocessing
import time
from itertools import groupby
from pathlib import Path

import pytest
from sqlalchemy import text

from plumbing.db import Database
from tests.fixtures import worker_processes

pytestmark = pytest.mark.slow  # processes: started first (tests/conftest.py)

ROUNDS = 30


def _writer(url: str, worker: int, start: multiprocessing.synchronize.Barrier) -> None:
    db = Database(url)
    start.wait()
    for n in range(ROUNDS):
        with db.begin() as connection:
            connection.execute(text("INSERT INTO log VALUES (:worker, :n)"),
                               {"worker": worker, "n": n})
            time.sleep(0.003)  # a turn's work: the other process arrives meanwhile
    db.dispose()


def test_two_processes_take_the_write_lock_in_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    db = Database(url)
    with db.begin() as connection:
        connection.execute(text("CREATE TABLE log (worker INTEGER, n INTEGER)"))
    context = worker_processes()
    start = context.Barrier(2)
    processes = [context.Process(target=_writer, args=(url, w, start)) for w in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    with db.engine.connect() as connection:
        order = [row[0] for row in connection.execute(
            text("SELECT worker FROM log ORDER BY rowid"))]
    db.dispose()
    assert sorted(order) == [0] * ROUNDS + [1] * ROUNDS
    # While both still write, neither keeps the lock for itself. (SQLite's busy handler
    # alone lets the holder take it again and again while the other sleeps and retries.)
    runs = [len(list(run)) for _, run in groupby(order)][:-1]  # the last: one alone
    assert max(runs) <= 3, runs
    assert (tmp_path / "turns.db-writers").exists()


def _open_lock_files(lock_file: Path) -> int:
    """How many of this process's descriptors are open on ``lock_file`` (other tests'
    databases in this worker may hold lock files of their own until collected)."""
    return sum(1 for fd in Path("/proc/self/fd").iterdir()
               if fd.exists() and fd.resolve() == lock_file.resolve())


def test_disposing_closes_the_lock_file(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'closed.db'}")
    lock_file = tmp_path / "closed.db-writers"
    for _ in range(3):
        with db.begin():
            pass
    assert _open_lock_files(lock_file) == 1  # opened once, kept for the next transaction
    db.dispose()
    assert _open_lock_files(lock_file) == 0  # (a test suite makes thousands of Database objects)

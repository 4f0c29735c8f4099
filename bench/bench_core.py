"""Messages handled per second by the conversation core on SQLite (and a baseline).

Run: .venv/bin/python bench/bench_core.py [--people 40]
Each person goes /start → language → menu → a typed FAQ question → the intake questions.
The baseline is the cheapest durable thing one message could cost: one immediate SQLite
transaction inserting one row, on the same kind of database file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bot.engine import Bot
from bot.messages import Inbound
from consultbot.runtime import build_runtime
from plumbing.crypto import new_key
from plumbing.settings import load_settings

SCRIPT = ["/start", "1", "which countries do you cover?", "menu", "book", "1", "Anna Petrova",
          "Russia", "United Kingdom", "2", "no", "No deadline",
          "I was detained for anti-war posts and cannot return home.", "anna@example.com", "1"]


def run_core(folder: Path, people: int) -> tuple[int, float]:
    settings = load_settings(database_url=f"sqlite:///{folder / 'core.db'}",
                             data_encryption_key=new_key())
    bot = Bot(build_runtime(settings))
    count, started = 0, time.perf_counter()
    for person in range(people):
        for n, line in enumerate(SCRIPT):
            bot.handle(Inbound("bench", f"p{person}", f"p{person}-{n}", text=line))
            count += 1
    return count, time.perf_counter() - started


def run_baseline(folder: Path, count: int) -> float:
    settings = load_settings(database_url=f"sqlite:///{folder / 'base.db'}",
                             data_encryption_key=new_key())
    runtime = build_runtime(settings)
    with runtime.db.transaction() as session:
        session.execute(text("CREATE TABLE bench (id INTEGER PRIMARY KEY, body TEXT)"))
    started = time.perf_counter()
    for n in range(count):
        with runtime.db.transaction() as session:
            session.execute(text("INSERT INTO bench (body) VALUES (:b)"), {"b": f"m{n}"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "warm").mkdir()
        run_core(folder / "warm", 1)  # imports, catalogs and the FAQ index load here
        count, core_seconds = run_core(folder, args.people)
        base_seconds = run_baseline(folder, count)
    core_rate, base_rate = count / core_seconds, count / base_seconds
    print(f"messages: {count} ({args.people} people x {len(SCRIPT)} messages)")
    print(f"core:     {core_rate:8.0f} messages/s  ({1000 * core_seconds / count:.2f} ms each)")
    print(f"baseline: {base_rate:8.0f} inserts/s   (one immediate transaction, one row)")
    print(f"ratio core/baseline: {core_rate / base_rate:.2f}")


if __name__ == "__main__":
    main()

"""The cost of one turn's locked part, and how long a 1 MB message delays someone else.

Run: .venv/bin/python bench/bench_locked_turn.py [--runs 30] [--database-url …]
- locked part: the time inside ``Bot._handle_once`` (the person's lock held: on SQLite the
  database's write lock, so every other person waits) for a short answer, a free-text
  question at the menu (FAQ matching) and a 4,096-character one; median and worst.
- 1 MB: person A sends a 1 MB text (cut to 4,096 before the lock) at the menu; person B's
  "hello", sent just after A's turn has started, is timed to its reply. Target < 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.engine import Bot, Handled
from bot.messages import Inbound
from bot.understanding import Understanding
from consultbot.runtime import build_runtime
from plumbing.crypto import new_key
from plumbing.settings import load_settings


class Timed(Bot):
    """The core, timing the locked part of each turn."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.locked: list[float] = []
        self.entered = threading.Event()

    def _handle_once(self, inbound: Inbound, understood: Understanding,
                     cut: bool = False, **hints: Any) -> Handled:
        self.entered.set()
        began = time.perf_counter()
        try:
            return super()._handle_once(inbound, understood, cut, **hints)
        finally:
            self.locked.append(time.perf_counter() - began)


def at_menu(bot: Bot, person: str) -> None:
    for n, line in enumerate(("Hello", "1")):
        bot.handle(Inbound("bench", person, f"{person}-setup-{n}", text=line))


def locked_cost(bot: Timed, text: str, runs: int) -> tuple[float, float]:
    costs = []
    for n in range(runs):
        person = f"cost-{len(text)}-{n}"
        at_menu(bot, person)
        bot.handle(Inbound("bench", person, f"{person}-m", text=text))
        costs.append(bot.locked[-1])
    return statistics.median(costs), max(costs)


def one_megabyte_delay(bot: Timed) -> tuple[float, float]:
    """(seconds from B's send to B's reply, seconds of A's whole turn)."""
    at_menu(bot, "A")
    at_menu(bot, "B")
    huge = "What does an expert report cost and how long does it take? " * 17_500
    bot.entered.clear()
    took: dict[str, float] = {}

    def person_a() -> None:
        began = time.perf_counter()
        bot.handle(Inbound("bench", "A", "A-huge", text=huge))
        took["A"] = time.perf_counter() - began

    thread = threading.Thread(target=person_a)
    thread.start()
    bot.entered.wait(30)
    began = time.perf_counter()
    bot.handle(Inbound("bench", "B", "B-hello", text="hello"))
    took["B"] = time.perf_counter() - began
    thread.join()
    return took["B"], took["A"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/locked.db"
        bot = Timed(build_runtime(load_settings(database_url=url,
                                                data_encryption_key=new_key())))
        at_menu(bot, "warm-up")  # catalogs and the FAQ index load here
        bot.handle(Inbound("bench", "warm-up", "warm-up-q", text="How much does it cost?"))
        for label, text in (("short answer", "2"),
                            ("FAQ question", "How long does an expert report take?"),
                            ("4,096 characters", ("How long does it take? " * 200)[:4096])):
            median, worst = locked_cost(bot, text, args.runs)
            print(f"locked part, {label:17}: median {median * 1000:7.1f} ms, "
                  f"worst {worst * 1000:7.1f} ms ({args.runs} turns)")
        delay, whole = one_megabyte_delay(bot)
        print(f"1 MB message: its turn took {whole * 1000:.0f} ms; another person's reply "
              f"waited {delay * 1000:.0f} ms (target < 500 ms)")
        bot.runtime.db.dispose()
    return 0 if delay < 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Memory and look-up time of the gazetteer (the city names behind time zones by city).

Run: .venv/bin/python bench/bench_gazetteer.py

Loads the index in a fresh process and prints what it left resident (VmRSS before and
after, Linux only) and the cost of one look-up. A dict of a list per name left 57 MiB
resident, flat arrays about 31 MiB (1 s to load); the memory-mapped trie
(``bot.validation.gazetteer``) about 3 MiB (0.02 s).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES = ("munich", "köln", "aleppo", "mashhad", "manchester", "kyiv", "no such city")


def resident_kib() -> int:
    """This process's resident set, in KiB."""
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])


def main() -> None:
    from bot.validation import gazetteer
    from bot.validation.countries import fold

    before = resident_kib()
    started = time.perf_counter()
    gazetteer.load()
    loaded = time.perf_counter() - started
    gc.collect()
    print(f"load: {loaded:.2f} s, resident +{(resident_kib() - before) / 1024:.1f} MiB")
    keys = [fold(name) for name in NAMES]
    rounds = 20_000
    started = time.perf_counter()
    for _ in range(rounds):
        for key in keys:
            gazetteer.places(key)
    per = (time.perf_counter() - started) / (rounds * len(keys))
    print(f"look-up: {per * 1e6:.1f} µs")


if __name__ == "__main__":
    main()

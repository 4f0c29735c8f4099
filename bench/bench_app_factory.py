"""What one ``create_app`` and one ``load_settings`` cost, with and without their shortcuts.

Run: ``.venv/bin/python bench/bench_app_factory.py``. Before and after alternate five times
in one process: plain ``Flask`` against :class:`consultbot.routing.ConsultbotFlask`, and the
settings with their ``.env`` source always present against the ones that leave it out when
there is no file. CPU ms per call; medians of the five rounds.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask

import consultbot.web as web
from consultbot.routing import ConsultbotFlask
from consultbot.runtime import build_runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import Settings, load_settings

ROUNDS = 5


class AlwaysDotenv(Settings):
    """The settings as before: the ``.env`` source even without a file."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: Any, init_settings: Any,
                                   env_settings: Any, dotenv_settings: Any,
                                   file_secret_settings: Any) -> tuple[Any, ...]:
        return (init_settings, env_settings, dotenv_settings, file_secret_settings)


def per_call(work: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - started) / calls * 1000


def main() -> None:
    url, key = f"sqlite:///{tempfile.mkdtemp()}/bench.db", new_key()
    runtime = build_runtime(load_settings(database_url=url, data_encryption_key=key),
                            clock=ManualClock(datetime.now(UTC)))
    web.create_app(runtime)  # imports, warm-up and the shared builders: not measured
    figures: dict[str, list[float]] = {}

    def measure(name: str, work: Callable[[], object], calls: int) -> None:
        figures.setdefault(name, []).append(per_call(work, calls))

    for _ in range(ROUNDS):
        web.ConsultbotFlask = Flask  # type: ignore[misc]
        measure("create_app, plain Flask", lambda: web.create_app(runtime), 40)
        web.ConsultbotFlask = ConsultbotFlask  # type: ignore[misc]
        measure("create_app, shared builders", lambda: web.create_app(runtime), 40)
        measure("settings, .env source always",
                lambda: AlwaysDotenv(database_url=url, data_encryption_key=key), 200)
        measure("settings, .env source if a file",
                lambda: load_settings(database_url=url, data_encryption_key=key), 200)
    for name, values in figures.items():
        print(f"{name:34} {statistics.median(values):6.2f} ms  "
              f"({', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()

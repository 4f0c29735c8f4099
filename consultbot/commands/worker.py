"""``consultbot worker``: run the outbox worker (reminders, notices, staff alerts) on its own."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker", help="send reminders, notices and staff alerts (without the web app)")
    parser.add_argument("--poll", type=float, default=5.0,
                        help="seconds between rounds (default: 5)")
    parser.add_argument("--once", action="store_true",
                        help="run one round, send what is due, and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from consultbot.runtime import build_runtime
    from consultbot.worker import Worker, describe_senders
    from plumbing.logs import configure_logging
    from plumbing.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    runtime = build_runtime(settings, check_key=True)
    worker = Worker(runtime)
    print(f"consultbot worker: {describe_senders(worker.senders)}", flush=True)
    if args.once:
        processed = worker.tick()
        print(f"processed {processed} message(s)")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.run_forever(stop, args.poll)
    runtime.services.close()
    runtime.db.dispose()
    return 0

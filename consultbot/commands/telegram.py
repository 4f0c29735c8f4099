"""``consultbot telegram``: the Telegram bot on its own, by long polling."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "telegram", help="run the Telegram bot alone, by long polling (no web server needed)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from channels.telegram.polling import poll_until_stopped
    from consultbot.registry import build_bot
    from consultbot.runtime import build_runtime
    from plumbing.logs import configure_logging
    from plumbing.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    if not settings.telegram_enabled:
        print("consultbot telegram: set TELEGRAM_BOT_TOKEN (BotFather gives it) first.",
              file=sys.stderr)
        return 2
    if settings.telegram_mode == "webhook":
        print("consultbot telegram: TELEGRAM_MODE=webhook, so Telegram posts to `consultbot "
              "serve`; polling here would remove that webhook. Set TELEGRAM_MODE=polling to "
              "poll.", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    runtime = build_runtime(settings, check_key=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def started(username: str) -> None:
        print(f"Telegram bot @{username} is polling for messages; Ctrl-C stops it.", flush=True)

    try:
        poll_until_stopped(runtime, build_bot(runtime), stop, on_started=started)
    except KeyboardInterrupt:
        print("stopped")
    except Exception as exc:
        print(f"consultbot telegram: could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        runtime.services.close()
        runtime.db.dispose()
    return 0

"""``consultbot chat``: talk to the bot in the terminal."""

from __future__ import annotations

import argparse
import logging
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("chat", help="talk to the bot in this terminal")
    parser.add_argument("--user", default="local", help="who you are (default: local)")
    parser.add_argument("--lang", default=None, help="language hint, e.g. ru")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.engine import Bot
    from bot.flow.faq import warm_up
    from channels.console import ConsoleChannel
    from consultbot.runtime import build_runtime
    from plumbing.settings import load_settings_or_exit

    logging.basicConfig(level=logging.WARNING)
    settings = load_settings_or_exit()
    runtime = build_runtime(settings, check_key=True)
    print(warm_up(enabled=settings.faq_semantic, cache_directory=settings.faq_cache_dir))
    ConsoleChannel(Bot(runtime), args.user, language_hint=args.lang).run()
    return 0

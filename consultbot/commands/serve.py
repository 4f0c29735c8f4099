"""``consultbot serve``: the web application under waitress, plus background services."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from sqlalchemy.engine import make_url

#: Background services started beside the web app: "module:function", fn(runtime, bot)
#: returns a callable that stops it, or None when its settings leave it off.
BACKGROUND: list[str] = [
    "consultbot.worker:start_background",
    "channels.telegram.polling:start",
]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the web application and channels")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--threads", type=int, default=8, help="request threads")
    parser.set_defaults(func=run)


def describe(settings: Any, app_areas: dict[str, str]) -> list[str]:
    """What is configured, for the start-up output; never a secret's value."""
    database = make_url(settings.database_url).set(query={}).render_as_string(hide_password=True)
    lines = [f"database: {database}",
             "encryption key: " + ("from DATA_ENCRYPTION_KEY" if settings.data_encryption_key
                                   else "generated file var/data.key (default setup)")]
    lines += [f"{name}: {state}" for name, state in app_areas.items()]
    return lines


def run(args: argparse.Namespace) -> int:
    import waitress

    from bot.engine import Bot
    from bot.flow.faq import warm_up
    from consultbot.runtime import build_runtime
    from consultbot.settings import load_settings_or_exit
    from consultbot.web import create_app

    settings = load_settings_or_exit()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    runtime = build_runtime(settings)
    faq_line = warm_up(enabled=settings.faq_semantic, cache_directory=settings.faq_cache_dir)
    bot = Bot(runtime)
    app = create_app(runtime, bot=bot)
    stoppers = []
    for dotted in BACKGROUND:
        module_name, _, function = dotted.partition(":")
        start = getattr(__import__(module_name, fromlist=[function]), function)
        stopper = start(runtime, bot, app.config["AREAS"])
        if stopper is not None:
            stoppers.append(stopper)
    print(f"consultbot listening on http://{args.host}:{args.port} (health: /healthz)")
    for line in [*describe(settings, app.config["AREAS"]), faq_line]:
        print(f"  {line}")
    try:
        waitress.serve(app, host=args.host, port=args.port, threads=args.threads,
                       ident="consultbot")
    finally:
        for stop in stoppers:
            stop()
    return 0

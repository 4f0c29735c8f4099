"""``consultbot serve``: the web application under waitress, plus background services."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from typing import Any

from sqlalchemy.engine import make_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the web application and channels")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--threads", type=int, default=8, help="request threads")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes sharing the port (PostgreSQL only; the "
                             "first also runs the worker and the Telegram poller)")
    parser.set_defaults(func=run)


def describe(settings: Any, app_areas: dict[str, str]) -> list[str]:
    """What is configured, for the start-up output; never a secret's value."""
    database = make_url(settings.database_url).set(query={}).render_as_string(hide_password=True)
    lines = [f"database: {database}",
             "encryption key: " + ("from DATA_ENCRYPTION_KEY" if settings.data_encryption_key
                                   else "generated file var/data.key (default setup)")]
    lines += [f"{name}: {state}" for name, state in app_areas.items()]
    return lines


def bind(host: str, port: int) -> socket.socket | None:
    """The listening socket; None (and one line on stderr) when the address is taken."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
    except OSError as exc:
        print(f"consultbot cannot start: cannot listen on {host}:{port} "
              f"({exc.strerror or exc}); is another server using it? Pick one with --port.",
              file=sys.stderr)
        return None
    return listener


def run(args: argparse.Namespace) -> int:
    from plumbing.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    if args.processes > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        print("consultbot cannot start: --processes needs PostgreSQL (DATABASE_URL); SQLite "
              "writes one transaction at a time, so more processes only wait for each other.",
              file=sys.stderr)
        return 2
    listener = bind(args.host, args.port)  # before the worker or the poller start
    if listener is None:
        return 2
    if args.processes > 1:
        from consultbot.processes import fork_servers
        from consultbot.runtime import build_runtime
        prepared = build_runtime(settings, check_key=True)  # migrations once, not N at once
        prepared.services.close()
        prepared.db.dispose()  # no connection crosses the fork
        return fork_servers(args.processes,
                            lambda first: serve(args, settings, listener, first=first))
    return serve(args, settings, listener)


def serve(args: argparse.Namespace, settings: Any, listener: socket.socket, *,
          first: bool = True) -> int:
    """Serve on ``listener`` until stopped; ``first``: also run the background services
    and print the start-up lines (one process of several does)."""
    import waitress

    from bot.flow.faq import warm_up
    from consultbot.registry import backgrounds, build_bot
    from consultbot.runtime import build_runtime
    from consultbot.web import create_app
    from consultbot.worker import start_background

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    runtime = build_runtime(settings, check_key=True)
    faq_line = warm_up(enabled=settings.faq_semantic, cache_directory=settings.faq_cache_dir)
    bot = build_bot(runtime)
    app = create_app(runtime, bot=bot)
    stoppers = []
    for start in (start_background, *backgrounds()) if first else ():  # worker, channels'
        stopper = start(runtime, bot, app.config["AREAS"])
        if stopper is not None:
            stoppers.append(stopper)
    if first:
        processes = f", {args.processes} processes" if args.processes > 1 else ""
        print(f"consultbot listening on http://{args.host}:{args.port} (health: /healthz)"
              f"{processes}", flush=True)
        for line in [*describe(settings, app.config["AREAS"]), faq_line]:
            print(f"  {line}", flush=True)
    try:
        waitress.serve(app, sockets=[listener], threads=args.threads, ident="consultbot")
    finally:
        for stop in stoppers:
            stop()
        runtime.services.close()
    return 0

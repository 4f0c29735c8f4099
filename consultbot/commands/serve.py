"""``consultbot serve``: the web application under waitress, plus background services.

``--role`` splits one deployment into processes: ``web`` (as many as wanted, behind a
proxy), one ``worker`` (outbox, reminders, meeting sync) and one ``telegram`` (the poller,
while no webhook is configured); ``all`` (the default) is all three in one process.
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

ROLES = ("all", "web", "worker", "telegram")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the web application and channels")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--threads", type=int, default=8, help="request threads")
    parser.add_argument("--role", choices=ROLES, default="all",
                        help="what this process runs: web (the app only), worker (the outbox "
                             "worker only), telegram (the Telegram poller only), all "
                             "(default: everything in one process)")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes sharing the port (the first also runs the "
                             "worker and the Telegram poller); on SQLite they take turns to "
                             "write, through a lock file beside the database")
    parser.set_defaults(func=run)


def describe(settings: Any, app_areas: dict[str, str], host: str = "127.0.0.1") -> list[str]:
    """What is configured, for the start-up output; never a secret's value."""
    from sqlalchemy.engine import make_url

    from consultbot.startup import cookie_warning, zoom_state
    from plumbing.command import command_name

    database = make_url(settings.database_url).set(query={}).render_as_string(hide_password=True)
    lines = [f"database: {database}", *describe_paths(settings)]
    lines += [f"{name}: {state}" for name, state in app_areas.items()]
    lines += [f"terminal chat: {command_name()} chat (talk to the bot here, no platform needed)",
              "zoom: " + zoom_state(settings)]
    warning = cookie_warning(settings, host)
    return lines + ([warning] if warning else [])


def describe_paths(settings: Any) -> list[str]:
    """Where the data and its key are, absolute: a start in another directory shows."""
    if settings.data_encryption_key:
        key = "from DATA_ENCRYPTION_KEY"
    else:
        key = f"from the file {settings.data_key_file.absolute()}" + (
            " (made on first start; back it up apart from the data)"
            if settings.is_default_setup else " (DATA_KEY_FILE)")
    return [f"data directory: {settings.data_dir}", f"encryption key: {key}"]


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
    if args.role == "worker":
        return run_worker()
    if args.role == "telegram":
        return run_poller()
    return run_web(args, everything=args.role == "all")


def run_worker() -> int:
    """The outbox worker alone, as ``consultbot worker``."""
    from consultbot.commands import worker
    from plumbing.settings import load_settings_or_exit

    print_paths("worker", load_settings_or_exit())
    return worker.run(argparse.Namespace(poll=5.0, once=False))


def run_poller() -> int:
    """The Telegram poller alone, as ``consultbot telegram``; nothing to do (exit 0, so a
    supervisor restarting on failure leaves it stopped) without a token or with a webhook."""
    from consultbot.commands import telegram
    from plumbing.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    print_paths("telegram", settings)
    if not settings.telegram_enabled or settings.telegram_mode == "webhook":
        reason = ("TELEGRAM_MODE=webhook: the web processes receive Telegram's updates"
                  if settings.telegram_enabled else "TELEGRAM_BOT_TOKEN is not set")
        print(f"consultbot telegram poller: nothing to poll ({reason}).", flush=True)
        return 0
    return telegram.run(argparse.Namespace())


def print_paths(role: str, settings: Any) -> None:
    print(f"consultbot {role}:")
    for line in describe_paths(settings):
        print(f"  {line}")


def run_web(args: argparse.Namespace, *, everything: bool) -> int:
    """The web app under waitress in one process or ``--processes`` forked ones sharing the
    port; with ``everything`` also the worker and the pollers (in the first process)."""
    from plumbing.logs import configure_logging
    from plumbing.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    listener = bind(args.host, args.port)  # before the worker or the poller start
    if listener is None:
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.processes > 1:
        from consultbot.processes import fork_servers
        from consultbot.runtime import build_runtime
        prepared = build_runtime(settings, check_key=True)  # migrations once, not N at once
        prepared.services.close()
        prepared.db.dispose()  # no connection crosses the fork
        return fork_servers(args.processes, lambda first: serve(
            args, settings, listener, everything=everything, first=first))
    return serve(args, settings, listener, everything=everything)


def serve(args: argparse.Namespace, settings: Any, listener: socket.socket, *,
          everything: bool, first: bool = True) -> int:
    """Serve on ``listener`` until stopped. Every process runs the channels' webhook
    services; with ``everything`` the first also runs the worker and the pollers, and prints
    the start-up lines (one process of several does)."""
    import waitress

    from bot.flow.faq import configure_matching
    from consultbot.registry import backgrounds, build_bot, pollers
    from consultbot.runtime import build_runtime
    from consultbot.warmup import WarmUp
    from consultbot.web import create_app
    from consultbot.worker import start_background

    runtime = build_runtime(settings, check_key=True)
    # The model loads in the warm-up thread, not before /healthz; it prints the FAQ's line.
    configure_matching(enabled=settings.faq_semantic, cache_directory=settings.faq_cache_dir)
    warming = WarmUp(announce=_print_line if first else None)
    bot = build_bot(runtime)
    app = create_app(runtime, bot=bot, warming=warming)
    stoppers = []
    services = list(backgrounds())  # what each process's webhooks need
    if everything and first:
        services = [start_background, *services, *pollers()]  # the outbox worker first
    for start in services:
        stopper = start(runtime, bot, app.config["AREAS"])
        if stopper is not None:
            stoppers.append(stopper)
    if not everything:
        app.config["AREAS"]["role"] = ("web only: run one `--role worker` and, to poll "
                                       "Telegram, one `--role telegram` beside it")
    if first:
        processes = f", {args.processes} processes" if args.processes > 1 else ""
        print(f"consultbot listening on http://{args.host}:{args.port} (health: /healthz, "
              f"/readyz){processes}")
        for line in describe(settings, app.config["AREAS"], host=args.host):
            print(f"  {line}")
        sys.stdout.flush()
    warming.start()  # now: until here the start has the interpreter to itself
    try:
        waitress.serve(app, sockets=[listener], threads=args.threads, ident="consultbot")
    finally:
        for stop in stoppers:
            stop()
        runtime.services.close()
    return 0


def _print_line(line: str) -> None:
    """A start-up line printed after the others (the warm-up's, from its thread)."""
    print(f"  {line}", flush=True)

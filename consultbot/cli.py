"""The ``consultbot`` command line: each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from consultbot.commands import (
    chat,
    db,
    faq,
    keys,
    purge,
    serve,
    settings,
    staff,
    telegram,
    worker,
)

#: Modules that each contribute sub-commands through ``register(subparsers)``; each imports
#: what its command needs only when it runs, so ``consultbot --help`` stays quick.
COMMAND_MODULES: tuple[ModuleType, ...] = (serve, chat, db, faq, staff, purge, worker,
                                             telegram, keys, settings)

#: Commands that never erase a person (no chat, no retention purge), so they need not load
#: the staff notes' eraser, ``dashboard.bookings``, which pulls in the FAQ, numpy and
#: SQLAlchemy (about a second of a start); every other command loads it before it runs.
NEVER_ERASE = frozenset({"keygen", "db", "settings", "faq"})


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="consultbot",
        description="Chat assistant that answers questions and books free consultations.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sub-command named on the command line and return its exit code."""
    from plumbing.settings import SettingsError

    args = build_parser().parse_args(argv)
    if args.command not in NEVER_ERASE:
        import dashboard.bookings  # noqa: F401  (erasing a person erases staff notes too)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:  # e.g. the key check at start: one message, no traceback
        print(f"consultbot cannot start:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

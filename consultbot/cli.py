"""The ``consultbot`` command line: each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys

#: Modules that each contribute sub-commands through ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "consultbot.commands.serve",
    "consultbot.commands.chat",
    "consultbot.commands.db",
    "consultbot.commands.faq",
    "consultbot.commands.staff",
    "consultbot.commands.purge",
    "consultbot.commands.worker",
    "consultbot.commands.telegram",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="consultbot",
        description="Chat assistant that answers questions and books free consultations.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sub-command named on the command line and return its exit code."""
    import consultbot.staff.bookings  # noqa: F401  (erasing a person erases staff notes too)

    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

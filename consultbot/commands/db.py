"""``consultbot db upgrade`` and ``consultbot keygen``."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="apply pending migrations").set_defaults(func=upgrade)
    keygen = subparsers.add_parser("keygen", help="print a new DATA_ENCRYPTION_KEY")
    keygen.set_defaults(func=print_key)


def upgrade(args: argparse.Namespace) -> int:
    from consultbot.runtime import build_runtime
    from plumbing.settings import load_settings_or_exit

    # Migrations, the key canary and the first consultant: run it once before starting
    # several processes on a new database, so they do not race to make them.
    build_runtime(load_settings_or_exit(), check_key=True).db.dispose()
    print("Database is up to date.")
    return 0


def print_key(args: argparse.Namespace) -> int:
    from plumbing.crypto import new_key

    print(new_key())
    return 0

"""``consultbot db upgrade``, ``consultbot db backup`` and ``consultbot keygen``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="apply pending migrations").set_defaults(func=upgrade)
    backup = actions.add_parser(
        "backup", help="copy the SQLite database while the service runs (not the key)")
    backup.add_argument("file", help="the copy to write (must not exist yet)")
    backup.set_defaults(func=run_backup)
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


def run_backup(args: argparse.Namespace) -> int:
    from plumbing.backup import BackupRefused, backup_sqlite
    from plumbing.settings import load_settings_or_exit

    try:
        size = backup_sqlite(load_settings_or_exit().database_url, args.file)
    except BackupRefused as exc:
        print(f"consultbot db backup: {exc}", file=sys.stderr)
        return 2
    print(f"Backed up the database to {args.file} ({size / 1e6:.1f} MB).\n"
          "The encryption key is NOT in the backup: keep DATA_ENCRYPTION_KEY (or the key "
          "file) safe separately; without it the copy cannot be read.")
    return 0

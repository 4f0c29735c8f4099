"""``consultbot purge [--dry-run]``: erase the data of people past retention, now."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    purge = subparsers.add_parser(
        "purge", help="erase the data of people past RETENTION_DAYS (the worker does it daily)")
    purge.add_argument("--dry-run", action="store_true",
                       help="only list who would be purged (ids and dates, no content)")
    purge.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dashboard.bookings  # noqa: F401  (staff notes are erased too)
    from bot.retention import purge
    from consultbot.runtime import build_runtime
    from plumbing.settings import load_settings_or_exit

    runtime = build_runtime(load_settings_or_exit())
    try:
        found = purge(runtime, dry_run=args.dry_run)
    finally:
        runtime.db.dispose()
    verb = "would be purged" if args.dry_run else "purged"
    for due in found:
        kind = "booked" if due.booked else "never booked"
        print(f"conversation {due.conversation_id}\t{due.channel}\t{kind}\t"
              f"due {due.purge_at.isoformat(timespec='minutes')}")
    print(f"{len(found)} {'person' if len(found) == 1 else 'people'} {verb}.")
    return 0

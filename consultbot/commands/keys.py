"""``consultbot keys rotate``: re-encrypt everything stored under the first key."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="encryption key maintenance")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate", help="re-encrypt every stored value under the first DATA_ENCRYPTION_KEY "
                       "(resumable; then the other keys can be removed)")
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    rotate.set_defaults(func=run_rotate)


def run_rotate(args: argparse.Namespace) -> int:
    from consultbot.keys import Progress, rotate_keys
    from consultbot.runtime import build_runtime
    from plumbing.settings import load_settings_or_exit

    runtime = build_runtime(load_settings_or_exit(), check_key=True)

    def report(progress: Progress) -> None:
        print(f"  {progress.table}.{progress.column}: {progress.done}/{progress.total} "
              f"looked at, {progress.rewritten} re-encrypted", flush=True)

    print("Re-encrypting under the first key of DATA_ENCRYPTION_KEY …")
    count = rotate_keys(runtime.db, runtime.cipher, runtime.clock, batch=args.batch,
                        report=report)
    print(f"Done: {count} values re-encrypted. The other keys can now be removed from "
          "DATA_ENCRYPTION_KEY.")
    runtime.db.dispose()
    return 0

"""``consultbot settings``: the settings table, from the settings code."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "settings", help="print the settings table (Markdown), or rewrite the README's")
    parser.add_argument("--write-readme", action="store_true",
                        help=f"replace the table between the markers in {README.name}")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from plumbing.settings_table import markdown_table, write_readme

    if args.write_readme:
        changed = write_readme(README)
        print(f"{README}: settings table " + ("rewritten" if changed else "already current"))
    else:
        print(markdown_table())
    return 0

"""A consistent copy of the SQLite database while the service runs (``consultbot db backup``).

SQLite's online backup API (``sqlite3.Connection.backup``) copies every page in one step
under a read transaction: writers (WAL) go on meanwhile, and the copy is the database as
of one commit. It is written beside the target and renamed into place once it is checked,
so a failed backup never leaves a file that looks like one. The encryption key is not in
it. PostgreSQL has its own tool (``pg_dump``): the command says how to use it instead.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupRefused(Exception):
    """The backup cannot be made as asked; the message says what to do instead."""


def pg_dump_advice(database_url: str) -> str:
    """How to back up a PostgreSQL database (password hidden)."""
    url = make_url(database_url).set(drivername="postgresql", query={})
    shown = url.render_as_string(hide_password=True)
    return ("DATABASE_URL is PostgreSQL: back it up with PostgreSQL's own tool, e.g.\n"
            f"  pg_dump --format=custom --file consultbot.dump '{shown}'\n"
            "(the password from ~/.pgpass or PGPASSWORD; restore with "
            "pg_restore --clean --dbname URL consultbot.dump).")


def backup_sqlite(database_url: str, target: str | os.PathLike[str]) -> int:
    """Copy the SQLite database of ``database_url`` to ``target``; the copy's size in bytes.

    Raises :class:`BackupRefused` for PostgreSQL, a missing database or an existing target.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(pg_dump_advice(database_url))
    source = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source.is_file():
        raise BackupRefused(f"no database file at {source.resolve()} (check DATABASE_URL)")
    target = Path(target)
    if target.exists():
        raise BackupRefused(f"{target} exists already; name a new file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    try:
        copy = sqlite3.connect(partial)
        try:
            reader.backup(copy)  # all pages in one step: one consistent snapshot
            if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupRefused("the copy failed SQLite's integrity check; try again")
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    partial.replace(target)
    return target.stat().st_size

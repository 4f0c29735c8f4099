"""The encryption key check at start, and re-encryption under a new key (rotation).

The check: the ``key_canary`` row holds a known value encrypted with the first key. At
start the configured keys must decrypt it, or the start stops with a message naming
``DATA_ENCRYPTION_KEY`` (a wrong key would otherwise make every stored case unreadable and
write new ones under the wrong key). On the first start the canary is made, but only after
a sample of the data already stored decrypts, so a database from before the canary is
checked too.

Rotation (``consultbot keys rotate``): put the new key first (``NEW,OLD``), restart, rotate,
then drop the old key. Every ``*_enc`` column of every table is re-encrypted under the first
key in batches, each batch its own transaction; a value already under the first key is
skipped, so an interrupted run resumes where it stopped. The canary is re-written last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, MetaData, Table, Text, func, inspect, select, update
from sqlmodel import Field, SQLModel

from bot.identifiers import rehash_all
from plumbing.clock import Clock
from plumbing.crypto import Cipher, Undecryptable
from plumbing.db import Database, UTCDateTime
from plumbing.settings import SettingsError

CANARY_TABLE = "key_canary"
CANARY_TEXT = "consultbot key canary"
SAMPLE = 20


class KeyCanary(SQLModel, table=True):
    """One known value encrypted with the first key (see the module's description)."""

    __tablename__ = CANARY_TABLE

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(sa_column=Column(Text, nullable=False))
    written_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class KeyCheckFailed(SettingsError):
    """The configured keys cannot read this database's data."""


@dataclass(frozen=True)
class Progress:
    """One batch done: ``done`` of ``total`` values of ``table.column`` looked at."""

    table: str
    column: str
    done: int
    total: int
    rewritten: int


def encrypted_columns(bind: Connection) -> list[tuple[Table, str, str]]:
    """(table, primary key column, encrypted column) for every ``*_enc`` column."""
    inspector = inspect(bind)
    found = []
    metadata = MetaData()
    for name in sorted(inspector.get_table_names()):
        columns = [c["name"] for c in inspector.get_columns(name) if c["name"].endswith("_enc")]
        key = inspector.get_pk_constraint(name).get("constrained_columns") or []
        if columns and len(key) == 1:
            table = Table(name, metadata, autoload_with=bind)
            found += [(table, key[0], column) for column in columns]
    return found


def _failure(why: str) -> KeyCheckFailed:
    return KeyCheckFailed(
        f"Setting DATA_ENCRYPTION_KEY: {why}. Set the key this database was written with "
        "(to change keys, list the new key first and the old one after it, then run "
        "consultbot keys rotate).")


def check_keys(db: Database, cipher: Cipher, clock: Clock) -> None:
    """Stop the start (:class:`KeyCheckFailed`) unless ``cipher`` reads this database."""
    with db.engine.begin() as connection:
        canary = KeyCanary.__table__  # type: ignore[attr-defined]
        token = connection.execute(select(canary.c.token).limit(1)).scalar()
        if token is not None:
            try:
                if cipher.decrypt(token) == CANARY_TEXT:
                    return
            except Undecryptable:
                pass
            raise _failure("the configured keys cannot decrypt this database's key canary")
        for table, _key, column in encrypted_columns(connection):
            values = connection.execute(select(table.c[column]).where(
                table.c[column].is_not(None)).limit(SAMPLE)).scalars()
            for value in values:
                try:
                    cipher.decrypt(value)
                except Undecryptable:
                    raise _failure(f"the configured keys cannot decrypt {table.name}."
                                   f"{column}") from None
        connection.execute(canary.insert().values(token=cipher.encrypt(CANARY_TEXT),
                                                  written_at=clock()))


def rotate_keys(db: Database, cipher: Cipher, clock: Clock, *, batch: int = 500,
                report: Callable[[Progress], None] = lambda progress: None) -> int:
    """Re-encrypt every encrypted value under the first key; how many were re-written."""
    rewritten = 0
    with db.engine.connect() as connection:
        columns = encrypted_columns(connection)
    for table, key, column in columns:
        pk, value = table.c[key], table.c[column]
        with db.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(table)
                                       .where(value.is_not(None))).scalar_one()
        done, last, changed = 0, None, 0
        while True:
            with db.engine.begin() as connection:
                query = select(pk, value).where(value.is_not(None)).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = connection.execute(query).all()
                for row_id, token in rows:
                    if not cipher.is_current(token):
                        connection.execute(update(table).where(pk == row_id, value == token)
                                           .values({column: cipher.rotate(token)}))
                        changed += 1
            if not rows:
                break
            last, done = rows[-1][0], done + len(rows)
            report(Progress(table.name, column, done, total, changed))
        rewritten += changed
    with db.transaction() as session:  # look-ups by the new key's hash, so the old can go
        rehashed = rehash_all(session, cipher, batch=batch)
    report(Progress("conversation", "user_key", rehashed, rehashed, rehashed))
    with db.engine.begin() as connection:
        canary = KeyCanary.__table__  # type: ignore[attr-defined]
        connection.execute(canary.delete())
        connection.execute(canary.insert().values(token=cipher.encrypt(CANARY_TEXT),
                                                  written_at=clock()))
    return rewritten

"""Worker heartbeats: each outbox worker writes when it last finished a round.

Stored in the database (not in memory) so that ``/readyz`` of any web process sees the
worker, which may run in another process or on another machine (``serve --role worker``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, func, select, update
from sqlmodel import Field, SQLModel

from plumbing.db import Database, UTCDateTime


class WorkerHeartbeat(SQLModel, table=True):
    """The last finished round of one named worker (host and process id)."""

    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=128)
    beat_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


#: Rows of workers silent this long are dropped (each process start writes a new name).
FORGET_AFTER = timedelta(days=7)


def beat(db: Database, name: str, at: datetime) -> None:
    """Record that worker ``name`` finished a round at ``at``; forget long-gone workers."""
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    with db.engine.begin() as connection:
        connection.execute(table.delete().where(table.c.beat_at < at - FORGET_AFTER))
        changed = connection.execute(
            update(table).where(table.c.name == name).values(beat_at=at)).rowcount
        if not changed:
            connection.execute(table.insert().values(name=name, beat_at=at))


def latest_beat(db: Database) -> datetime | None:
    """When any worker last finished a round; None if none ever did."""
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    with db.engine.connect() as connection:
        return connection.execute(select(func.max(table.c.beat_at))).scalar()  # typed: aware

"""How long personal data is kept, and the daily purge that erases what is past it.

A person's case details and transcript are kept ``RETENTION_DAYS`` after their last
consultation or last message, whichever is later; people who never booked,
``RETENTION_DAYS_NOT_BOOKED`` after their last message. Nobody with a consultation still
ahead is purged. Purging is the same erasure as "delete my data" (:mod:`bot.erasure`);
each run is recorded (when, how many) in ``purge_run``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from consultbot.db import UTCDateTime


class PurgeRun(SQLModel, table=True):
    """One run of the purge: when, and how many people's data it erased."""

    __tablename__ = "purge_run"

    id: int | None = Field(default=None, primary_key=True)
    ran_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    conversations: int = Field(default=0)

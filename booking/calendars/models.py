"""Tables of the calendar cache: each consultant's calendar source, its busy intervals, and
the copies of bookings written back into CalDAV calendars."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from plumbing.db import UTCDateTime

# ConsultantCalendar.kind
CALDAV = "caldav"
FEED = "ics"
KINDS = (CALDAV, FEED)


class ConsultantCalendar(SQLModel, table=True):
    """Where a consultant's busy times come from and how the last reading went.

    ``config_enc`` holds the URL, user and app password, encrypted (a feed's secret
    address is a credential too); ``label`` is only the server's host, for the dashboard.
    ``claimed_until`` leases a refresh to one worker.
    """

    __tablename__ = "consultant_calendar"

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", unique=True)
    kind: str = Field(max_length=8)
    label: str = Field(max_length=200)
    config_enc: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    next_refresh_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: The fetch time the cached intervals were read at (what "fresh" is measured by).
    fetched_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = Field(default=None, max_length=300)
    busy_count: int = Field(default=0)


class CalendarBusy(SQLModel, table=True):
    """One busy interval of a consultant's calendar (merged, aware UTC)."""

    __tablename__ = "calendar_busy"

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CalendarCopy(SQLModel, table=True):
    """A booking as written into its consultant's CalDAV calendar (one row per ``ics_uid``,
    which a booking keeps across moves): what is there, and what is due."""

    __tablename__ = "calendar_copy"

    id: int | None = Field(default=None, primary_key=True)
    ics_uid: str = Field(max_length=100, unique=True)
    booking_id: int = Field(foreign_key="booking.id")
    #: Where the copy is now (None: nowhere) and the booking state it shows.
    written_consultant_id: int | None = Field(default=None, foreign_key="consultant.id")
    written_start: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    written_sequence: int | None = Field(default=None)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = Field(default=None, max_length=300)

"""Tables of the booking domain: consultants, their hours, holds and bookings.

All instants are aware UTC (``UTCDateTime``); working hours are local wall time in the
consultant's zone. One consultant's slot is booked once: a partial unique index on
``booking(consultant_id, start)`` over the active statuses settles any race the row
locks of :mod:`booking.service` do not.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Column, Date, Index, Text, Time, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from plumbing.db import UTCDateTime


class BookingStatus(StrEnum):
    """``Booking.status``."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"  # replaced by the booking whose rescheduled_from_id points here
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class MeetingStatus(StrEnum):
    """``Booking.meeting_status``: where the booking's Zoom meeting stands."""

    NONE = "none"  # no Zoom and no fallback link: staff send the link
    PENDING = "pending"  # to create
    UPDATE = "update"  # to move (after a reschedule)
    DELETE = "delete"  # to delete (after a cancel)
    READY = "ready"
    DELETED = "deleted"
    FAILED = "failed"  # Zoom refused; meeting_error says why (staff see it)
    MOVED = "moved"  # handed to the booking that replaced this one
    CANCELLED = "cancelled"  # cancelled before a meeting existed


#: Statuses that occupy the consultant's time (and fall under the unique index).
ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
ACTIVE_SQL = "status IN ('confirmed', 'completed', 'no_show')"

#: Meeting statuses the sync worker acts on.
MEETING_DUE = (MeetingStatus.PENDING, MeetingStatus.UPDATE, MeetingStatus.DELETE)


class Consultant(SQLModel, table=True):
    """A person who holds consultations; only active ones are offered."""

    __tablename__ = "consultant"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=254)
    timezone: str = Field(max_length=64)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class WeeklyHours(SQLModel, table=True):
    """One recurring window of a consultant's week, local wall time (weekday 0 = Monday)."""

    __tablename__ = "consultant_weekly_hours"

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    weekday: int
    start_time: time = Field(sa_column=Column(Time, nullable=False))
    end_time: time = Field(sa_column=Column(Time, nullable=False))


class DateOverride(SQLModel, table=True):
    """Hours of one local date replacing that weekday's: ``hours`` like ``10:00-14:00``
    (ranges comma-separated), or empty for a day off."""

    __tablename__ = "consultant_date_override"
    __table_args__ = (UniqueConstraint("consultant_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    hours: str = Field(default="", max_length=200)
    note: str | None = Field(default=None, max_length=200)


class SlotHold(SQLModel, table=True):
    """A slot kept for one person while they confirm; it blocks others until it expires."""

    __tablename__ = "slot_hold"

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Booking(SQLModel, table=True):
    """A consultation booked by a person in the chat, and its meeting.

    ``start_url`` and ``meeting_password`` are for staff only. ``cancel_reason_enc`` is
    encrypted by the caller. A reschedule creates a new booking (``rescheduled_from_id``)
    that keeps ``ics_uid`` and raises ``ics_sequence``, so calendars update the same event.
    """

    __tablename__ = "booking"
    __table_args__ = (
        UniqueConstraint("request_key"),
        Index("uq_booking_consultant_start_active", "consultant_id", "start", unique=True,
              postgresql_where=text(ACTIVE_SQL), sqlite_where=text(ACTIVE_SQL)),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id")
    channel: str = Field(max_length=16)
    language: str = Field(max_length=8)
    applicant_timezone: str = Field(max_length=64)
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=BookingStatus.CONFIRMED, max_length=16, index=True)
    cancel_reason_enc: str | None = Field(default=None, sa_column=Column(Text))
    cancelled_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    rescheduled_from_id: int | None = Field(default=None, foreign_key="booking.id")
    request_key: str = Field(max_length=100)
    meeting_status: str = Field(default=MeetingStatus.NONE, max_length=16, index=True)
    meeting_id: str | None = Field(default=None, max_length=64)
    join_url: str | None = Field(default=None, max_length=1000)
    start_url: str | None = Field(default=None, sa_column=Column(Text))
    meeting_password: str | None = Field(default=None, max_length=64)
    meeting_attempts: int = Field(default=0)
    meeting_next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    meeting_claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    meeting_error: str | None = Field(default=None, max_length=500)
    ics_uid: str = Field(max_length=100)
    ics_sequence: int = Field(default=0)

    @property
    def duration_minutes(self) -> int:
        """Length of the consultation in whole minutes."""
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def is_active(self) -> bool:
        """Whether the booking occupies its consultant's time."""
        return self.status in ACTIVE_STATUSES

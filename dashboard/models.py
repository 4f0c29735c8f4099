"""Tables of the dashboard: staff accounts, sign-in throttling, private booking notes and
the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from plumbing.db import UTCDateTime

ADMIN = "admin"
STAFF = "staff"
ROLES = (ADMIN, STAFF)


class StaffAccount(SQLModel, table=True):
    """A member of staff who signs in to the dashboard with e-mail and password.

    ``admin`` may also read the audit trail and manage accounts; a disabled account cannot
    sign in and its open sessions are refused.
    """

    __tablename__ = "staff_account"
    __table_args__ = (UniqueConstraint("email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    #: Raised on every password change: sessions signed in before it stop working.
    session_version: int = Field(default=1)
    #: The zone times are shown in; None means STAFF_TIMEZONE.
    timezone: str | None = Field(default=None, max_length=64)
    #: SHA-256 of the secret in this person's calendar-feed URL; None means no feed.
    calendar_token_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    role: str = Field(default=STAFF, max_length=16)
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted under one key (``account:<email>`` or ``ip:<address>``)."""

    __tablename__ = "staff_login_throttle"

    key: str = Field(primary_key=True, max_length=300)
    failures: int = Field(default=0)
    first_failure_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class BookingNote(SQLModel, table=True):
    """A private note of staff about a booking; the text is encrypted at rest."""

    __tablename__ = "staff_booking_note"

    id: int | None = Field(default=None, primary_key=True)
    #: Not a foreign key: the booking table comes from a sibling migration branch.
    booking_id: int = Field(foreign_key="booking.id", index=True)
    author_id: int = Field(foreign_key="staff_account.id")
    body_enc: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AuditEvent(SQLModel, table=True):
    """Who did what to whose data, when, from which address (no content: ids only).

    ``actor`` is the staff e-mail (kept when the account is removed), ``target`` names
    the record (``person:12``, ``booking:7``, ``export:bookings.csv``).
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    actor: str = Field(max_length=254)
    action: str = Field(max_length=32)
    target: str = Field(max_length=100)
    address: str | None = Field(default=None, max_length=64)

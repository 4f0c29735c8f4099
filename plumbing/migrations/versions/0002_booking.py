"""Consultants, weekly hours, date overrides, slot holds and bookings.

Revision ID: 0002_booking
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0002_booking"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('confirmed', 'completed', 'no_show')")


def upgrade() -> None:
    op.create_table(
        "consultant",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "consultant_weekly_hours",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consultant_id", sa.Integer, sa.ForeignKey("consultant.id"), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
    )
    op.create_index("ix_consultant_weekly_hours_consultant_id", "consultant_weekly_hours",
                    ["consultant_id"])
    op.create_table(
        "consultant_date_override",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consultant_id", sa.Integer, sa.ForeignKey("consultant.id"), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hours", sa.String(200), nullable=False, server_default=""),
        sa.Column("note", sa.String(200)),
        sa.UniqueConstraint("consultant_id", "day"),
    )
    op.create_index("ix_consultant_date_override_consultant_id", "consultant_date_override",
                    ["consultant_id"])
    op.create_table(
        "slot_hold",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consultant_id", sa.Integer, sa.ForeignKey("consultant.id"), nullable=False),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id"),
                  nullable=False),
        sa.Column("start", UTCDateTime, nullable=False),
        sa.Column("end", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_slot_hold_consultant_id", "slot_hold", ["consultant_id"])
    op.create_index("ix_slot_hold_conversation_id", "slot_hold", ["conversation_id"])
    op.create_index("ix_slot_hold_expires_at", "slot_hold", ["expires_at"])
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consultant_id", sa.Integer, sa.ForeignKey("consultant.id"), nullable=False),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id"),
                  nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("case_file.id")),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("applicant_timezone", sa.String(64), nullable=False),
        sa.Column("start", UTCDateTime, nullable=False),
        sa.Column("end", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cancel_reason_enc", sa.Text),
        sa.Column("cancelled_by", sa.String(64)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("cancelled_at", UTCDateTime),
        sa.Column("rescheduled_from_id", sa.Integer, sa.ForeignKey("booking.id")),
        sa.Column("request_key", sa.String(100), nullable=False),
        sa.Column("meeting_status", sa.String(16), nullable=False),
        sa.Column("meeting_id", sa.String(64)),
        sa.Column("join_url", sa.String(1000)),
        sa.Column("start_url", sa.Text),
        sa.Column("meeting_password", sa.String(64)),
        sa.Column("meeting_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("meeting_next_attempt_at", UTCDateTime),
        sa.Column("meeting_claimed_until", UTCDateTime),
        sa.Column("meeting_error", sa.String(500)),
        sa.Column("ics_uid", sa.String(100), nullable=False),
        sa.Column("ics_sequence", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index("ix_booking_consultant_id", "booking", ["consultant_id"])
    op.create_index("ix_booking_conversation_id", "booking", ["conversation_id"])
    op.create_index("ix_booking_start", "booking", ["start"])
    op.create_index("ix_booking_status", "booking", ["status"])
    op.create_index("ix_booking_meeting_status", "booking", ["meeting_status"])
    # One consultant's slot is booked once, however the race between processes goes.
    op.create_index("uq_booking_consultant_start_active", "booking", ["consultant_id", "start"],
                    unique=True, postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    for table in ("booking", "slot_hold", "consultant_date_override",
                  "consultant_weekly_hours", "consultant"):
        op.drop_table(table)

"""Consultants' own calendars: their sources, the cached busy intervals, and the copies of
bookings written back into them.

Revision ID: 0007_calendars
Revises: 0004_shared_files
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0007_calendars"
down_revision = "0006_data_protection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultant_calendar",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consultant_id", sa.Integer, sa.ForeignKey("consultant.id"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("config_enc", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("next_refresh_at", UTCDateTime, nullable=False),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("last_attempt_at", UTCDateTime),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("fetched_at", UTCDateTime),
        sa.Column("failing_since", UTCDateTime),
        sa.Column("last_error", sa.String(300)),
        sa.Column("busy_count", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("consultant_id"),
    )
    op.create_index("ix_consultant_calendar_next_refresh_at", "consultant_calendar",
                    ["next_refresh_at"])
    op.create_table(
        "calendar_busy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consultant_id", sa.Integer, sa.ForeignKey("consultant.id"), nullable=False),
        sa.Column("start", UTCDateTime, nullable=False),
        sa.Column("end", UTCDateTime, nullable=False),
    )
    op.create_index("ix_calendar_busy_consultant_id", "calendar_busy", ["consultant_id"])
    op.create_table(
        "calendar_copy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ics_uid", sa.String(100), nullable=False),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("booking.id"), nullable=False),
        sa.Column("written_consultant_id", sa.Integer, sa.ForeignKey("consultant.id")),
        sa.Column("written_start", UTCDateTime),
        sa.Column("written_sequence", sa.Integer),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("last_error", sa.String(300)),
        sa.UniqueConstraint("ics_uid"),
    )


def downgrade() -> None:
    op.drop_table("calendar_copy")
    op.drop_index("ix_calendar_busy_consultant_id", "calendar_busy")
    op.drop_table("calendar_busy")
    op.drop_index("ix_consultant_calendar_next_refresh_at", "consultant_calendar")
    op.drop_table("consultant_calendar")

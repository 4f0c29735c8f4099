"""Staff accounts, sign-in throttling and private booking notes.

Revision ID: 0003_staff
Revises: 0002_booking
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0003_staff"
down_revision = "0002_booking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("timezone", sa.String(64)),
        sa.Column("calendar_token_hash", sa.String(64)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_login_at", UTCDateTime),
        sa.UniqueConstraint("email"),
    )
    op.create_index("ix_staff_account_calendar_token_hash", "staff_account",
                    ["calendar_token_hash"])
    op.create_table(
        "staff_login_throttle",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_failure_at", UTCDateTime),
        sa.Column("locked_until", UTCDateTime),
    )
    op.create_table(
        "staff_booking_note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("booking.id"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("staff_account.id"), nullable=False),
        sa.Column("body_enc", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_staff_booking_note_booking_id", "staff_booking_note", ["booking_id"])


def downgrade() -> None:
    op.drop_table("staff_booking_note")
    op.drop_table("staff_login_throttle")
    op.drop_index("ix_staff_account_calendar_token_hash", "staff_account")
    op.drop_table("staff_account")

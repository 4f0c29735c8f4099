"""The key canary: one value encrypted with the first DATA_ENCRYPTION_KEY, checked at start;
and which question each of our WhatsApp messages asked (to recognise quoted stale answers).

Revision ID: 0005_key_canary
Revises: 0004_shared_files
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0005_key_canary"
down_revision = "0004_shared_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_canary",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("written_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "whatsapp_question",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("token", sa.String(16), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_question")
    op.drop_table("key_canary")

"""Web chat: visitors' sessions, the messages they see (kept until read), linking codes.

Revision ID: 0008_webchat
Revises: 0004_shared_files
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0008_webchat"
down_revision = "0007_calendars"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webchat_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_key", sa.String(64), nullable=False),
        sa.Column("user_id_enc", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("session_hash"),
    )
    op.create_index("ix_webchat_session_user_key", "webchat_session", ["user_key"])
    op.create_table(
        "webchat_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("webchat_session.id"),
                  nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("payload_enc", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("read_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_webchat_message_session_id", "webchat_message", ["session_id"])
    op.create_table(
        "webchat_link_code",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("code_enc", sa.Text, nullable=False),
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("to_web", sa.Boolean, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id_enc", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.Column("used_key", sa.String(200), nullable=True),
        sa.UniqueConstraint("code_hash"),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index("ix_webchat_link_code_expires_at", "webchat_link_code", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_webchat_link_code_expires_at", "webchat_link_code")
    op.drop_table("webchat_link_code")
    op.drop_index("ix_webchat_message_session_id", "webchat_message")
    op.drop_table("webchat_message")
    op.drop_index("ix_webchat_session_user_key", "webchat_session")
    op.drop_table("webchat_session")

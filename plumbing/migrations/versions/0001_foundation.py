"""Conversations, handled messages, case files, hand-off requests and the outbox.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("data_enc", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("last_inbound_at", UTCDateTime),
        sa.Column("unreachable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("channel", "user_id"),
    )
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("platform_message_id", sa.String(128), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("text_enc", sa.Text),
        sa.Column("replies_enc", sa.Text),
        sa.UniqueConstraint("channel", "platform_message_id"),
    )
    op.create_index("ix_inbound_message_conversation_id", "inbound_message", ["conversation_id"])
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("payload_enc", sa.Text),
        sa.Column("consent_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("erased_at", UTCDateTime),
    )
    op.create_index("ix_case_file_conversation_id", "case_file", ["conversation_id"])
    op.create_table(
        "handoff_request",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("resolved_at", UTCDateTime),
        sa.Column("resolved_by", sa.String(255)),
    )
    op.create_index("ix_handoff_request_conversation_id", "handoff_request", ["conversation_id"])
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id")),
        sa.Column("payload_enc", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("last_error", sa.String(500)),
        sa.Column("provider_message_id", sa.String(128)),
        sa.Column("delivery_status", sa.String(32)),
    )
    op.create_index("ix_outbox_message_status", "outbox_message", ["status"])
    op.create_index("ix_outbox_message_due_at", "outbox_message", ["due_at"])
    op.create_index("ix_outbox_message_conversation_id", "outbox_message", ["conversation_id"])


def downgrade() -> None:
    for table in ("outbox_message", "handoff_request", "case_file", "inbound_message"):
        op.drop_table(table)
    op.drop_table("conversation")

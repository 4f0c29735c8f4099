"""The case file: documents, photos and voice notes people send, stored encrypted in chunks.

Revision ID: 0009_case_files
Revises: 0008_webchat
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0009_case_files"
down_revision = "0008_webchat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversation.id"),
                  nullable=False),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("booking.id"), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("platform_message_id", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("refusal", sa.String(16), nullable=True),
        sa.Column("media_type", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer, nullable=True),
        sa.Column("pages", sa.Integer, nullable=True),
        sa.Column("duration_seconds", sa.Float, nullable=True),
        sa.Column("chunks", sa.Integer, nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("caption_enc", sa.Text(), nullable=True),
        sa.Column("transcript_enc", sa.Text(), nullable=True),
        sa.Column("source_enc", sa.Text(), nullable=True),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("stored_at", UTCDateTime, nullable=True),
        sa.Column("removed_at", UTCDateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.UniqueConstraint("channel", "platform_message_id", "position"),
    )
    op.create_index("ix_case_document_conversation_id", "case_document", ["conversation_id"])
    op.create_index("ix_case_document_booking_id", "case_document", ["booking_id"])
    op.create_index("ix_case_document_status", "case_document", ["status"])
    op.create_index("ix_case_document_due_at", "case_document", ["due_at"])
    op.create_table(
        "case_document_chunk",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("case_document.id"),
                  nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("content_enc", sa.Text(), nullable=False),
        sa.UniqueConstraint("document_id", "seq"),
    )
    op.create_index("ix_case_document_chunk_document_id", "case_document_chunk",
                    ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_case_document_chunk_document_id", table_name="case_document_chunk")
    op.drop_table("case_document_chunk")
    for name in ("due_at", "status", "booking_id", "conversation_id"):
        op.drop_index(f"ix_case_document_{name}", table_name="case_document")
    op.drop_table("case_document")

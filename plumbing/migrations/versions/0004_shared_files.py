"""Shared files: documents published at an unguessable URL for a platform to fetch.

Revision ID: 0004_shared_files
Revises: 0003_staff
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0004_shared_files"
down_revision = "0003_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(20), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content_enc", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_shared_file_expires_at", "shared_file", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_shared_file_expires_at", "shared_file")
    op.drop_table("shared_file")

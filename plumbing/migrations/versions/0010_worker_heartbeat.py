"""Worker heartbeats: when each outbox worker last finished a round (for ``/readyz``).

Revision ID: 0010_worker_heartbeat
Revises: 0009_case_files
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plumbing.db import UTCDateTime

revision = "0010_worker_heartbeat"
down_revision = "0009_case_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("beat_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeat")

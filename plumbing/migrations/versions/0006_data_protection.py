"""Data protection: platform ids and recipients encrypted with a blind index, erasure
stubs, staff roles and disabled accounts, the audit trail and the purge record.

Existing platform ids and recipients are hashed and encrypted here with the configured
key, which ``Database.upgrade(cipher=...)`` hands over (``serve`` and ``db upgrade`` do).
The hash is the formula of ``bot.identifiers.user_keys`` at the time of writing, frozen.

Revision ID: 0006_data_protection
Revises: 0004_shared_files
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from alembic import context, op

from plumbing.db import UTCDateTime

revision = "0006_data_protection"
down_revision = "0005_key_canary"
branch_labels = None
depends_on = None

_PURPOSE = "blind index: platform user id"


def _key(secret: str, channel: str, user_id: str) -> str:
    return hmac.new(secret.encode(), f"{channel}\x00{user_id}".encode(),
                    hashlib.sha256).hexdigest()


def _cipher(bind: sa.engine.Connection):  # type: ignore[no-untyped-def]
    cipher = context.config.attributes.get("cipher")
    has_rows = bind.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM conversation) OR EXISTS (SELECT 1 FROM outbox_message)"
    )).scalar()
    if has_rows and cipher is None:
        raise RuntimeError("this migration encrypts stored platform ids: run it with "
                           "consultbot db upgrade (or serve), which have DATA_ENCRYPTION_KEY")
    return cipher


def upgrade() -> None:
    bind = op.get_bind()
    cipher = _cipher(bind)
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("user_key", sa.String(64)))
        batch.add_column(sa.Column("user_id_enc", sa.Text))
        batch.add_column(sa.Column("erased_at", UTCDateTime))
        batch.add_column(sa.Column("erased_reason", sa.String(16)))
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("recipient_enc", sa.Text))
    if cipher is not None:
        secret = cipher.derive(_PURPOSE)
        for row_id, channel, user_id in bind.execute(sa.text(
                "SELECT id, channel, user_id FROM conversation")).all():
            bind.execute(sa.text("UPDATE conversation SET user_key = :k, user_id_enc = :e "
                                 "WHERE id = :i"),
                         {"k": _key(secret, channel, user_id), "e": cipher.encrypt(user_id),
                          "i": row_id})
        for row_id, recipient in bind.execute(sa.text(
                "SELECT id, recipient FROM outbox_message")).all():
            bind.execute(sa.text("UPDATE outbox_message SET recipient_enc = :e WHERE id = :i"),
                         {"e": cipher.encrypt(recipient), "i": row_id})
    with op.batch_alter_table("conversation") as batch:
        if bind.dialect.name == "postgresql":
            batch.drop_constraint("conversation_channel_user_id_key", type_="unique")
        batch.drop_column("user_id")
        batch.alter_column("user_key", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_conversation_channel_user_key",
                                       ["channel", "user_key"])
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("recipient")
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("recipient")  # the conversation's encrypted id is the one copy
    with op.batch_alter_table("staff_account") as batch:
        # Accounts made before roles could do everything: they stay admins.
        batch.add_column(sa.Column("role", sa.String(16), nullable=False,
                                   server_default="admin"))
        batch.add_column(sa.Column("disabled_at", UTCDateTime))
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("address", sa.String(64)),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_table(
        "purge_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ran_at", UTCDateTime, nullable=False),
        sa.Column("conversations", sa.Integer, nullable=False),
    )
    op.create_index("ix_purge_run_ran_at", "purge_run", ["ran_at"])


def downgrade() -> None:
    raise NotImplementedError("platform ids are not written back in clear")

"""The durable outbox: every message the service sends on its own is stored here first.

A message is enqueued inside the transaction that decided to send it, under a key that
names it (``reminder:17:24h``), so the same decision taken twice stores it once. A worker
claims due messages, sends them and records the outcome (see ``consultbot.worker``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from plumbing.crypto import Cipher
from plumbing.db import UTCDateTime


class OutboxStatus(StrEnum):
    """``OutboxMessage.status``."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"




class OutboxMessage(SQLModel, table=True):
    """One proactive message to one recipient on one channel."""

    __tablename__ = "outbox_message"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    channel: str = Field(max_length=16)
    #: Encrypted (a phone number, a chat id, an e-mail address); None once erased.
    recipient_enc: str | None = Field(default=None, sa_column=Column(Text))
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    payload_enc: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = Field(default=0)
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = Field(default=None, max_length=500)
    provider_message_id: str | None = Field(default=None, max_length=128)
    delivery_status: str | None = Field(default=None, max_length=32)


def enqueue(
    session: Session,
    cipher: Cipher,
    *,
    key: str,
    kind: str,
    channel: str,
    recipient: str,
    replies: Sequence[dict[str, Any]],
    now: datetime,
    template: tuple[str, Sequence[str]] | None = None,
    due_at: datetime | None = None,
    conversation_id: int | None = None,
) -> bool:
    """Store a message to send at ``due_at`` (default now); False if ``key`` was stored before.

    ``replies`` are serialised replies (``bot.messages.reply_to_dict``); ``template`` is
    ``(name, variables)`` for channels that need an approved template outside their window.
    """
    values = {
        "key": key,
        "kind": kind,
        "channel": channel,
        "recipient_enc": cipher.encrypt(recipient),
        "conversation_id": conversation_id,
        "payload_enc": cipher.encrypt_json({
            "replies": list(replies),
            "template": {"name": template[0], "variables": list(template[1])} if template else None,
        }),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "due_at": due_at or now,
        "created_at": now,
    }
    table = OutboxMessage.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = session.execute(statement)
    return bool(result.rowcount)


def cancel_pending(session: Session, key_prefix: str) -> int:
    """Cancel every pending message whose key starts with ``key_prefix``; return how many."""
    rows = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.key).startswith(key_prefix),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    count = 0
    for row in rows:
        row.status = OutboxStatus.CANCELLED
        session.add(row)
        count += 1
    return count


def retry_failed(session: Any, message_id: int, now: datetime) -> bool:
    """Put a failed message back in the queue (e.g. after a template was configured)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, due_at=now, claimed_until=None))
    return bool(result.rowcount)

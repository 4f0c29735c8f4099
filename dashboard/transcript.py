"""A conversation as staff read it: the person's messages, the bot's and staff's replies.

Everything is decrypted here, for display only; nothing of it is logged.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.messages import reply_from_dict, reply_plain_text
from bot.models import InboundMessage
from plumbing.crypto import Cipher
from plumbing.outbox import OutboxMessage

PERSON, BOT, SERVICE = "person", "bot", "service"


@dataclass(frozen=True)
class Line:
    """One message of the transcript; ``status`` and ``error`` for messages we sent later."""

    at: datetime
    who: str
    text: str
    kind: str = ""
    status: str | None = None
    error: str | None = None


def replies_text(cipher: Cipher, token: str | None) -> str | None:
    """Stored replies as plain text, or None when erased or unreadable."""
    if not token:
        return None
    try:
        stored: Any = cipher.decrypt_json(token)
        if isinstance(stored, dict):  # an outbox payload
            stored = stored.get("replies", [])
        return "\n\n".join(reply_plain_text(reply_from_dict(r)) for r in stored)
    except (ValueError, KeyError, TypeError):
        return None


def transcript(session: Session, cipher: Cipher, conversation_id: int) -> list[Line]:
    """Every message of the conversation in time order (erased ones are left out)."""
    lines: list[Line] = []
    for message in session.exec(
        select(InboundMessage).where(InboundMessage.conversation_id == conversation_id)
        .order_by(InboundMessage.received_at, InboundMessage.id)  # type: ignore[arg-type]
    ).all():
        if message.text_enc:
            with contextlib.suppress(ValueError):
                lines.append(Line(message.received_at, PERSON, cipher.decrypt(message.text_enc)))
        answer = replies_text(cipher, message.replies_enc)
        if answer:
            lines.append(Line(message.received_at, BOT, answer))
    for sent in outbox_messages(session, conversation_id):
        text = replies_text(cipher, sent.payload_enc)
        if text:
            lines.append(Line(sent.created_at, SERVICE, text, kind=sent.kind, status=sent.status,
                              error=sent.last_error or sent.delivery_status))
    lines.sort(key=lambda line: line.at)  # stable: a message stays before its replies
    return lines


def outbox_messages(
    session: Session, conversation_id: int, kinds: tuple[str, ...] | None = None
) -> list[OutboxMessage]:
    """Messages the service sent (or tried to) in this conversation, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.conversation_id == conversation_id)
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(OutboxMessage.created_at, OutboxMessage.id)).all())  # type: ignore[arg-type]

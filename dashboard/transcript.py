"""A conversation as staff read it: the person's messages, the bot's and staff's replies.

Everything is decrypted here, for display only; nothing of it is logged.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.messages import Choices, Reply, reply_from_dict, reply_plain_text
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
    #: The person pressed a button: ``text`` is its label (as the bot showed it to them).
    pressed: bool = False
    #: The buttons this message offered, id to label (to name a later press).
    offered: tuple[tuple[str, str], ...] = ()


def stored_replies(cipher: Cipher, token: str | None) -> list[Reply] | None:
    """Stored replies (or an outbox payload's), or None when erased or unreadable."""
    if not token:
        return None
    try:
        stored: Any = cipher.decrypt_json(token)
        if isinstance(stored, dict):  # an outbox payload
            stored = stored.get("replies", [])
        return [reply_from_dict(r) for r in stored]
    except (ValueError, KeyError, TypeError):
        return None


def replies_text(cipher: Cipher, token: str | None) -> str | None:
    """Stored replies as plain text, or None when erased or unreadable."""
    replies = stored_replies(cipher, token)
    return None if replies is None else "\n\n".join(reply_plain_text(r) for r in replies)


def _said(at: datetime, who: str, replies: list[Reply] | None, **extra: Any) -> Line | None:
    if not replies:
        return None
    offered = tuple((c.id, c.label) for r in replies if isinstance(r, Choices) for c in r.choices)
    return Line(at, who, "\n\n".join(reply_plain_text(r) for r in replies), offered=offered,
                **extra)


def _name_presses(lines: list[Line]) -> list[Line]:
    """A button press is stored as its id (``lang:en``); show the label it had instead."""
    labels: dict[str, str] = {}
    named = []
    for line in lines:
        if line.who == PERSON and line.text in labels:
            line = replace(line, text=labels[line.text], pressed=True)
        labels.update(line.offered)
        named.append(line)
    return named


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
        answer = _said(message.received_at, BOT, stored_replies(cipher, message.replies_enc))
        if answer:
            lines.append(answer)
    for sent in outbox_messages(session, conversation_id):
        line = _said(sent.created_at, SERVICE, stored_replies(cipher, sent.payload_enc),
                     kind=sent.kind, status=sent.status,
                     error=sent.last_error or sent.delivery_status)
        if line:
            lines.append(line)
    lines.sort(key=lambda line: line.at)  # stable: a message stays before its replies
    return _name_presses(lines)


def outbox_messages(
    session: Session, conversation_id: int, kinds: tuple[str, ...] | None = None
) -> list[OutboxMessage]:
    """Messages the service sent (or tried to) in this conversation, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.conversation_id == conversation_id)
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(OutboxMessage.created_at, OutboxMessage.id)).all())  # type: ignore[arg-type]

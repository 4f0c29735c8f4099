"""The messages a visitor's chat shows, in order, stored encrypted and idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from channels.webchat.models import OUT, WebchatMessage
from plumbing.crypto import Cipher

HISTORY = 200


def add(session: Session, cipher: Cipher, *, session_id: int, key: str, direction: str,
        payload: dict[str, Any], now: datetime, read: bool = True) -> bool:
    """Store one message under ``key``; False if that key was stored before."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    result = session.execute(insert(WebchatMessage.__table__).values(  # type: ignore[attr-defined]
        session_id=session_id, key=key, direction=direction,
        payload_enc=cipher.encrypt_json(payload), created_at=now,
        read_at=now if read else None,
    ).on_conflict_do_nothing(index_elements=["key"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def to_client(cipher: Cipher, row: WebchatMessage) -> dict[str, Any]:
    """A stored message as the widget reads it."""
    return {**cipher.decrypt_json(row.payload_enc), "id": row.id, "from": row.direction,
            "unread": row.read_at is None}


def after(session: Session, cipher: Cipher, session_id: int, last_id: int = 0,
          limit: int = HISTORY) -> list[dict[str, Any]]:
    """The messages after ``last_id`` (the newest ``limit`` of them on a first load)."""
    query = select(WebchatMessage).where(WebchatMessage.session_id == session_id,
                                         col(WebchatMessage.id) > last_id)
    rows = session.exec(query.order_by(col(WebchatMessage.id).desc()).limit(limit)).all()
    return [to_client(cipher, row) for row in reversed(rows)]


def by_keys(session: Session, cipher: Cipher, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The messages stored under ``keys``, in order."""
    rows = session.exec(select(WebchatMessage).where(col(WebchatMessage.key).in_(keys))
                        .order_by(col(WebchatMessage.id))).all()
    return [to_client(cipher, row) for row in rows]


def latest_id(session: Session, session_id: int) -> int:
    """The id of the session's newest message (0 if none)."""
    found = session.exec(select(WebchatMessage.id).where(
        WebchatMessage.session_id == session_id).order_by(col(WebchatMessage.id).desc())
    ).first()
    return int(found or 0)


def mark_read(session: Session, session_id: int, up_to: int, now: datetime) -> int:
    """The page has shown the messages up to ``up_to``: they are read."""
    result = session.execute(update(WebchatMessage).where(
        col(WebchatMessage.session_id) == session_id, col(WebchatMessage.id) <= up_to,
        col(WebchatMessage.direction) == OUT, col(WebchatMessage.read_at).is_(None),
    ).values(read_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unread_count(session: Session, session_id: int) -> int:
    """Messages sent first that the visitor has not seen yet."""
    return len(session.exec(select(WebchatMessage.id).where(
        WebchatMessage.session_id == session_id, col(WebchatMessage.read_at).is_(None))
    ).all())

"""The audit trail: who opened, exported, erased or answered whose data, and who signed in.

An event holds ids and names of things (``person:12``), never content. Admins read it at
``/staff/audit``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from dashboard.models import AuditEvent

VIEW_CASE = "view case"
VIEW_PERSON = "view person"
VIEW_FILE = "view file"
EXPORT = "export"
ERASE = "erase"
STAFF_REPLY = "staff reply"
STAFF_MESSAGE = "staff message"
SIGN_IN = "sign in"
SIGN_IN_REFUSED = "sign in refused"
PASSWORD = "password change"
ACCOUNT = "account change"
LIMIT = 500


def record(session: Session, *, actor: str, action: str, target: str, now: datetime,
           address: str | None = None) -> None:
    """Store one event in the open transaction (it commits with what it records)."""
    session.add(AuditEvent(at=now, actor=actor[:254], action=action, target=target[:100],
                           address=(address or None) and address[:64]))


def recent(session: Session, *, actor: str | None = None, action: str | None = None,
           target: str | None = None, limit: int = LIMIT) -> list[AuditEvent]:
    """The latest events, newest first, optionally of one actor, action or target."""
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if target:
        query = query.where(AuditEvent.target == target)
    return list(session.exec(query.order_by(col(AuditEvent.at).desc(),
                                            col(AuditEvent.id).desc()).limit(limit)).all())

"""Which question each of our WhatsApp messages asked, by its Twilio SID.

WhatsApp lets a person reply to (quote) an earlier message; Twilio then sends its SID as
``OriginalRepliedMessageSid``. Our messages that carry a question report their SID back:
TwiML answers through the ``<Message action>`` callback, outbox messages through their
status callback, each with ``asked=<question token>`` in the URL. A typed answer quoting a
message whose question is no longer the current one is then recognised as stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, select

from plumbing.db import UTCDateTime
from plumbing.runtime import Runtime

#: The query parameter of a status callback URL that names the question asked.
ASKED = "asked"
#: Longer than any question stays current (WhatsApp's window is 24 hours).
KEPT = timedelta(days=7)


class AskedQuestion(SQLModel, table=True):
    """One of our messages (its SID) and the token of the question it asked."""

    __tablename__ = "whatsapp_question"

    sid: str = Field(sa_column=Column(String(34), primary_key=True))
    token: str = Field(sa_column=Column(String(16), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


def remember(session: Session, sid: str, token: str, now: datetime) -> None:
    """Store that message ``sid`` asked question ``token`` (a repeated report changes nothing)."""
    table = AskedQuestion.__table__  # type: ignore[attr-defined]
    is_postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if is_postgres else sqlite.insert
    session.execute(insert(table).values(sid=sid, token=token[:16], recorded_at=now)
                    .on_conflict_do_nothing(index_elements=["sid"]))


def token_of(session: Session, sid: str) -> str | None:
    """The token of the question message ``sid`` asked, if it is one of ours."""
    return session.exec(select(AskedQuestion.token).where(AskedQuestion.sid == sid)).first()


def forget_old(runtime: Runtime) -> int:
    """Remove records older than :data:`KEPT` (the worker's round); how many went."""
    table = AskedQuestion.__table__  # type: ignore[attr-defined]
    with runtime.db.transaction() as session:
        result = session.execute(delete(table).where(
            table.c.recorded_at < runtime.clock() - KEPT))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

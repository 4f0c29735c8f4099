"""Tables of the web chat: visitors' sessions, the messages they see, linking codes.

Content (messages, codes) is stored encrypted; a session is stored only as the SHA-256 of
its random id, so a copy of the database does not let anyone take over a visitor's chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from plumbing.db import UTCDateTime

IN = "in"  # the person wrote it
OUT = "out"  # the service said it


class WebchatSession(SQLModel, table=True):
    """One visitor's browser; ``channel`` and the platform id name the conversation it
    speaks as (its own web-chat one, or a WhatsApp/Telegram one it was linked to with a
    code). The id is stored encrypted and found by its keyed hash (``bot.identifiers``), as
    the conversation's own: a linked phone number is never in clear."""

    __tablename__ = "webchat_session"
    __table_args__ = (UniqueConstraint("session_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=64, index=True)
    user_id_enc: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class WebchatMessage(SQLModel, table=True):
    """One message shown in a session's chat, in order; ``key`` makes storing it idempotent.

    Messages sent first (reminders, staff replies) are kept with ``read_at`` empty until the
    visitor's page has shown them.
    """

    __tablename__ = "webchat_message"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="webchat_session.id", index=True)
    key: str = Field(max_length=200)
    direction: str = Field(max_length=8)
    payload_enc: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class WebchatLinkCode(SQLModel, table=True):
    """A one-time code joining a web-chat session and a WhatsApp/Telegram conversation.

    ``to_web`` is False for a code the web chat gave (typed on the other channel), True for
    one the other channel gave (typed in the web chat). ``channel``/``user_id_enc`` say who
    asked,
    ``request_key`` which message asked (a repeated request gets the same code back).
    """

    __tablename__ = "webchat_link_code"
    __table_args__ = (UniqueConstraint("code_hash"), UniqueConstraint("request_key"))

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64)
    code_enc: str = Field(sa_column=Column(Text, nullable=False))
    request_key: str = Field(max_length=200)
    to_web: bool = Field(default=False)
    channel: str = Field(max_length=16)
    user_id_enc: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    used_key: str | None = Field(default=None, max_length=200)

"""Tables of the conversation flow. Personal content is stored encrypted (``*_enc``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from plumbing.db import UTCDateTime


class Conversation(SQLModel, table=True):
    """One person on one channel: where they are in the flow and what they told us so far.

    The platform id is never stored in clear: ``user_key`` is its keyed hash (looked up on
    every message), ``user_id_enc`` its encrypted copy for sending (see
    :mod:`consultbot.identifiers`). After an erasure only the hash and times remain.
    """

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("channel", "user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=64)
    user_id_enc: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    state: str = Field(default="new", max_length=64)
    data_enc: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_inbound_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    unreachable: bool = Field(default=False)
    #: When the person's data was erased at their request (None: never).
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    #: "request" or "retention" (see ``bot.erasure``).
    erased_reason: str | None = Field(default=None, max_length=16)


class InboundMessage(SQLModel, table=True):
    """A handled platform message and the replies it got: de-duplication and transcript."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "platform_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    channel: str = Field(max_length=16)
    platform_message_id: str = Field(max_length=128)
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    text_enc: str | None = Field(default=None, sa_column=Column(Text))
    replies_enc: str | None = Field(default=None, sa_column=Column(Text))


class CaseFile(SQLModel, table=True):
    """The facts of a case, given with consent for the consultation."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    payload_enc: str | None = Field(default=None, sa_column=Column(Text))
    consent_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class HandoffRequest(SQLModel, table=True):
    """A person asked to talk to a member of staff."""

    __tablename__ = "handoff_request"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    reason: str = Field(default="human", max_length=32)
    requested_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    resolved_by: str | None = Field(default=None, max_length=255)

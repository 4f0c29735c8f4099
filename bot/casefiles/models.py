"""Tables of the case file: the documents, photos and voice notes a person sent.

A :class:`CaseDocument` row is made inside the turn that received the message (status
``pending``, with where to fetch it, encrypted); the download job fetches, checks and stores
it outside any lock, as encrypted chunks in :class:`CaseDocumentChunk`. Everything that
could name the person or the case (file name, caption, transcript, source) is encrypted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from plumbing.db import UTCDateTime


class DocumentStatus(StrEnum):
    """``CaseDocument.status``."""

    PENDING = "pending"  # waiting for (or between tries of) its download
    STORED = "stored"
    REFUSED = "refused"  # not a kind we keep, too large, or from a host we do not trust
    FAILED = "failed"  # the platform would not give it after every try
    REMOVED = "removed"  # by the person, or erased with their data


class Refusal(StrEnum):
    """Why a file was not kept (``CaseDocument.refusal``); each has a message for the person."""

    TYPE = "type"
    SIZE = "size"
    CASE_FULL = "case_full"
    SOURCE = "source"


class CaseDocument(SQLModel, table=True):
    """One file a person sent, and the job that fetches it."""

    __tablename__ = "case_document"
    __table_args__ = (UniqueConstraint("channel", "platform_message_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    #: The consultation it belongs to, once the person booked one.
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    channel: str = Field(max_length=16)
    platform_message_id: str = Field(max_length=128)
    position: int = Field(default=0)
    #: As the platform named it: document, photo, voice, audio, video.
    kind: str = Field(max_length=16)
    status: str = Field(default=DocumentStatus.PENDING, max_length=16, index=True)
    refusal: str | None = Field(default=None, max_length=16)
    #: Found from the content (magic bytes), not from the platform's word or the name.
    media_type: str | None = Field(default=None, max_length=64)
    size: int | None = Field(default=None)
    pages: int | None = Field(default=None)
    duration_seconds: float | None = Field(default=None)
    chunks: int = Field(default=0)
    name_enc: str | None = Field(default=None, sa_column=Column(Text))
    caption_enc: str | None = Field(default=None, sa_column=Column(Text))
    transcript_enc: str | None = Field(default=None, sa_column=Column(Text))
    #: Where to fetch it (a platform URL or file id), encrypted; None once done.
    source_enc: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    stored_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    attempts: int = Field(default=0)
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = Field(default=None, max_length=200)


class CaseDocumentChunk(SQLModel, table=True):
    """One encrypted piece (at most :data:`bot.casefiles.store.CHUNK` bytes) of a file."""

    __tablename__ = "case_document_chunk"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="case_document.id", index=True)
    seq: int
    content_enc: str = Field(sa_column=Column(Text, nullable=False))

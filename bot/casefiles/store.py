"""Keeping files encrypted in chunks, reading them back, listing, removing and erasing them.

Each chunk of :data:`CHUNK` bytes is one Fernet token of its own, so a large file is
encrypted and served piece by piece, never held twice in memory as one huge token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from bot.casefiles.models import CaseDocument, CaseDocumentChunk, DocumentStatus
from plumbing.crypto import Cipher
from plumbing.db import Database

CHUNK = 1024 * 1024


def write_chunks(session: Session, cipher: Cipher, document_id: int, data: bytes) -> int:
    """Store ``data`` encrypted as numbered chunks of ``document_id``; how many."""
    count = 0
    for seq, start in enumerate(range(0, len(data), CHUNK)):
        session.add(CaseDocumentChunk(document_id=document_id, seq=seq,
                                      content_enc=cipher.encrypt_bytes(data[start:start + CHUNK])))
        count += 1
    return count


def read_chunks(db: Database, cipher: Cipher, document_id: int) -> Iterator[bytes]:
    """The file's bytes, chunk by chunk, each read in a short transaction of its own (a
    response streaming a large file holds no transaction open meanwhile)."""
    seq = 0
    while True:
        with db.transaction() as session:
            token = session.exec(select(CaseDocumentChunk.content_enc).where(
                CaseDocumentChunk.document_id == document_id,
                CaseDocumentChunk.seq == seq)).first()
        if token is None:
            return
        yield cipher.decrypt_bytes(token)
        seq += 1


def content_of(db: Database, cipher: Cipher, document_id: int) -> bytes:
    """The whole file (for tests and small files)."""
    return b"".join(read_chunks(db, cipher, document_id))


def held_bytes(session: Session, conversation_id: int) -> int:
    """How many bytes the person's case file holds now."""
    total = session.exec(select(func.coalesce(func.sum(CaseDocument.size), 0)).where(
        CaseDocument.conversation_id == conversation_id,
        CaseDocument.status == DocumentStatus.STORED)).one()
    return int(total or 0)


@dataclass(frozen=True)
class Listed:
    """A file as the person and staff see it listed (decrypted; never logged)."""

    id: int
    kind: str
    status: str
    refusal: str | None
    media_type: str | None
    size: int | None
    pages: int | None
    duration_seconds: float | None
    name: str
    caption: str
    transcript: str
    received_at: datetime
    booking_id: int | None


def listed(cipher: Cipher, row: CaseDocument) -> Listed:
    """One row as a :class:`Listed`."""
    assert row.id is not None
    return Listed(
        id=row.id, kind=row.kind, status=row.status, refusal=row.refusal,
        media_type=row.media_type, size=row.size, pages=row.pages,
        duration_seconds=row.duration_seconds,
        name=cipher.decrypt(row.name_enc) if row.name_enc else "",
        caption=cipher.decrypt(row.caption_enc) if row.caption_enc else "",
        transcript=cipher.decrypt(row.transcript_enc) if row.transcript_enc else "",
        received_at=row.received_at, booking_id=row.booking_id)


def documents_of(session: Session, cipher: Cipher, conversation_id: int, *,
                 booking_id: int | None = None, stored_only: bool = True) -> list[Listed]:
    """The person's files, oldest first; with ``booking_id`` those of that consultation and
    those not yet linked to any."""
    query = select(CaseDocument).where(CaseDocument.conversation_id == conversation_id)
    if stored_only:
        query = query.where(CaseDocument.status == DocumentStatus.STORED)
    else:
        query = query.where(CaseDocument.status != DocumentStatus.REMOVED)
    if booking_id is not None:
        query = query.where((col(CaseDocument.booking_id) == booking_id)
                            | col(CaseDocument.booking_id).is_(None))
    rows = session.exec(query.order_by(col(CaseDocument.received_at), col(CaseDocument.id)))
    return [listed(cipher, row) for row in rows]


def remove(session: Session, document: CaseDocument, now: datetime) -> None:
    """Delete the file's content and everything said about it; the row says when."""
    assert document.id is not None
    session.execute(delete(CaseDocumentChunk).where(
        col(CaseDocumentChunk.document_id) == document.id))
    document.status = DocumentStatus.REMOVED
    document.removed_at = now
    document.name_enc = document.caption_enc = document.transcript_enc = None
    document.source_enc = None
    document.chunks = 0
    session.add(document)


def erase_documents(session: Session, conversation_id: int, now: datetime) -> int:
    """Remove every file of the person (their erasure, or retention); how many."""
    rows = list(session.exec(select(CaseDocument).where(
        CaseDocument.conversation_id == conversation_id,
        CaseDocument.status != DocumentStatus.REMOVED)))
    for row in rows:
        remove(session, row, now)
    return len(rows)


def link_to_booking(session: Session, conversation_id: int, booking_id: int, *,
                    moved_from: int | None = None) -> None:
    """Files of no consultation yet (or of the one it replaces) belong to this one."""
    linked = or_(col(CaseDocument.booking_id).is_(None),
                 col(CaseDocument.booking_id) == (moved_from or -1))
    for row in session.exec(select(CaseDocument).where(
            CaseDocument.conversation_id == conversation_id, linked,
            CaseDocument.status != DocumentStatus.REMOVED)):
        row.booking_id = booking_id
        session.add(row)

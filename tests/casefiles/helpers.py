"""What the case-file tests share: reading what was stored, and the outbox's texts."""

from __future__ import annotations

from sqlmodel import col, select

from bot.casefiles.models import CaseDocument, CaseDocumentChunk
from bot.casefiles.store import content_of
from consultbot.runtime import Runtime
from plumbing.outbox import OutboxMessage


def documents(runtime: Runtime) -> list[CaseDocument]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(CaseDocument).order_by(col(CaseDocument.id))).all())


def raw_chunks(runtime: Runtime, document_id: int) -> list[str]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(CaseDocumentChunk.content_enc).where(
            CaseDocumentChunk.document_id == document_id)
            .order_by(col(CaseDocumentChunk.seq))).all())


def stored_bytes(runtime: Runtime, document_id: int) -> bytes:
    return content_of(runtime.db, runtime.cipher, document_id)


def outbox_texts(runtime: Runtime, key_prefix: str = "casefile:") -> list[str]:
    """The texts queued under keys starting with ``key_prefix``, oldest first."""
    with runtime.db.transaction() as session:
        rows = session.exec(select(OutboxMessage).where(
            col(OutboxMessage.key).startswith(key_prefix)).order_by(col(OutboxMessage.id))).all()
    return ["\n".join(r["text"] for r in runtime.cipher.decrypt_json(row.payload_enc)["replies"])
            for row in rows]

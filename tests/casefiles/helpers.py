"""What the case-file tests share: reading what was stored, and the outbox's texts."""

from __future__ import annotations

import dataclasses

from sqlmodel import col, select

from bot.casefiles.downloads import run_downloads
from bot.casefiles.models import CaseDocument, CaseDocumentChunk
from bot.casefiles.store import content_of
from bot.messages import Media
from channels.telegram.media import TelegramFiles
from consultbot.runtime import Runtime
from plumbing.outbox import OutboxMessage
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer


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


def keep_through_telegram(runtime: Runtime, api_server: FakeTelegramServer,
                          conversation_id: int, data: bytes, *, kind: str = "document",
                          name: str | None = None, caption: str | None = None) -> int:
    """A file the person sent on Telegram, noted as a turn notes it, then fetched from the
    fake Bot API and stored by the download job: its id."""
    file_id = api_server.api.add_file(data)
    now = runtime.clock()
    with runtime.db.transaction() as session:
        row = CaseDocument(
            conversation_id=conversation_id, channel="telegram",
            platform_message_id=f"t-{file_id}", position=0, kind=kind, status="pending",
            name_enc=runtime.cipher.encrypt(name) if name else None,
            caption_enc=runtime.cipher.encrypt(caption) if caption else None,
            source_enc=runtime.cipher.encrypt_json(dataclasses.asdict(
                Media(file_id, kind, "", name, len(data)))),
            received_at=now, due_at=now, attempts=0, chunks=0)
        session.add(row)
        session.flush()
        assert row.id is not None
        document_id = row.id
    run_downloads(runtime, {"telegram": TelegramFiles(api_server.base_url, TOKEN)})
    return document_id

"""The download job: fetch noted files, check them, keep them encrypted, tell the person.

Run by the outbox worker every round. A claim is a short transaction that leases due
``pending`` rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers) and
raises ``attempts``, the claim's fencing token. Just before each fetch the job checks it
still holds the file (a batch's later leases may run out while earlier files download and
another worker take them over: that file is then not fetched twice). The file is fetched
with no transaction open and no lock held; the outcome is written in one short
transaction, under the person's row lock (two files of one person never both slip under
the case limit), only if the row still carries the token and is still pending (not
removed or erased meanwhile). A failed fetch is tried again later, with a doubling pause;
after :data:`MAX_ATTEMPTS` the person is asked to send the file again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from booking.service import upcoming_for
from bot.casefiles import content, describe, transcripts
from bot.casefiles.fetching import Fetcher, FetchFailed, FetchRefused
from bot.casefiles.kinds import HEAD, OGG, sniff
from bot.casefiles.models import CaseDocument, DocumentStatus, Refusal
from bot.casefiles.store import held_bytes, write_chunks
from bot.i18n import Translator
from bot.messages import Media, Text, reply_to_dict
from bot.models import Conversation
from bot.notices.staff_alerts import alert_documents
from plumbing.outbox import enqueue
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=20)
BACKOFF_CAP = timedelta(minutes=30)
BATCH = 10
MB = 1024 * 1024


@dataclass(frozen=True)
class Claim:
    """A file this job holds until its lease ends; ``attempts`` is the fencing token."""

    id: int
    channel: str
    kind: str
    source_enc: str
    attempts: int


@dataclass(frozen=True)
class Checked:
    """A fetched file that passed the checks, ready to store."""

    data: bytes
    media_type: str
    pages: int | None = None
    duration: float | None = None
    transcript: str | None = None


def claim(runtime: Runtime, limit: int = BATCH) -> list[Claim]:
    """Lease up to ``limit`` due downloads; committed before returning."""
    now = runtime.clock()
    statement = select(CaseDocument).where(
        CaseDocument.status == DocumentStatus.PENDING, col(CaseDocument.due_at) <= now,
        or_(col(CaseDocument.claimed_until).is_(None), col(CaseDocument.claimed_until) <= now),
    ).order_by(col(CaseDocument.due_at), col(CaseDocument.id)).limit(limit)
    if runtime.db.is_postgres:
        statement = statement.with_for_update(skip_locked=True)
    claims = []
    with runtime.db.transaction() as session:
        for row in session.exec(statement).all():
            assert row.id is not None
            row.attempts += 1
            row.claimed_until = now + LEASE
            session.add(row)
            claims.append(Claim(row.id, row.channel, row.kind, row.source_enc or "",
                                row.attempts))
    return claims


def run_downloads(runtime: Runtime, fetchers: Mapping[str, Fetcher]) -> int:
    """One round: fetch every due file (a batch at a time); how many were settled."""
    settled = 0
    for _ in range(20):  # at most 200 files a round: other jobs get their turn
        claims = claim(runtime)
        stored: dict[int, int] = {}
        for held in claims:
            outcome = process(runtime, fetchers.get(held.channel), held)
            if outcome is not None:
                settled += 1
                if outcome[1] == DocumentStatus.STORED:
                    stored[outcome[0]] = stored.get(outcome[0], 0) + 1
        _alert_staff(runtime, stored)
        if len(claims) < BATCH:
            break
    return settled


def process(runtime: Runtime, fetcher: Fetcher | None,
            held: Claim) -> tuple[int, str] | None:
    """Fetch, check and keep one file; (conversation id, status) when settled, None when
    it waits for another try (or another worker took it over)."""
    settings = runtime.settings
    limit = settings.case_file_max_mb * MB
    if not _holding(runtime, held):  # its lease ran out while earlier files took long
        log.info("case file %s taken over by another worker; not fetched here", held.id)
        return None
    try:
        media = Media(**runtime.cipher.decrypt_json(held.source_enc))
    except (ValueError, TypeError):
        return _finish(runtime, held, DocumentStatus.FAILED, error="source unreadable")
    if media.size is not None and media.size > limit:
        return _finish(runtime, held, DocumentStatus.REFUSED, refusal=Refusal.SIZE)
    if fetcher is None:
        return _retry(runtime, held, FetchFailed(f"channel {held.channel} not configured"))
    try:
        data = fetcher.fetch(media, limit)
    except FetchRefused as refused:
        log.warning("case file %s refused: %s", held.id, refused.reason)
        return _finish(runtime, held, DocumentStatus.REFUSED, refusal=refused.refusal)
    except FetchFailed as failed:
        return _retry(runtime, held, failed)
    except Exception as exc:  # a network error the fetcher did not classify; no URL logged
        return _retry(runtime, held, FetchFailed(f"unexpected {type(exc).__name__}"))
    if len(data) > limit:
        return _finish(runtime, held, DocumentStatus.REFUSED, refusal=Refusal.SIZE)
    checked = check(runtime, data, media)
    if checked is None:
        return _finish(runtime, held, DocumentStatus.REFUSED, refusal=Refusal.TYPE)
    return _finish(runtime, held, DocumentStatus.STORED, checked=checked)


def check(runtime: Runtime, data: bytes, media: Media) -> Checked | None:
    """The file as it will be kept, or None if its content is no kind we keep."""
    kind = sniff(data[:HEAD])
    if kind is None:
        return None
    try:
        if kind.is_image:
            cleaned, kind = content.clean_image(data, kind)
            return Checked(cleaned, kind.media_type)
    except content.Unreadable:
        return None
    if kind.family == "pdf":
        return Checked(data, kind.media_type, pages=content.pdf_pages(data))
    duration = content.ogg_duration(data) if kind == OGG else None
    if duration is None:
        duration = media.duration
    transcript = transcripts.transcribe(runtime.settings, data, kind) \
        if kind.family == "audio" else None
    return Checked(data, kind.media_type, duration=duration, transcript=transcript)


def _retry(runtime: Runtime, held: Claim, failed: FetchFailed) -> tuple[int, str] | None:
    if failed.permanent or held.attempts >= MAX_ATTEMPTS:
        return _finish(runtime, held, DocumentStatus.FAILED, error=failed.reason)
    delay = min(BACKOFF_BASE * 2 ** (held.attempts - 1), BACKOFF_CAP)
    log.info("case file %s: fetch failed (%s); trying again in %ss", held.id, failed.reason,
             int(delay.total_seconds()))
    with runtime.db.transaction() as session:
        row = _still_ours(session, held)
        if row is not None:
            row.claimed_until = None
            row.due_at = runtime.clock() + delay
            row.last_error = failed.reason[:200]
            session.add(row)
    return None


def _holding(runtime: Runtime, held: Claim) -> bool:
    """Whether the claim is still this worker's (no other took the file over meanwhile)."""
    with runtime.db.transaction() as session:
        return _still_ours(session, held) is not None


def _still_ours(session: Session, held: Claim) -> CaseDocument | None:
    row = session.get(CaseDocument, held.id)
    if row is None or row.attempts != held.attempts or row.status != DocumentStatus.PENDING:
        return None
    return row


def _finish(runtime: Runtime, held: Claim, status: DocumentStatus, *,
            refusal: Refusal | None = None, checked: Checked | None = None,
            error: str | None = None) -> tuple[int, str] | None:
    """Record the outcome and tell the person, in one transaction under their row lock."""
    now = runtime.clock()
    with runtime.db.transaction() as session:
        row = session.get(CaseDocument, held.id)
        if row is None:
            return None
        person = session.exec(select(Conversation).where(
            Conversation.id == row.conversation_id).with_for_update()).one()
        session.refresh(row)
        if row.attempts != held.attempts or row.status != DocumentStatus.PENDING:
            log.info("case file %s settled elsewhere meanwhile", held.id)
            return None
        if checked is not None and held_bytes(session, person.id or 0) + len(checked.data) \
                > runtime.settings.case_files_max_mb * MB:
            status, refusal, checked = DocumentStatus.REFUSED, Refusal.CASE_FULL, None
        name = runtime.cipher.decrypt(row.name_enc) if row.name_enc else ""
        row.status, row.refusal, row.claimed_until = status, refusal, None
        row.source_enc = None
        row.last_error = error[:200] if error else None
        if checked is not None:
            assert row.id is not None
            row.chunks = write_chunks(session, runtime.cipher, row.id, checked.data)
            row.size, row.media_type = len(checked.data), checked.media_type
            row.pages, row.duration_seconds = checked.pages, checked.duration
            row.transcript_enc = runtime.cipher.encrypt(checked.transcript) \
                if checked.transcript else None
            row.stored_at = now
            ahead = upcoming_for(session, row.conversation_id, now)
            row.booking_id = row.booking_id or (ahead[0].id if ahead else None)
        else:  # nothing kept: nothing said about it is kept either
            row.name_enc = row.caption_enc = None
        _tell(session, runtime, person, row, now, name=name)
        session.add(row)
    log.info("case file %s: %s%s", held.id, status, f" ({refusal})" if refusal else "")
    return person.id or 0, status


def _tell(session: Session, runtime: Runtime, person: Conversation, row: CaseDocument,
          now: datetime, *, name: str) -> None:
    """Queue the acknowledgement or the refusal to the person, once per file."""
    if person.user_id_enc is None:  # erased meanwhile
        return
    t = Translator(person.language or runtime.settings.default_language,
                   digits=runtime.settings.message_digits)
    text = describe.outcome(t, row, name, runtime.settings)
    enqueue(session, runtime.cipher, key=f"casefile:{row.id}:{row.status}", kind="reply",
            channel=person.channel, recipient=runtime.cipher.decrypt(person.user_id_enc),
            replies=[reply_to_dict(Text(text))], now=now, conversation_id=person.id)


def _alert_staff(runtime: Runtime, stored: dict[int, int]) -> None:
    """"3 documents received" for each person who sent some this round (no names)."""
    if not stored:
        return
    now = runtime.clock()
    with runtime.db.transaction() as session:
        for conversation_id, count in stored.items():
            alert_documents(session, runtime, conversation_id=conversation_id, count=count,
                            now=now)


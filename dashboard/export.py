"""Everything held about one person, for an access request: as JSON and as a readable page
(:mod:`dashboard.export_bundle` adds the files themselves).

Decrypted here for the signed-in member of staff who asked (the request is audited);
nothing of it is logged.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from booking.models import Booking
from bot.casefiles.kinds import BY_TYPE
from bot.casefiles.models import DocumentStatus
from bot.casefiles.store import documents_of
from bot.identifiers import address_of
from bot.models import CaseFile, Conversation, HandoffRequest, InboundMessage
from dashboard.casefiles import size_label, type_label
from dashboard.models import BookingNote
from dashboard.people import conversation_data
from dashboard.transcript import replies_text
from plumbing.crypto import Cipher
from plumbing.outbox import OutboxMessage

#: Working data that is the flow's bookkeeping, not something the person told.
_BOOKKEEPING = ("asked", "choices")


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _clear(cipher: Cipher, token: str | None) -> str | None:
    if not token:
        return None
    with contextlib.suppress(ValueError):
        return cipher.decrypt(token)
    return "(cannot be decrypted with the configured keys)"


def documents(session: Session, cipher: Cipher, conversation_id: int) -> list[dict[str, Any]]:
    """The person's files as listed in the export: kept ones, and those refused or not
    fetched (which hold no content and, once settled, no name or caption)."""
    found = []
    for item in documents_of(session, cipher, conversation_id, stored_only=False):
        kind = BY_TYPE.get(item.media_type or "")
        stored = item.status == DocumentStatus.STORED
        found.append({
            "id": item.id, "sent_as": item.kind, "status": item.status,
            "refused_because": item.refusal,
            "type": type_label(item, kind.family if kind else "file") if stored else None,
            "media_type": item.media_type, "bytes": item.size,
            "size": size_label(item.size) if stored else None,
            "pages": item.pages, "duration_seconds": item.duration_seconds,
            "received_at": _at(item.received_at), "name": item.name or None,
            "caption": item.caption or None, "transcript": item.transcript or None,
            "consultation": item.booking_id})
    return found


def person_export(session: Session, cipher: Cipher, conversation_id: int) -> dict[str, Any] | None:
    """All we hold about the person of this conversation, or None when there is none."""
    person = session.get(Conversation, conversation_id)
    if person is None:
        return None
    answers = {k: v for k, v in conversation_data(cipher, person).to_dict().items()
               if k not in _BOOKKEEPING}
    cases = []
    for case in session.exec(select(CaseFile).where(CaseFile.conversation_id == conversation_id)
                             .order_by(col(CaseFile.id))):
        details: Any = None
        if case.payload_enc:
            with contextlib.suppress(ValueError):
                details = cipher.decrypt_json(case.payload_enc)
        cases.append({"id": case.id, "consent_at": _at(case.consent_at),
                      "created_at": _at(case.created_at), "erased_at": _at(case.erased_at),
                      "details": details})
    messages = []
    for message in session.exec(select(InboundMessage).where(
            InboundMessage.conversation_id == conversation_id)
            .order_by(col(InboundMessage.received_at), col(InboundMessage.id))):
        messages.append({"at": _at(message.received_at),
                         "person": _clear(cipher, message.text_enc),
                         "bot": replies_text(cipher, message.replies_enc)})
    sent = [{"at": _at(m.created_at), "kind": m.kind, "status": m.status,
             "sent_at": _at(m.sent_at), "text": replies_text(cipher, m.payload_enc)}
            for m in session.exec(select(OutboxMessage).where(
                OutboxMessage.conversation_id == conversation_id)
                .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id)))]
    bookings = []
    for booking in session.exec(select(Booking).where(Booking.conversation_id == conversation_id)
                                .order_by(col(Booking.start))):
        notes = [{"at": _at(n.created_at), "text": _clear(cipher, n.body_enc)}
                 for n in session.exec(select(BookingNote).where(
                     BookingNote.booking_id == booking.id).order_by(col(BookingNote.id)))]
        bookings.append({
            "id": booking.id, "start": _at(booking.start), "end": _at(booking.end),
            "status": booking.status, "time_zone": booking.applicant_timezone,
            "language": booking.language, "join_url": booking.join_url,
            "cancelled_at": _at(booking.cancelled_at), "cancelled_by": booking.cancelled_by,
            "cancel_reason": _clear(cipher, booking.cancel_reason_enc), "staff_notes": notes})
    handoffs = [{"requested_at": _at(h.requested_at), "reason": h.reason,
                 "resolved_at": _at(h.resolved_at)}
                for h in session.exec(select(HandoffRequest).where(
                    HandoffRequest.conversation_id == conversation_id))]
    return {
        "person": {"conversation": person.id, "channel": person.channel,
                   "platform_id": address_of(cipher, person), "language": person.language,
                   "time_zone": person.timezone, "stage": person.state,
                   "first_message_at": _at(person.created_at),
                   "last_message_at": _at(person.last_inbound_at),
                   "erased_at": _at(person.erased_at), "erased_reason": person.erased_reason},
        "answers_so_far": answers,
        "case_files": cases,
        "documents": documents(session, cipher, conversation_id),
        "messages": messages,
        "messages_sent_later": sent,
        "bookings": bookings,
        "requests_for_staff": handoffs,
    }

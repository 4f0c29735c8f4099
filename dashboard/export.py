"""Everything held about one person, for an access request: as JSON and as a readable page.

Decrypted here for the signed-in member of staff who asked (the request is audited);
nothing of it is logged.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from booking.models import Booking
from bot.identifiers import address_of
from bot.models import CaseFile, Conversation, HandoffRequest, InboundMessage
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
        "messages": messages,
        "messages_sent_later": sent,
        "bookings": bookings,
        "requests_for_staff": handoffs,
    }

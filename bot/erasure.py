"""Erasing one person: what "delete my data", the dashboard's erase and the purge share.

Everything personal goes: case details, the files sent (documents, photos, voice notes),
both sides of the transcript, every message the
service sent or was to send them (reminders, links, staff replies) and the staff alerts
about them, the encrypted platform id, and whatever other areas register in
:data:`bot.flow.forget.ERASERS` (upcoming consultations are cancelled, their Zoom meetings
then deleted by the worker; staff notes). What remains is a stub: the keyed hash of the
platform id, the channel, times, and ``erased_at``; a later message from the same person
starts afresh on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select, update

from booking.models import Booking
from bot.casefiles.store import erase_documents
from bot.flow.forget import ERASERS
from bot.models import CaseFile, Conversation, HandoffRequest, InboundMessage
from bot.working import WorkingData
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.runtime import Runtime

#: Why a person's data was erased (``Conversation.erased_reason``).
REQUEST = "request"
RETENTION = "retention"
#: What a staff alert's key starts with, per booking and per conversation.
_BOOKING_ALERTS = ("booking_confirmed", "booking_cancelled", "booking_moved", "meeting_failed")


@dataclass
class Erasing:
    """The person being erased, as every eraser sees it (a chat :class:`Turn` also fits)."""

    runtime: Runtime
    session: Session
    conversation: Conversation
    now: datetime


def erase(target: Erasing, *, reason: str = REQUEST) -> None:
    """Erase everything personal about ``target.conversation`` in the open transaction;
    ``reason`` says why (the person asked, or retention ran out)."""
    session, conversation = target.session, target.conversation
    conversation_id = conversation.id
    assert conversation_id is not None
    erase_documents(session, conversation_id, target.now)
    for case in session.exec(select(CaseFile).where(CaseFile.conversation_id == conversation_id)):
        case.payload_enc = None
        case.erased_at = case.erased_at or target.now
        session.add(case)
    session.exec(update(InboundMessage)  # type: ignore[call-overload]
                 .where(col(InboundMessage.conversation_id) == conversation_id)
                 .values(text_enc=None, replies_enc=None))
    session.exec(update(HandoffRequest)  # type: ignore[call-overload]
                 .where(col(HandoffRequest.conversation_id) == conversation_id,
                        col(HandoffRequest.resolved_at).is_(None))
                 .values(resolved_at=target.now, resolved_by="erased at the person's request"))
    _blank_messages(target)
    asked = _asked(target)
    conversation.data_enc = target.runtime.cipher.encrypt_json(
        WorkingData(asked=asked).to_dict())
    conversation.user_id_enc = None
    conversation.timezone = None
    conversation.language = None
    conversation.state = "new"  # the next message is welcomed as from someone new
    conversation.erased_at = target.now
    conversation.erased_reason = reason
    session.add(conversation)
    session.flush()
    for eraser in ERASERS:  # after the names are gone: a cancellation alert names nobody
        eraser(target)  # type: ignore[arg-type]


def _asked(target: Erasing) -> int:
    """The question counter (not personal: keeps buttons from before recognisably stale)."""
    data = getattr(target, "data", None)  # a chat turn's, else the stored one
    if isinstance(data, WorkingData):
        return data.asked
    if not target.conversation.data_enc:
        return 0
    try:
        return WorkingData.from_dict(
            target.runtime.cipher.decrypt_json(target.conversation.data_enc)).asked
    except ValueError:
        return 0


def _blank_messages(target: Erasing) -> None:
    """Outbox messages to or about the person: texts and recipients gone, pending cancelled."""
    session, conversation_id = target.session, target.conversation.id
    booking_ids = list(session.exec(select(Booking.id).where(
        Booking.conversation_id == conversation_id)))
    about = [col(OutboxMessage.key).startswith(f"staff:{kind}:{conversation_id}:")
             for kind in ("handoff", "documents")]
    about += [col(OutboxMessage.key).startswith(f"staff:{kind}:{booking_id}:")
              for kind in _BOOKING_ALERTS for booking_id in booking_ids]
    blank = target.runtime.cipher.encrypt_json({"replies": [], "template": None})
    for message in session.exec(select(OutboxMessage).where(or_(
            col(OutboxMessage.conversation_id) == conversation_id, *about))):
        message.payload_enc = blank
        message.recipient_enc = None
        if message.status == OutboxStatus.PENDING:
            message.status = OutboxStatus.CANCELLED
        session.add(message)

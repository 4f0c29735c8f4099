"""Twilio's delivery reports for messages the outbox sent: status and error code.

Reports can arrive out of order (``delivered`` after ``read``), so a status only ever
moves forward. A failure that means the person cannot get our messages at all marks
their conversation unreachable until they write again.
"""

from __future__ import annotations

import contextlib
import logging

from sqlmodel import Session, col, select

from bot.identifiers import find_conversation
from bot.models import Conversation
from channels.whatsapp import CHANNEL
from channels.whatsapp.parsing import StatusReport, whatsapp_number
from channels.whatsapp.sender import OUTSIDE_WINDOW, UNREACHABLE_CODES
from plumbing.crypto import Cipher
from plumbing.outbox import OutboxMessage
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

#: How far along a message is; a report never moves a message back.
PROGRESS = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "failed": 4, "undelivered": 4, "canceled": 4, "delivered": 5, "read": 6,
}
FAILED = frozenset({"failed", "undelivered"})
_MEANING = {
    OUTSIDE_WINDOW: "outside the 24-hour window; an approved template is needed",
    63003: "the number cannot receive WhatsApp messages",
    63024: "invalid WhatsApp recipient",
    63018: "WhatsApp rate limit",
    63049: "WhatsApp did not deliver this marketing message",
}


def describe_error(status: str, code: str | None) -> str:
    """The outbox's ``last_error`` for a failed delivery: no personal content."""
    text = f"WhatsApp {status}"
    if code:
        text += f": Twilio error {code}"
        meaning = _MEANING.get(int(code))
        if meaning:
            text += f" ({meaning})"
    return text


def record_status(runtime: Runtime, report: StatusReport, key: str | None = None) -> bool:
    """Store ``report`` on the outbox message Twilio names; False if it names none of ours.

    ``key`` (from the callback URL the sender gave) finds a message whose SID the worker
    has not stored yet; once stored, only reports for that SID count.
    """
    with runtime.db.transaction() as session:
        message = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.provider_message_id == report.message_sid,
            ).with_for_update()
        ).first()
        if message is None and key:
            message = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.channel == CHANNEL, OutboxMessage.key == key,
                    col(OutboxMessage.provider_message_id).is_(None),
                ).with_for_update()
            ).first()
        if message is None:
            return False
        current = PROGRESS.get(message.delivery_status or "", -1)
        if PROGRESS.get(report.status, 0) < current:
            return True
        message.delivery_status = report.status
        if report.status in FAILED:
            message.last_error = describe_error(report.status, report.error_code)
            if report.error_code and int(report.error_code) in UNREACHABLE_CODES:
                _mark_unreachable(session, runtime.cipher, message)
        session.add(message)
    log.info("whatsapp outbox message %s: %s%s", message.id, report.status,
             f" (Twilio error {report.error_code})" if report.error_code else "")
    return True


def _mark_unreachable(session: Session, cipher: Cipher, message: OutboxMessage) -> None:
    if message.conversation_id is not None:
        conversation = session.get(Conversation, message.conversation_id)
    else:
        conversation = None
        with contextlib.suppress(ValueError):
            recipient = cipher.decrypt(message.recipient_enc or "")
            number = whatsapp_number(recipient) or recipient
            conversation = find_conversation(session, cipher, CHANNEL, number)
    if conversation is not None:
        conversation.unreachable = True
        session.add(conversation)

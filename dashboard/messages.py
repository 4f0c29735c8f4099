"""The outbox as staff see it: messages that could not be sent, and those still waiting.

Only the envelope is read (kind, channel, recipient, times, errors): never the payload,
which can hold case details. A person's recipient is shown masked; staff destinations
(alert e-mail addresses, the staff chat) in full, so a wrong one can be recognised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from booking.models import Booking
from bot.models import HandoffRequest
from bot.notices.staff_alerts import KIND as STAFF_ALERT
from bot.notices.staff_alerts import AlertKind
from plumbing import outbox_keys
from plumbing.crypto import Cipher
from plumbing.outbox import OutboxMessage, OutboxStatus

FAILED_TAB, WAITING_TAB = "failed", "waiting"
TABS = (FAILED_TAB, WAITING_TAB)
LIST_LIMIT = 200
#: Delivery reports (WhatsApp's, through Twilio) saying an accepted message never arrived.
UNDELIVERED = ("failed", "undelivered")
#: Characters of a person's phone number or chat id left visible.
VISIBLE_TAIL = 4

KIND_LABELS = {
    STAFF_ALERT: "Staff alert",
    "reminder": "Reminder",
    "meeting_link": "Zoom link",
    "meeting_failed": "No Zoom meeting: link by hand",
    "cancellation": "Cancellation notice",
    "staff_reply": "Staff reply",
    "reply": "Bot reply",
}
ALERT_LABELS: dict[str, str] = {
    AlertKind.BOOKED: "new booking",
    AlertKind.CANCELLED: "booking cancelled",
    AlertKind.MOVED: "booking moved",
    AlertKind.MEETING_FAILED: "Zoom refused the meeting",
    AlertKind.HANDOFF: "asks for a member of staff",
}
CHANNEL_LABELS = {
    "email": "E-mail", "staff_telegram": "Staff Telegram chat", "telegram": "Telegram",
    "whatsapp": "WhatsApp",
}

#: The columns read: everything but the payload.
_COLUMNS = (OutboxMessage.id, OutboxMessage.key, OutboxMessage.kind, OutboxMessage.channel,
            OutboxMessage.recipient_enc, OutboxMessage.conversation_id, OutboxMessage.status,
            OutboxMessage.attempts, OutboxMessage.due_at, OutboxMessage.claimed_until,
            OutboxMessage.created_at, OutboxMessage.sent_at, OutboxMessage.last_error,
            OutboxMessage.delivery_status)


@dataclass(frozen=True)
class Recipient:
    """Who a message is for, as shown: in full (staff) or only its ``tail`` (a person)."""

    masked: bool
    shown: str


@dataclass(frozen=True)
class MessageRow:
    """One outbox message's envelope with where staff can read more about it."""

    id: int
    kind: str
    channel: str
    recipient: Recipient
    status: str
    attempts: int
    due_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    delivery_status: str | None
    being_sent: bool
    booking_id: int | None = None
    request_id: int | None = None

    @property
    def retryable(self) -> bool:
        """Whether *Try again* applies (an accepted, then undelivered message is not)."""
        return self.status == OutboxStatus.FAILED


@dataclass(frozen=True)
class Listing:
    """One tab's rows (at most :data:`LIST_LIMIT`) and how many there are in all."""

    rows: list[MessageRow]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def mask(recipient: str, *, tail: int = VISIBLE_TAIL) -> str:
    """The last ``tail`` characters of a phone number or chat id, at most half of it."""
    value = recipient.strip()
    keep = min(tail, len(value) // 2)
    return value[len(value) - keep:] if keep else ""


def _clear(cipher: Cipher, token: str | None) -> str:
    """A stored recipient, decrypted; empty once erased or unreadable."""
    try:
        return cipher.decrypt(token) if token else ""
    except ValueError:
        return ""


def recipient_of(kind: str, recipient: str) -> Recipient:
    """A staff alert's destination in full; anyone else's only by its tail."""
    if kind == STAFF_ALERT:
        return Recipient(masked=False, shown=recipient)
    return Recipient(masked=True, shown=mask(recipient))


def kind_label(kind: str, key: str) -> str:
    """``Staff alert: new booking``, ``Reminder``… (the alert's reason comes from its key)."""
    label = KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())
    alert = outbox_keys.parse(key, handoff_alert=AlertKind.HANDOFF).alert
    if kind == STAFF_ALERT and alert in ALERT_LABELS:
        label += f": {ALERT_LABELS[alert]}"
    return label


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel.replace("_", " "))


def _failed_clause():  # type: ignore[no-untyped-def]
    """Failed in the outbox, or accepted by the platform and reported undelivered later."""
    return or_(OutboxMessage.status == OutboxStatus.FAILED,
               and_(OutboxMessage.status == OutboxStatus.SENT,
                    col(OutboxMessage.delivery_status).in_(UNDELIVERED)))


def failed_count(session: Session) -> int:
    """How many messages could not be sent (one COUNT, for the navigation's badge)."""
    return int(session.exec(
        select(func.count()).select_from(OutboxMessage).where(_failed_clause())).one())


def pending_count(session: Session) -> int:
    return int(session.exec(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)).one())


def failed_messages(session: Session, cipher: Cipher, now: datetime, *,
                    limit: int = LIST_LIMIT) -> Listing:
    """Messages that could not be sent, the latest failure first.

    A failed message's last try was due at ``due_at`` (the worker claims it then); an
    undelivered one failed after ``sent_at``.
    """
    latest = case((OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at),
                  else_=OutboxMessage.due_at)
    rows = session.exec(select(*_COLUMNS).where(_failed_clause())  # type: ignore[call-overload]
                        .order_by(latest.desc(), col(OutboxMessage.id).desc()).limit(limit)).all()
    return Listing(_rows(session, cipher, rows, now), failed_count(session))


def waiting_messages(session: Session, cipher: Cipher, now: datetime, *,
                     limit: int = LIST_LIMIT) -> Listing:
    """Messages still to be sent, the soonest due first (overdue ones are a backlog)."""
    rows = session.exec(select(*_COLUMNS).where(OutboxMessage.status == OutboxStatus.PENDING)  # type: ignore[call-overload]
                        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
                        .limit(limit)).all()
    return Listing(_rows(session, cipher, rows, now), pending_count(session))


def _rows(session: Session, cipher: Cipher, rows: Iterable[Any],  # sqlalchemy Rows
          now: datetime) -> list[MessageRow]:
    rows = list(rows)
    named = {r.id: _named(r.key) for r in rows}
    links = _Links(session, named.values(), {r.conversation_id for r in rows} - {None})
    found = []
    for r in rows:
        booking_key, conversation_key, request_key = named[r.id]
        conversation = r.conversation_id or conversation_key
        booking_id = links.booking(booking_key, conversation)
        found.append(MessageRow(
            id=r.id, kind=kind_label(r.kind, r.key), channel=channel_label(r.channel),
            recipient=recipient_of(r.kind, _clear(cipher, r.recipient_enc)), status=r.status,
            attempts=r.attempts,
            due_at=r.due_at, created_at=r.created_at, sent_at=r.sent_at,
            last_error=r.last_error, delivery_status=r.delivery_status,
            being_sent=r.claimed_until is not None and r.claimed_until > now,
            booking_id=booking_id,
            request_id=None if booking_id else links.request(request_key, conversation),
        ))
    return found


def _named(key: str) -> tuple[int | None, int | None, int | None]:
    """(booking, conversation, hand-off request) ids the outbox key names, where it does."""
    named = outbox_keys.parse(key, handoff_alert=AlertKind.HANDOFF)
    return named.booking_id, named.conversation_id, named.request_id


class _Links:
    """Which bookings and open hand-off requests exist for a page of messages (3 queries)."""

    def __init__(self, session: Session,
                 named: Iterable[tuple[int | None, int | None, int | None]],
                 conversations: set[int]) -> None:
        named = list(named)
        conversations |= {c for _b, c, _r in named if c}
        bookings = {b for b, _c, _r in named if b}
        self.bookings: set[int] = set(session.exec(
            select(Booking.id).where(col(Booking.id).in_(bookings))).all()) if bookings else set()
        self.latest: dict[int, int] = {}
        self.open: dict[int, int] = {}
        self.requests: set[int] = set()
        if conversations:
            for booking_id, conversation_id in session.exec(
                    select(Booking.id, Booking.conversation_id)
                    .where(col(Booking.conversation_id).in_(conversations))
                    .order_by(col(Booking.start), col(Booking.id))).all():
                self.latest[conversation_id] = booking_id  # type: ignore[assignment]
        asked = {r for _b, _c, r in named if r}
        if conversations or asked:
            for request_id, conversation_id in session.exec(
                    select(HandoffRequest.id, HandoffRequest.conversation_id).where(
                        col(HandoffRequest.resolved_at).is_(None),
                        or_(col(HandoffRequest.conversation_id).in_(conversations),
                            col(HandoffRequest.id).in_(asked)))).all():
                self.open[conversation_id] = request_id  # type: ignore[assignment]
                self.requests.add(request_id)  # type: ignore[arg-type]

    def booking(self, named: int | None, conversation: int | None) -> int | None:
        """The booking the key names, else the person's latest one."""
        if named in self.bookings:
            return named
        return self.latest.get(conversation) if conversation else None

    def request(self, named: int | None, conversation: int | None) -> int | None:
        """The open hand-off request the key names, else the person's open one."""
        if named in self.requests:
            return named
        return self.open.get(conversation) if conversation else None

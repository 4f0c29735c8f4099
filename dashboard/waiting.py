"""People who asked for a human: the waiting list, staff replies and resolving a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from booking import service
from booking.models import Booking
from bot.identifiers import address_of
from bot.messages import Text, reply_to_dict
from bot.models import Conversation, HandoffRequest
from dashboard.people import display_name, latest_case
from dashboard.reach import reply_refusal
from dashboard.transcript import Line, outbox_messages, transcript
from plumbing import outbox, outbox_keys
from plumbing.crypto import Cipher
from plumbing.outbox import OutboxMessage

#: What the bot promises when someone asks for a person.
PROMISE = timedelta(hours=1)
REPLY_MAX = 2000
STAFF_REPLY = "staff_reply"


class NotWaiting(LookupError):
    """The request does not exist or was resolved already."""


@dataclass(frozen=True)
class Waiting:
    """One open request, with what staff need to answer it."""

    request: HandoffRequest
    conversation: Conversation
    name: str
    waited: timedelta
    lines: list[Line]
    replies: list[OutboxMessage]
    bookings: list[Booking]

    @property
    def overdue(self) -> bool:
        """Whether the one-hour promise is already broken."""
        return self.waited > PROMISE


def waiting_count(session: Session) -> int:
    """How many requests are open."""
    return int(session.exec(
        select(func.count()).select_from(HandoffRequest)
        .where(HandoffRequest.resolved_at.is_(None))  # type: ignore[union-attr]
    ).one())


def waiting_list(session: Session, cipher: Cipher, now: datetime,
                 *, recent: int = 6) -> list[Waiting]:
    """Open requests, oldest first, each with the last ``recent`` transcript lines."""
    rows = session.exec(
        select(HandoffRequest, Conversation)
        .join(Conversation, Conversation.id == HandoffRequest.conversation_id)  # type: ignore[arg-type]
        .where(HandoffRequest.resolved_at.is_(None))  # type: ignore[union-attr]
        .order_by(HandoffRequest.requested_at, HandoffRequest.id)  # type: ignore[arg-type]
    ).all()
    found = []
    for request, conversation in rows:
        assert conversation.id is not None
        found.append(Waiting(
            request=request,
            conversation=conversation,
            name=display_name(cipher, conversation, latest_case(session, conversation.id)),
            waited=now - request.requested_at,
            lines=transcript(session, cipher, conversation.id)[-recent:],
            replies=[m for m in outbox_messages(session, conversation.id, (STAFF_REPLY,))
                     if m.created_at >= request.requested_at],
            bookings=service.upcoming_for(session, conversation.id, now),
        ))
    return found


def _open_request(session: Session, request_id: int) -> tuple[HandoffRequest, Conversation]:
    request = session.get(HandoffRequest, request_id, with_for_update=True)
    if request is None or request.resolved_at is not None:
        raise NotWaiting(request_id)
    conversation = session.get(Conversation, request.conversation_id)
    assert conversation is not None
    return request, conversation


def send_reply(session: Session, cipher: Cipher, request_id: int, text: str, *,
               nonce: str, now: datetime, link: str, reachable: frozenset[str]) -> bool:
    """Queue a staff reply to the person on their channel; False if this form was sent before.

    ``nonce`` comes from the form, so a double-submitted reply is stored once. Outside
    WhatsApp's window it goes as the *notice* template: ``{{1}}`` the reply, ``{{2}}`` ``link``.
    A channel outside ``reachable`` (the ones this server sends on) is refused at once.
    """
    text = text.strip()
    if not text or len(text) > REPLY_MAX:
        raise ValueError(f"a reply has 1 to {REPLY_MAX} characters")
    _request, conversation = _open_request(session, request_id)
    refusal = reply_refusal(conversation.channel, reachable)
    if refusal:
        raise ValueError(refusal)
    recipient = address_of(cipher, conversation)
    if recipient is None:
        raise ValueError("this person's data was erased: there is nobody to reply to")
    return outbox.enqueue(
        session, cipher,
        key=outbox_keys.staff_reply(request_id, nonce),
        kind=STAFF_REPLY,
        channel=conversation.channel,
        recipient=recipient,
        replies=[reply_to_dict(Text(text))],
        now=now,
        conversation_id=conversation.id,
        template=("notice", (text, link)),
    )


def resolve(session: Session, request_id: int, *, by: str, now: datetime) -> None:
    """Close the request: the person has been helped."""
    request, _conversation = _open_request(session, request_id)
    request.resolved_at = now
    request.resolved_by = by[:255]
    session.add(request)

"""A message staff write to a booking's person, e.g. the meeting link when Zoom refused."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from booking.models import Booking, BookingStatus
from bot.messages import Text
from bot.models import Conversation
from bot.notices.booking_notices import tell_person
from dashboard.reach import reply_refusal
from plumbing import outbox_keys
from plumbing.runtime import Runtime

KIND = "staff_message"
MESSAGE_MAX = 2000


class NotSent(ValueError):
    """The message cannot go; the text says why (for staff)."""


def send_by_hand(session: Session, runtime: Runtime, booking_id: int, *, text: str, link: str,
                 nonce: str, now: datetime, reachable: frozenset[str]) -> bool:
    """Queue ``text`` and ``link`` (either may be empty) for the booking's person on their
    channel; False when this form (``nonce``) was sent before. Outside WhatsApp's window it
    goes as the *notice* template: ``{{1}}`` the message, ``{{2}}`` the link (or the site)."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise LookupError(booking_id)
    text, link = text.strip(), link.strip()
    if booking.status != BookingStatus.CONFIRMED or booking.end <= now:
        raise NotSent("only an upcoming, confirmed consultation's person is written to here")
    refusal = reply_refusal(booking.channel, reachable)
    if refusal:
        raise NotSent(refusal)
    person = session.get(Conversation, booking.conversation_id)
    if person is None or person.user_id_enc is None:
        raise NotSent("this person's data was erased: there is nobody to write to")
    if not text and not link:
        raise NotSent("write a message or give a meeting link")
    parts = urlsplit(link)
    if link and (parts.scheme != "https" or not parts.hostname or " " in link):
        raise NotSent("a meeting link is an https:// address")
    body = "\n\n".join(part for part in (text, link) if part)
    if len(body) > MESSAGE_MAX:
        raise NotSent(f"a message has at most {MESSAGE_MAX} characters")
    return tell_person(runtime, session, booking,
                       key=outbox_keys.staff_message(booking_id, nonce), kind=KIND,
                       replies=[Text(body)], now=now,
                       template=("notice", (text or body, link or
                                            runtime.settings.company_website)))

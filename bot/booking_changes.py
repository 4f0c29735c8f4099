"""Each change to a booking as one operation that owns its side effects.

The chat, the dashboard and erasure all cancel and move bookings; doing it through these
functions means each change withdraws what still waits in the outbox for the old time
(reminders, the link message) and alerts staff, the same way from everywhere. They work
inside the caller's transaction; Zoom is changed later by the meeting sync.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from booking import service
from booking.models import Booking
from bot.casefiles.store import link_to_booking
from bot.notices.staff_alerts import AlertKind, alert_staff
from plumbing import outbox_keys
from plumbing.outbox import cancel_pending
from plumbing.outbox_keys import KeyKind
from plumbing.runtime import Runtime


def withdraw_waiting(session: Session, booking_id: int | None) -> int:
    """Cancel the reminders and link message still waiting for this booking."""
    return sum(cancel_pending(session, outbox_keys.prefix(kind, booking_id))
               for kind in (KeyKind.REMINDER, KeyKind.MEETING_LINK))


def cancel_booking(session: Session, runtime: Runtime, booking_id: int, now: datetime, *,
                   by: str, reason_enc: str | None = None) -> Booking:
    """Cancel a confirmed booking (again: no change), withdraw what waits for it and alert
    staff. ``by`` is who cancelled: ``applicant``, ``erasure`` or ``staff:<e-mail>``."""
    booking = service.cancel(session, booking_id, now, by=by, reason_enc=reason_enc)
    withdraw_waiting(session, booking.id)
    alert_staff(session, runtime, kind=AlertKind.CANCELLED, booking=booking, now=now)
    return booking


def confirm_booking(session: Session, runtime: Runtime, booking: Booking, now: datetime, *,
                    moved_from: int | None = None) -> None:
    """A booking was made, or moved here from ``moved_from``: withdraw what still names the
    old time, give it the person's files (those of no booking yet, or of the old one) and
    alert staff."""
    if moved_from is not None:
        withdraw_waiting(session, moved_from)
    if booking.id is not None:
        link_to_booking(session, booking.conversation_id, booking.id, moved_from=moved_from)
    alert_staff(session, runtime, kind=AlertKind.MOVED if moved_from is not None
                else AlertKind.BOOKED, booking=booking, now=now)

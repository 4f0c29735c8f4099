"""Reminders before a consultation (``REMINDER_HOURS_BEFORE``, default 24 and 1 hours).

Each worker round calls :func:`schedule_due_reminders`. For every confirmed booking whose
reminder instant ``start - offset`` has come (and whose consultation has not started) it
stores one outbox message under ``reminder:<booking>:<start>:<hours>h``. The key holds the
start, so storing again changes nothing and a rescheduled booking (a new booking, a new
start) is reminded at its new time. An instant that had already passed when the booking was
made is skipped (booked 3 hours ahead: only the 1-hour reminder); when several instants
have passed unsent (the worker was stopped) only the latest is sent. Reminders waiting
for a booking that was cancelled, moved or has begun are cancelled.

The text is composed when stored, in the person's language and time zone (their latest
choice, else the booking's), worded like the other booking messages, with the Zoom link;
WhatsApp gets the same as template variables (``reminder``: ``{{1}}`` the date, time and
zone, ``{{2}}`` the link or a note that it will follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from booking.models import Booking, BookingStatus
from bot.i18n import Translator
from bot.messages import Text
from bot.notices.booking_notices import (
    person_language,
    person_zone,
    tell_person,
    when_text,
    zone_name,
)
from plumbing import outbox_keys
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.runtime import Runtime

KIND = "reminder"
TEMPLATE = "reminder"
START_FORMAT = outbox_keys.REMINDER_START_FORMAT

def reminder_key(booking: Booking, hours: float) -> str:
    """The outbox key of one reminder of one booking at its current start."""
    return outbox_keys.reminder(booking.id, booking.start, hours)


def due_offset(booking: Booking, offsets: Sequence[float], now: datetime) -> float | None:
    """The offset (hours) whose reminder is due now: the latest instant that has come and
    had not yet passed when the booking was made; None when none is due."""
    if now >= booking.start:
        return None
    due = [h for h in offsets
           if booking.created_at <= booking.start - timedelta(hours=h) <= now]
    return min(due) if due else None


def compose(session: Session, booking: Booking, company: str, *,
            digits: str = "native") -> tuple[str, tuple[str, str]]:
    """The reminder text in the person's language and zone, and its template variables
    (the date, time and zone; the link or a note that it will follow)."""
    lang = person_language(session, booking)
    zone = person_zone(session, booking)
    t = Translator(lang, digits=digits)
    when = t.shape(when_text(booking.start, booking.end, zone, lang))
    zone_text = t.shape(zone_name(zone, lang, booking.start))
    link_line = t("booking.link.join", url=booking.join_url) if booking.join_url \
        else t("reminder.no_link")
    text = t("reminder.text", company=company, when=when, zone=zone_text)
    return f"{text}\n{link_line}", (f"{when} ({zone_text})", booking.join_url or
                                    t("reminder.no_link"))


def cancel_stale_reminders(session: Session, now: datetime) -> int:
    """Cancel waiting reminders whose booking was cancelled, moved or has begun."""
    waiting = session.exec(select(OutboxMessage).where(
        OutboxMessage.kind == KIND, OutboxMessage.status == OutboxStatus.PENDING)).all()
    count = 0
    for message in waiting:
        named = outbox_keys.parse(message.key)
        if named.booking_id is None or named.reminder_start is None:
            continue  # not one of ours
        booking = session.get(Booking, named.booking_id)
        if booking is not None and booking.status == BookingStatus.CONFIRMED \
                and booking.start > now \
                and f"{booking.start:{START_FORMAT}}" == named.reminder_start:
            continue
        message.status = OutboxStatus.CANCELLED
        message.last_error = "booking cancelled, moved or begun"
        session.add(message)
        count += 1
    return count


def schedule_due_reminders(runtime: Runtime, now: datetime | None = None) -> int:
    """Store every reminder that has fallen due; how many were stored."""
    now = now or runtime.clock()
    settings = runtime.settings
    offsets = settings.reminder_offsets_hours
    with runtime.db.transaction() as session:
        cancel_stale_reminders(session, now)
        if not offsets:
            return 0
        upcoming = session.exec(select(Booking).where(
            Booking.status == BookingStatus.CONFIRMED, col(Booking.start) > now,
            col(Booking.start) <= now + timedelta(hours=max(offsets)),
        ).order_by(col(Booking.start))).all()
        due = {}
        for booking in upcoming:
            hours = due_offset(booking, offsets, now)
            if hours is not None:
                due[reminder_key(booking, hours)] = booking
        if not due:
            return 0
        stored = set(session.exec(select(OutboxMessage.key).where(
            col(OutboxMessage.key).in_(list(due)))).all())
        count = 0
        for key, booking in due.items():
            if key in stored:
                continue
            text, variables = compose(session, booking, settings.company_name,
                                      digits=settings.message_digits)
            count += tell_person(runtime, session, booking, key=key, kind=KIND,
                                 replies=[Text(text)], now=now, template=(TEMPLATE, variables))
        return count

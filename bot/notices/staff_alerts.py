"""Alerts to staff: a new, moved or cancelled booking, a meeting Zoom refused to make, a
person asking for a member of staff.

Call :func:`alert_staff` inside the transaction that made the change; it stores one outbox
message per configured destination (``TELEGRAM_STAFF_CHAT_ID``, each of
``STAFF_ALERT_EMAILS``), so the alert goes out exactly when the change commits.

An alert goes through chat and mail servers outside our control, so it carries nothing of
the case: the applicant's first name, what happened, a time in ``STAFF_TIMEZONE`` and a link
to the dashboard, where staff sign in to see the rest.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlmodel import Session, col, select

from booking.models import Booking
from bot.case import read_case
from bot.messages import Text, reply_to_dict
from bot.models import CaseFile, Conversation
from bot.working import WorkingData
from plumbing import outbox_keys
from plumbing.outbox import enqueue
from plumbing.runtime import Runtime


class AlertKind(StrEnum):
    """What a staff alert is about."""

    BOOKED = "booking_confirmed"
    CANCELLED = "booking_cancelled"
    MOVED = "booking_moved"
    MEETING_FAILED = "meeting_failed"
    HANDOFF = "handoff"


KIND = "staff_alert"
STAFF_TELEGRAM = "staff_telegram"
EMAIL = "email"

#: Each alert's first line (also the e-mail subject): what happened, to whom, when.
LINES: dict[str, str] = {
    AlertKind.BOOKED: "New booking: {name}, {when}",
    AlertKind.CANCELLED: "Booking cancelled: {name}, {when}",
    AlertKind.MOVED: "Booking moved: {name}, from {before} to {when}",
    AlertKind.MEETING_FAILED:
        "Zoom refused the meeting for {name} at {when}: please send a link by hand",
    AlertKind.HANDOFF: "Asks for a member of staff: {name}, {when}",
}
#: Hand-off reasons (``HandoffRequest.reason``) with a first line of their own.
REASON_LINES = {"documents": "Waits for the sample report and CV: {name}, {when}"}
NAME_MAX = 40
TIME_PATTERN = "EEE d MMM y, HH:mm zzz"


def destinations(runtime: Runtime) -> list[tuple[str, str]]:
    """(channel, recipient) for every configured staff destination."""
    settings = runtime.settings
    found = []
    if settings.telegram_staff_chat_id:
        found.append((STAFF_TELEGRAM, settings.telegram_staff_chat_id.strip()))
    for address in (settings.staff_alert_emails or "").split(","):
        if address.strip():
            found.append((EMAIL, address.strip()))
    return found


def first_name(name: object) -> str | None:
    """The first word of a name, shortened: enough for staff to tell alerts apart."""
    if not isinstance(name, str) or not name.split():
        return None
    return name.split()[0][:NAME_MAX]


def applicant_label(session: Session, runtime: Runtime, conversation_id: int,
                    case_id: int | None = None) -> str:
    """The applicant's first name from their case (or answers so far), else the channel."""
    try:
        return _name_from_case(session, runtime, conversation_id, case_id) or \
            _name_from_answers(session, runtime, conversation_id)
    except ValueError:  # a payload the current keys cannot read: the alert still goes
        return "An applicant"


def _name_from_case(session: Session, runtime: Runtime, conversation_id: int,
                    case_id: int | None) -> str | None:
    statement = select(CaseFile).where(CaseFile.conversation_id == conversation_id,
                                       col(CaseFile.erased_at).is_(None))
    if case_id is not None:
        statement = statement.where(CaseFile.id == case_id)
    case = session.exec(statement.order_by(col(CaseFile.id).desc())).first()
    return first_name(read_case(runtime.cipher, case).name)


def _name_from_answers(session: Session, runtime: Runtime, conversation_id: int) -> str:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return "An applicant"
    if conversation.data_enc:
        data = WorkingData.from_dict(runtime.cipher.decrypt_json(conversation.data_enc))
        name = first_name(data.intake.name)
        if name:
            return name
    return f"A {conversation.channel.capitalize()} user"


def dashboard_link(runtime: Runtime, path: str) -> str:
    """``PUBLIC_BASE_URL`` + path, or the path alone when no public address is set."""
    base = (runtime.settings.public_base_url or "").rstrip("/")
    return f"{base}{path}"


def staff_time(runtime: Runtime, moment: datetime) -> str:
    """``Sun 29 Mar 2026, 10:00 BST`` in ``STAFF_TIMEZONE``."""
    zone = ZoneInfo(runtime.settings.staff_timezone)
    return format_datetime(moment, TIME_PATTERN, tzinfo=zone, locale="en_GB")


def alert_text(line: str, link: str) -> str:
    """The first line (also the e-mail subject), then the link."""
    return f"{line}\nOpen the dashboard: {link}"


def _replaced(session: Session, booking: Booking) -> Booking:
    """The booking ``booking`` replaced when it was moved."""
    old = session.get(Booking, booking.rescheduled_from_id) \
        if booking.rescheduled_from_id is not None else None
    if old is None:
        raise ValueError("a moved-booking alert needs a booking that replaced another")
    return old


def alert_staff(
    session: Session,
    runtime: Runtime,
    *,
    kind: str,
    now: datetime,
    booking: Booking | None = None,
    conversation: Conversation | None = None,
    reason: str | None = None,
) -> int:
    """Store a staff alert for every destination; how many were stored.

    ``kind`` is ``AlertKind.BOOKED``, ``CANCELLED`` or ``MEETING_FAILED`` (give
    ``booking``; the time shown is the consultation's), :data:`MOVED` (give the new
    ``booking``; shown are the time of the booking it replaced and its own) or
    :data:`HANDOFF` (give ``conversation`` and the request's ``reason``; the time shown is
    ``now``). Calling again for the same booking change stores nothing.
    """
    if kind not in LINES:
        raise ValueError(f"unknown staff alert {kind!r}")
    targets = destinations(runtime)
    if not targets:
        return 0
    if kind == AlertKind.HANDOFF:
        if conversation is None or conversation.id is None:
            raise ValueError("a hand-off alert needs the conversation")
        line = REASON_LINES.get(reason or "", LINES[kind])
        label = applicant_label(session, runtime, conversation.id)
        when, path = staff_time(runtime, now), "/staff/waiting"
        before = ""
        subject_id, instance = conversation.id, f"{now:%Y%m%dT%H%M%S.%f}"
    else:
        if booking is None or booking.id is None:
            raise ValueError("a booking alert needs the (flushed) booking")
        line = LINES[kind]
        label = applicant_label(session, runtime, booking.conversation_id, booking.case_id)
        when, path = staff_time(runtime, booking.start), f"/staff/bookings/{booking.id}"
        before = staff_time(runtime, _replaced(session, booking).start) if kind == AlertKind.MOVED \
            else ""
        subject_id, instance = booking.id, None
    text = alert_text(line.format(name=label, when=when, before=before),
                      dashboard_link(runtime, path))
    stored = 0
    for channel, recipient in targets:
        target = hashlib.sha256(recipient.encode()).hexdigest()[:12]
        stored += enqueue(session, runtime.cipher, key=outbox_keys.staff_alert(
                              kind, subject_id, channel, target, instance=instance),
                          kind=KIND, channel=channel, recipient=recipient,
                          replies=[reply_to_dict(Text(text))], now=now)
    return stored


CALENDAR_UNREADABLE = "calendar_unreadable"
CALENDAR_LINES = {
    "withhold": "Cannot read the calendar of {name} since {when} ({reason}): their times "
                "are not offered until it can be read",
    "offer": "Cannot read the calendar of {name} since {when} ({reason}): their times are "
             "offered against the last reading",
}


def alert_calendar(session: Session, runtime: Runtime, *, consultant_id: int, name: str,
                   since: datetime, reason: str, now: datetime) -> int:
    """Tell staff a consultant's calendar cannot be read, once per outage (``since``);
    ``reason`` names no secret. How many alerts were stored."""
    line = CALENDAR_LINES[runtime.settings.calendar_unreadable].format(
        name=name[:NAME_MAX], when=staff_time(runtime, since), reason=reason)
    text = alert_text(line, dashboard_link(
        runtime, f"/staff/availability/consultants/{consultant_id}"))
    stored = 0
    for channel, recipient in destinations(runtime):
        target = hashlib.sha256(recipient.encode()).hexdigest()[:12]
        stored += enqueue(session, runtime.cipher,
                          key=f"staff:{CALENDAR_UNREADABLE}:{consultant_id}:"
                              f"{since:%Y%m%dT%H%M%S.%f}:{channel}:{target}",
                          kind=KIND, channel=channel, recipient=recipient,
                          replies=[reply_to_dict(Text(text))], now=now)
    return stored


DOCUMENTS = "documents"


def alert_documents(session: Session, runtime: Runtime, *, conversation_id: int, count: int,
                    now: datetime) -> int:
    """"3 documents received: Anna, <time>" with a link to the person's page; never a file's
    name, caption or content. How many alerts were stored."""
    label = applicant_label(session, runtime, conversation_id)
    noun = "document" if count == 1 else "documents"
    text = alert_text(f"{count} {noun} received: {label}, {staff_time(runtime, now)}",
                      dashboard_link(runtime, f"/staff/people/{conversation_id}"))
    stored = 0
    for channel, recipient in destinations(runtime):
        target = hashlib.sha256(recipient.encode()).hexdigest()[:12]
        stored += enqueue(session, runtime.cipher, key=outbox_keys.staff_alert(
                              DOCUMENTS, conversation_id, channel, target,
                              instance=f"{now:%Y%m%dT%H%M%S.%f}"),
                          kind=KIND, channel=channel, recipient=recipient,
                          replies=[reply_to_dict(Text(text))], now=now)
    return stored

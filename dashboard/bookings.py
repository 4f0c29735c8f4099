"""Bookings as staff see them: lists with filters, one booking's page, and staff actions.

Case details are decrypted here for display only. Filtering by country and searching by
name happen in Python after decrypting (volumes are small and the fields are encrypted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, delete, select

from booking import service
from booking.models import Booking, BookingStatus, Consultant
from bot import booking_changes
from bot.case import BY_NAME, CaseDetails
from bot.flow.forget import ERASERS
from bot.i18n import Translator
from bot.messages import Reply, Text
from bot.models import CaseFile, Conversation
from bot.notices.booking_notices import (
    calendar_document,
    person_language,
    person_zone,
    tell_person,
    when_text,
    zone_name,
)
from bot.validation.countries import Country
from dashboard import times
from dashboard.models import BookingNote, StaffAccount
from dashboard.people import case_details, display_name
from plumbing import outbox_keys
from plumbing.crypto import Cipher
from plumbing.outbox import OutboxMessage
from plumbing.runtime import Runtime
from plumbing.settings import Settings

UPCOMING, PAST, CANCELLED_TAB = "upcoming", "past", "cancelled"
TABS = (UPCOMING, PAST, CANCELLED_TAB)
OUTCOMES = service.OUTCOMES
CANCELLATION = "cancellation"
LIST_LIMIT = 500


#: What each ``Booking.meeting_status`` means for staff, when there is no join link to show.
MEETING_LABELS = {
    "none": "No Zoom set up: send the applicant a link yourself",
    "pending": "Meeting being created",
    "update": "Meeting being moved",
    "delete": "Meeting being deleted",
    "ready": "Meeting ready",
    "deleted": "Meeting deleted",
    "failed": "Zoom refused the meeting",
    "moved": "Meeting moved to the new booking",
    "cancelled": "Cancelled before a meeting existed",
}


def meeting_label(status: str) -> str:
    """Staff wording of a meeting status."""
    return MEETING_LABELS.get(status, status.replace("_", " "))


class ActionRefused(ValueError):
    """The action does not apply to this booking now; the message says why (for staff)."""


@dataclass(frozen=True)
class Filters:
    """What the bookings list is narrowed to; empty values mean no filter."""

    tab: str = UPCOMING
    consultant_id: int | None = None
    day: date | None = None
    channel: str = ""
    country: str = ""
    query: str = ""


@dataclass
class BookingView:
    """A booking with the names and case details the dashboard shows."""

    booking: Booking
    consultant: Consultant | None
    conversation: Conversation | None
    case: CaseDetails
    name: str
    notes: list[tuple[BookingNote, str, str]] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """The country of origin's English name (and code)."""
        return country_name(self.case.origin)

    @property
    def asylum_country(self) -> str:
        return country_name(self.case.asylum_country)

    @property
    def stage(self) -> str:
        """The stage of the case as the intake offered it, in English."""
        return intake_label("stage", self.case.stage)

    @property
    def role(self) -> str:
        return intake_label("role", self.case.role)

    @property
    def represented(self) -> str:
        return intake_label("represented", self.case.represented)

    @property
    def deadline(self) -> str:
        value = self.case.deadline
        if not value:
            return ""
        return "None" if value == "none" else value


def country_name(code: str | None) -> str:
    """``Syria (SY)`` for ``SY``; empty for nothing."""
    if not code:
        return ""
    try:
        return f"{Country(code).name('en')} ({code})"
    except (KeyError, LookupError, ValueError):
        return code


def intake_label(question: str, value: str | None) -> str:
    """The English label of an intake option (``waiting`` → its text), or the raw value."""
    if not value:
        return ""
    try:
        return Translator("en")(BY_NAME[question].option_key(value))
    except KeyError:
        return value


def consultants(session: Session) -> list[Consultant]:
    """Every consultant, active first, by name."""
    return list(session.exec(
        select(Consultant).order_by(col(Consultant.active).desc(), col(Consultant.name))
    ).all())


def _views(session: Session, cipher: Cipher, bookings: Sequence[Booking]) -> list[BookingView]:
    """The bookings with their consultants, people and case details, in a fixed number of
    queries: the booking's own case file, else the person's newest."""
    by_id = {c.id: c for c in consultants(session)}
    people = {b.conversation_id for b in bookings}
    conversations = {c.id: c for c in session.exec(
        select(Conversation).where(col(Conversation.id).in_(people)))}
    cases: dict[int | None, CaseFile] = {}
    newest: dict[int, CaseFile] = {}
    for row in session.exec(
        select(CaseFile).where(or_(col(CaseFile.conversation_id).in_(people),
                                   col(CaseFile.id).in_({b.case_id for b in bookings})))
        .order_by(col(CaseFile.created_at), col(CaseFile.id))
    ):
        cases[row.id] = newest[row.conversation_id] = row
    details: dict[int | None, CaseDetails] = {}
    found = []
    for booking in bookings:
        case = cases.get(booking.case_id) if booking.case_id else \
            newest.get(booking.conversation_id)
        if case is not None and case.id not in details:
            details[case.id] = case_details(cipher, case)
        facts = details[case.id] if case is not None else CaseDetails()
        conversation = conversations.get(booking.conversation_id)
        name = facts.name or (
            display_name(cipher, conversation, None) if conversation else "(unknown)")
        found.append(BookingView(booking=booking, consultant=by_id.get(booking.consultant_id),
                                 conversation=conversation, case=facts, name=name))
    return found


@dataclass(frozen=True)
class Listing:
    """One page of the bookings list and the countries of origin its tab holds."""

    rows: list[BookingView]
    countries: list[tuple[str, str]]
    truncated: bool


def list_bookings(session: Session, cipher: Cipher, now: datetime, filters: Filters,
                  zone_name: str, *, limit: int | None = LIST_LIMIT) -> Listing:
    """The bookings of one tab, narrowed by the filters; upcoming soonest first, else latest."""
    query = select(Booking)
    if filters.tab == PAST:
        query = query.where(col(Booking.status).in_((BookingStatus.CONFIRMED,
                                                     BookingStatus.COMPLETED,
                                                     BookingStatus.NO_SHOW)),
                            col(Booking.end) <= now).order_by(col(Booking.start).desc())
    elif filters.tab == CANCELLED_TAB:
        query = query.where(col(Booking.status).in_((BookingStatus.CANCELLED,
                                                     BookingStatus.RESCHEDULED))) \
            .order_by(col(Booking.start).desc())
    else:
        query = query.where(Booking.status == BookingStatus.CONFIRMED, col(Booking.end) > now) \
            .order_by(col(Booking.start))
    if filters.consultant_id:
        query = query.where(Booking.consultant_id == filters.consultant_id)
    if filters.channel:
        query = query.where(Booking.channel == filters.channel)
    if filters.day:
        start, end = times.local_day_bounds(filters.day, zone_name)
        query = query.where(col(Booking.start) >= start, col(Booking.start) < end)
    found: list[BookingView] = []
    origins: set[str] = set()
    needle = " ".join(filters.query.split()).casefold()
    for view in _views(session, cipher, session.exec(query).all()):
        origin = (view.case.origin or "").upper()
        if origin:
            origins.add(origin)
        if filters.country and origin != filters.country.upper():
            continue
        if needle and needle not in " ".join(view.name.split()).casefold():
            continue
        found.append(view)
    countries = sorted(((code, country_name(code)) for code in origins), key=lambda c: c[1])
    if limit is None:
        return Listing(found, countries, False)
    return Listing(found[:limit], countries, len(found) > limit)


def channels_in_use(session: Session) -> list[str]:
    """Channels that have bookings, for the filter."""
    return sorted(set(session.exec(select(Booking.channel).distinct()).all()))


def booking_page(session: Session, cipher: Cipher, booking_id: int) -> BookingView | None:
    """Everything the booking's page shows, or None when there is no such booking."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        return None
    view = _views(session, cipher, [booking])[0]
    authors = {a.id: a.email for a in session.exec(select(StaffAccount)).all()}
    for note in session.exec(select(BookingNote).where(BookingNote.booking_id == booking_id)
                             .order_by(col(BookingNote.created_at), col(BookingNote.id))).all():
        try:
            body = cipher.decrypt(note.body_enc)
        except ValueError:
            body = "(cannot be decrypted with the configured keys)"
        view.notes.append((note, authors.get(note.author_id, "?"), body))
    view.messages = [m for m in session.exec(
        select(OutboxMessage).where(OutboxMessage.conversation_id == booking.conversation_id)
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))).all()
        if is_about_booking(m.key, booking_id)]
    return view


def is_about_booking(key: str, booking_id: int) -> bool:
    """Whether an outbox key names this booking (``reminder:17:24h``, ``cancellation:17``).

    Staff replies are keyed by their hand-off request instead, so they never match.
    """
    named = outbox_keys.parse(key)
    return named.kind in outbox_keys.BOOKING_KINDS and named.booking_id == booking_id


def cancellation_notice(session: Session, booking: Booking, settings: Settings,
                        now: datetime) -> list[Reply]:
    """What the applicant receives: the notice in their language with the time in their zone,
    and the calendar update that removes the consultation from their calendar."""
    lang = person_language(session, booking)
    zone = person_zone(session, booking)
    when = f"{when_text(booking.start, booking.end, zone, lang)} " \
           f"({zone_name(zone, lang, booking.start)})"
    text = Translator(lang, digits=settings.message_digits)(
        "staff.cancelled_notice", when=when, company=settings.company_name)
    return [Text(text), calendar_document(booking, settings, lang, now)]


def cancel_booking(session: Session, runtime: Runtime, booking_id: int, *, staff_email: str,
                   reason: str) -> Booking:
    """Cancel an upcoming booking; in the same transaction queue the notice to the applicant
    on their channel, withdraw reminders and the link message, and alert the other staff.

    The notice is stored under a key naming the booking, so it can never go twice.
    """
    now = runtime.clock()
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise ActionRefused("There is no such booking.")
    if booking.status != BookingStatus.CONFIRMED:
        raise ActionRefused(f"This booking is {booking.status.replace('_', ' ')} already.")
    if booking.end <= now:
        raise ActionRefused("This consultation is over: record its outcome instead.")
    booking = booking_changes.cancel_booking(
        session, runtime, booking_id, now, by=f"staff:{staff_email}"[:64],
        reason_enc=runtime.cipher.encrypt(reason) if reason.strip() else None)
    replies = cancellation_notice(session, booking, runtime.settings, now)
    first = replies[0]
    assert isinstance(first, Text)
    tell_person(runtime, session, booking, key=outbox_keys.cancellation(booking.id),
                kind=CANCELLATION, replies=replies, now=now,
                template=("notice", (first.text, runtime.settings.company_website)))
    return booking


#: The dashboard's wording of each reason the booking domain refuses an outcome.
OUTCOME_REFUSALS = {
    service.OUTCOME_UNKNOWN: "Unknown outcome.",
    service.OUTCOME_NO_BOOKING: "There is no such booking.",
    service.OUTCOME_NOT_STARTED: "The consultation has not started yet.",
}


def record_outcome(session: Session, booking_id: int, outcome: str, now: datetime) -> Booking:
    """Mark a consultation that has started as completed or a no-show (changeable), through
    the booking domain; a refusal comes back as :class:`ActionRefused` in staff wording."""
    try:
        return service.record_outcome(session, booking_id, outcome, now)
    except service.OutcomeRefused as exc:
        if exc.reason == service.OUTCOME_WRONG_STATUS:
            raise ActionRefused(f"This booking is {str(exc.status).replace('_', ' ')}.") \
                from exc
        raise ActionRefused(OUTCOME_REFUSALS[exc.reason]) from exc


def add_note(session: Session, cipher: Cipher, booking_id: int, author_id: int, body: str,
             now: datetime) -> BookingNote:
    """Store a private note (encrypted) on a booking."""
    if session.get(Booking, booking_id) is None:
        raise ActionRefused("There is no such booking.")
    note = BookingNote(booking_id=booking_id, author_id=author_id,
                       body_enc=cipher.encrypt(body.strip()), created_at=now)
    session.add(note)
    return note


def erase_notes(target: Any) -> None:
    """Staff notes about the bookings of a person being erased (see ``bot.erasure``)."""
    booking_ids = select(Booking.id).where(Booking.conversation_id == target.conversation.id)
    target.session.exec(delete(BookingNote).where(  # type: ignore[call-overload]
        col(BookingNote.booking_id).in_(booking_ids)))


ERASERS.append(erase_notes)

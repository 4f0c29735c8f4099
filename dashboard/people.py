"""Who a conversation belongs to, as staff need it: a name and the case details, decrypted.

Decryption happens here, for display in the dashboard only; nothing here is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from booking.models import Booking, BookingStatus
from bot.case import CaseDetails, read_case
from bot.models import CaseFile, Conversation
from bot.working import WorkingData
from plumbing.crypto import Cipher
from plumbing.settings import Settings


def conversation_data(cipher: Cipher, conversation: Conversation) -> WorkingData:
    """The conversation's working data (empty when erased or unreadable)."""
    if not conversation.data_enc:
        return WorkingData()
    try:
        return WorkingData.from_dict(cipher.decrypt_json(conversation.data_enc))
    except ValueError:
        return WorkingData()


def case_details(cipher: Cipher, case: CaseFile | None) -> CaseDetails:
    """A case file's details (role, name, origin…); none when erased or unreadable."""
    try:
        return read_case(cipher, case)
    except ValueError:
        return CaseDetails()


def latest_case(session: Session, conversation_id: int) -> CaseFile | None:
    """The newest case file of a conversation."""
    return session.exec(
        select(CaseFile).where(CaseFile.conversation_id == conversation_id)
        .order_by(CaseFile.created_at.desc(), CaseFile.id.desc())  # type: ignore[attr-defined,union-attr]
    ).first()


def display_name(cipher: Cipher, conversation: Conversation, case: CaseFile | None) -> str:
    """The name the person gave (case file first, then the intake so far), else their name on
    the platform (WhatsApp profile, Telegram), else a placeholder."""
    data = conversation_data(cipher, conversation)
    name = case_details(cipher, case).name or data.intake.name
    if name:
        return name
    if conversation.erased_at is not None:
        return f"(erased: {conversation.channel} #{conversation.id})"
    if data.platform_name:
        return f"{data.platform_name} ({conversation.channel} profile name, #{conversation.id})"
    return f"(no name yet: {conversation.channel} #{conversation.id})"


#: How a state reads in the people list.
STAGES = {"welcome": "Started", "language": "Started", "menu": "Menu", "faq": "Questions",
          "handoff": "Asked for staff", "documents": "Asked for documents", "book": "Intake",
          "forget": "Asked to delete data", "mybooking": "Booked"}


def stage_of(conversation: Conversation, has_case: bool, booked: bool) -> str:
    """Where the person is: in the intake, case saved, booking, booked, erased…"""
    if conversation.erased_at is not None and conversation.state == "new":
        return "Erased"
    state = conversation.state
    if state.startswith("intake."):
        return "Intake"
    if state.startswith("booking."):
        return "Booked" if booked else "Choosing a time" if has_case else "Intake"
    label = STAGES.get(state, state)
    if booked and label in ("Menu", "Questions", "Started"):
        return "Booked"
    return "Case saved" if has_case and label in ("Menu", "Questions") else label


@dataclass(frozen=True)
class PersonRow:
    """One person in the people list (decrypted for display only)."""

    id: int
    name: str
    channel: str
    language: str | None
    stage: str
    last_message_at: datetime | None
    booked: bool
    purge_at: datetime | None
    erased_at: datetime | None
    erased_reason: str | None


def started_intake(cipher: Cipher, conversation: Conversation, has_case: bool,
                   booked: bool) -> bool:
    """Whether the person began telling us their case (or did and was erased since)."""
    return has_case or booked or conversation.erased_at is not None or \
        bool(conversation_data(cipher, conversation).intake)


def list_people(session: Session, cipher: Cipher, settings: Settings, now: datetime,
                query: str = "") -> list[PersonRow]:
    """Everyone who started an intake, booked or not, newest message first; ``query``
    matches the name, e-mail, channel, stage or ``#id`` (case-insensitive)."""
    from bot.retention import schedule

    cases = {c.conversation_id: c for c in session.exec(
        select(CaseFile).order_by(col(CaseFile.id)))}
    bookings: dict[int, list[Booking]] = {}
    for booking in session.exec(select(Booking)):
        bookings.setdefault(booking.conversation_id, []).append(booking)
    purge = schedule(session, settings, now)
    needle = query.strip().casefold()
    rows = []
    for conversation in session.exec(select(Conversation)):
        assert conversation.id is not None
        case = cases.get(conversation.id)
        has_case = case is not None and bool(case.payload_enc)
        booked = any(b.status == BookingStatus.CONFIRMED and b.end > now
                     for b in bookings.get(conversation.id, []))
        if not started_intake(cipher, conversation, has_case, bool(bookings.get(
                conversation.id))):
            continue
        name = display_name(cipher, conversation, case)
        row = PersonRow(
            id=conversation.id, name=name, channel=conversation.channel,
            language=conversation.language, stage=stage_of(conversation, has_case, booked),
            last_message_at=conversation.last_inbound_at, booked=booked,
            purge_at=purge[conversation.id].purge_at if conversation.id in purge else None,
            erased_at=conversation.erased_at, erased_reason=conversation.erased_reason)
        email = case_details(cipher, case).email or ""
        haystack = f"{name} {email} {row.channel} {row.stage} #{row.id}".casefold()
        if not needle or needle in haystack:
            rows.append(row)
    far = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda r: (r.last_message_at or far, r.id), reverse=True)
    return rows

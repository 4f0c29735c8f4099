"""Booking consultations: free slots from the database, holds, book, cancel and reschedule,
and the outcome of a consultation that has started.

Every function works inside the caller's transaction (in the chat, the turn's session).
Before re-checking a slot and writing, the writers lock the active consultants' rows
(``SELECT ... FOR UPDATE`` in id order) so two bookings of one consultant never
interleave on PostgreSQL; SQLite transactions are serialised already (``BEGIN
IMMEDIATE``). The partial unique index on ``booking(consultant_id, start)`` is the last
guarantee: a lost race raises ``IntegrityError`` and the caller retries the whole unit,
whose re-check then sees the slot taken and raises :class:`SlotTaken`.

No remote call is made here: meetings are created afterwards by :mod:`booking.meetings`,
consultants' calendars are read into a cache by :mod:`booking.calendars.refresh` (the chat
reads the held consultant's again just before a confirmation, outside the transaction).
Their busy times block slots like bookings; an unreadable calendar withholds its
consultant (see :mod:`booking.calendars.store`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, delete, select

from booking.availability import (
    Busy,
    ConsultantSchedule,
    Slot,
    SlotRules,
    WeeklyWindow,
    free_slots,
)
from booking.availability import DateOverride as OverrideHours
from booking.calendars import store as calendar_store
from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Consultant,
    DateOverride,
    MeetingStatus,
    SlotHold,
    WeeklyHours,
)
from booking.weekly_hours import parse_weekly_hours
from plumbing.db import Database
from plumbing.settings import Settings, SettingsError

log = logging.getLogger(__name__)

NEAREST_COUNT = 5
#: What a consultation that has started can be marked as (and changed between).
OUTCOMES = (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
#: Bookings this far back still count towards the daily limit of the first offered day.
_LOOKBACK = timedelta(days=2)
_SEED_LOCK = 0x0B00C  # advisory lock id: one seeding of the default consultant at a time


class SlotTaken(Exception):
    """The slot is no longer free; ``nearest`` are the closest free slots, in time order."""

    def __init__(self, nearest: Sequence[Slot]) -> None:
        super().__init__("slot no longer free")
        self.nearest = list(nearest)


class NotBookable(Exception):
    """The booking cannot be changed (not the person's, not confirmed, or already over)."""


class OutcomeRefused(NotBookable):
    """No outcome can be recorded; ``reason`` is one of the ``OUTCOME_*`` codes below and
    ``status`` the booking's status (when there is a booking)."""

    def __init__(self, reason: str, status: str | None = None) -> None:
        super().__init__(reason if status is None else f"{reason}: {status}")
        self.reason = reason
        self.status = status


OUTCOME_UNKNOWN = "unknown outcome"
OUTCOME_NO_BOOKING = "no such booking"
OUTCOME_WRONG_STATUS = "not a consultation that took place"  # cancelled or moved
OUTCOME_NOT_STARTED = "not started yet"


# --- settings -------------------------------------------------------------------------


def slot_rules(settings: Settings) -> SlotRules:
    """Length, buffer, notice, horizon and daily limit from the settings."""
    return SlotRules(
        duration=timedelta(minutes=settings.booking_slot_minutes),
        buffer=timedelta(minutes=settings.booking_buffer_minutes),
        min_notice=timedelta(hours=settings.booking_min_notice_hours),
        horizon=timedelta(days=settings.booking_horizon_days),
        daily_limit=settings.booking_daily_limit,
    )


def initial_meeting_status(settings: Settings) -> str:
    """``pending`` when Zoom or a fallback link can provide the meeting, else ``none``."""
    provided = settings.zoom_enabled or settings.zoom_fallback_link
    return MeetingStatus.PENDING if provided else MeetingStatus.NONE


def override_windows(hours: str) -> tuple[tuple, ...]:
    """``"10:00-12:00,13:00-15:00"`` as (start, end) times; empty text is a day off."""
    if not hours.strip():
        return ()
    return tuple((w.start, w.end) for w in parse_weekly_hours(f"mon {hours}"))


# --- consultants ----------------------------------------------------------------------


def ensure_default_consultant(
    session: Session, settings: Settings, now: datetime
) -> Consultant | None:
    """On a database without consultants, create the one the settings describe.

    Returns the new consultant, or None when there already was one. Safe when several
    processes start at once (an advisory lock on PostgreSQL, a serialised SQLite write).
    """
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
    if session.exec(select(Consultant.id)).first() is not None:
        return None
    try:
        windows = parse_weekly_hours(settings.booking_weekly_hours)
    except ValueError as exc:
        raise SettingsError(f"Setting BOOKING_WEEKLY_HOURS: {exc}") from exc
    consultant = Consultant(
        name=settings.booking_consultant_name,
        email=settings.booking_consultant_email,
        timezone=settings.booking_timezone,
        active=True,
        created_at=now,
    )
    session.add(consultant)
    session.flush()
    for window in windows:
        session.add(WeeklyHours(consultant_id=consultant.id, weekday=window.weekday,
                                start_time=window.start, end_time=window.end))
    session.flush()
    log.info("created the default consultant with hours %s", settings.booking_weekly_hours)
    return consultant


def ensure_default_consultant_at_start(db: Database, settings: Settings, now: datetime) -> None:
    """Start-up hook: give an empty database a consultant so the bot can book at once."""
    with db.transaction() as session:
        ensure_default_consultant(session, settings, now)


def schedules(session: Session) -> list[ConsultantSchedule]:
    """The active consultants' hours, ready for :func:`booking.availability.free_slots`."""
    consultants = session.exec(
        select(Consultant).where(col(Consultant.active).is_(True)).order_by(col(Consultant.id))
    ).all()
    ids = [c.id for c in consultants]
    if not ids:
        return []
    weekly: dict[int, list[WeeklyWindow]] = {i: [] for i in ids if i is not None}
    for row in session.exec(select(WeeklyHours).where(col(WeeklyHours.consultant_id).in_(ids))):
        weekly[row.consultant_id].append(WeeklyWindow(row.weekday, row.start_time, row.end_time))
    overrides: dict[int, list[OverrideHours]] = {i: [] for i in weekly}
    for row in session.exec(select(DateOverride).where(col(DateOverride.consultant_id).in_(ids))):
        overrides[row.consultant_id].append(OverrideHours(row.day, override_windows(row.hours)))
    found = []
    for consultant in consultants:
        assert consultant.id is not None
        try:
            found.append(ConsultantSchedule(consultant.id, consultant.timezone,
                                            tuple(weekly[consultant.id]),
                                            tuple(overrides[consultant.id])))
        except ValueError:
            log.exception("consultant %s has unusable hours; not offering them", consultant.id)
    return found


def lock_consultants(session: Session) -> list[int]:
    """Lock the active consultants' rows until the transaction ends (id order: no deadlock)."""
    return list(session.exec(
        select(Consultant.id).where(col(Consultant.active).is_(True))
        .order_by(col(Consultant.id)).with_for_update()
    ).all())


# --- free slots -----------------------------------------------------------------------


def busy_times(
    session: Session,
    now: datetime,
    *,
    conversation_id: int | None = None,
    exclude_booking_id: int | None = None,
) -> list[Busy]:
    """Active bookings and live holds; the person's own holds (and one booking) left out."""
    bookings = session.exec(
        select(Booking).where(col(Booking.status).in_(ACTIVE_STATUSES),
                              col(Booking.end) > now - _LOOKBACK)
    ).all()
    holds = session.exec(select(SlotHold).where(col(SlotHold.expires_at) > now)).all()
    busy = [Busy(b.consultant_id, b.start, b.end) for b in bookings if b.id != exclude_booking_id]
    busy += [Busy(h.consultant_id, h.start, h.end) for h in holds
             if h.conversation_id != conversation_id]
    return busy


def find_free_slots(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    conversation_id: int | None = None,
    exclude_booking_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Slot]:
    """Free slots (UTC) across the active consultants, as the person asking would see them:
    their own calendars' busy times count, a consultant whose calendar is unreadable is
    withheld (unless ``CALENDAR_UNREADABLE=offer``)."""
    found = schedules(session)
    hidden = calendar_store.withheld(session, settings, now, [s.consultant_id for s in found])
    return free_slots(
        [s for s in found if s.consultant_id not in hidden],
        busy_times(session, now, conversation_id=conversation_id,
                   exclude_booking_id=exclude_booking_id) + calendar_store.busy(session, now),
        slot_rules(settings),
        now,
        start=start,
        end=end,
    )


def slot_at(
    session: Session,
    settings: Settings,
    now: datetime,
    start: datetime,
    *,
    conversation_id: int | None = None,
    exclude_booking_id: int | None = None,
) -> Slot | None:
    """The free slot starting exactly at ``start``, or None."""
    found = find_free_slots(session, settings, now, conversation_id=conversation_id,
                            exclude_booking_id=exclude_booking_id, start=start,
                            end=start + timedelta(microseconds=1))
    return next((s for s in found if s.start == start), None)


def nearest_slots(
    session: Session,
    settings: Settings,
    now: datetime,
    target: datetime,
    *,
    conversation_id: int | None = None,
    exclude_booking_id: int | None = None,
    count: int = NEAREST_COUNT,
) -> list[Slot]:
    """The ``count`` free slots closest to ``target`` (before or after), in time order."""
    found = find_free_slots(session, settings, now, conversation_id=conversation_id,
                            exclude_booking_id=exclude_booking_id)
    found = [s for s in found if s.start != target]
    closest = sorted(found, key=lambda s: (abs(s.start - target), s.start))[:count]
    return sorted(closest, key=lambda s: s.start)


def _free_or_taken(
    session: Session,
    settings: Settings,
    now: datetime,
    start: datetime,
    *,
    conversation_id: int,
    exclude_booking_id: int | None = None,
    confirming: bool = False,
) -> Slot:
    """The free slot at ``start``; when ``confirming``, only with consultants whose calendar
    (if any) was read just now (see :func:`booking.calendars.store.confirmable`)."""
    slot = slot_at(session, settings, now, start, conversation_id=conversation_id,
                   exclude_booking_id=exclude_booking_id)
    if slot is not None and confirming:
        ids = calendar_store.confirmable(session, settings, now, slot.consultant_ids)
        slot = replace(slot, consultant_ids=tuple(ids)) if ids else None
    if slot is None:
        raise SlotTaken(nearest_slots(session, settings, now, start,
                                      conversation_id=conversation_id,
                                      exclude_booking_id=exclude_booking_id))
    return slot


def _choose(slot: Slot, preferred: int | None) -> int:
    """The consultant held for the person if still free, else the least loaded free one."""
    return preferred if preferred in slot.consultant_ids else slot.consultant_ids[0]


# --- holds ----------------------------------------------------------------------------


def release_holds(session: Session, conversation_id: int) -> None:
    """Drop the person's holds."""
    session.exec(delete(SlotHold).where(col(SlotHold.conversation_id) == conversation_id))


def hold_slot(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    conversation_id: int,
    start: datetime,
    exclude_booking_id: int | None = None,
) -> SlotHold:
    """Keep ``start`` for the person for ``BOOKING_HOLD_MINUTES`` while they confirm.

    Replaces the person's earlier hold. Raises :class:`SlotTaken` if it is not free.
    """
    lock_consultants(session)
    session.exec(delete(SlotHold).where(col(SlotHold.expires_at) <= now))
    release_holds(session, conversation_id)
    slot = _free_or_taken(session, settings, now, start, conversation_id=conversation_id,
                          exclude_booking_id=exclude_booking_id)
    hold = SlotHold(
        consultant_id=slot.consultant_ids[0],
        conversation_id=conversation_id,
        start=slot.start,
        end=slot.end,
        expires_at=now + timedelta(minutes=settings.booking_hold_minutes),
        created_at=now,
    )
    session.add(hold)
    session.flush()
    return hold


# --- bookings -------------------------------------------------------------------------


def by_request_key(session: Session, request_key: str) -> Booking | None:
    """The booking a confirmation with this key made, if any."""
    return session.exec(select(Booking).where(Booking.request_key == request_key)).first()


def book(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    conversation_id: int,
    start: datetime,
    request_key: str,
    channel: str,
    language: str,
    applicant_timezone: str,
    case_id: int | None = None,
    preferred_consultant_id: int | None = None,
) -> Booking:
    """Book ``start`` for the person exactly once per ``request_key``.

    The slot is re-checked under the consultants' locks (the person's own hold does not
    count against it). Raises :class:`SlotTaken` with the nearest free slots when it is
    gone; the same ``request_key`` again returns the booking it made.
    """
    lock_consultants(session)
    existing = by_request_key(session, request_key)
    if existing is not None:
        return existing
    slot = _free_or_taken(session, settings, now, start, conversation_id=conversation_id,
                          confirming=True)
    booking = Booking(
        consultant_id=_choose(slot, preferred_consultant_id),
        conversation_id=conversation_id,
        case_id=case_id,
        channel=channel,
        language=language,
        applicant_timezone=applicant_timezone,
        start=slot.start,
        end=slot.end,
        status=BookingStatus.CONFIRMED,
        created_at=now,
        request_key=request_key,
        meeting_status=initial_meeting_status(settings),
        meeting_next_attempt_at=now,
        ics_uid=f"{uuid.uuid4().hex}@consultbot",
        ics_sequence=0,
    )
    session.add(booking)
    session.flush()  # a lost race fails here, on the unique index
    release_holds(session, conversation_id)
    return booking


def _locked_booking(session: Session, booking_id: int) -> Booking | None:
    return session.exec(
        select(Booking).where(Booking.id == booking_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def reschedule(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    booking_id: int,
    conversation_id: int,
    start: datetime,
    request_key: str,
    preferred_consultant_id: int | None = None,
) -> Booking:
    """Move a booking to ``start``: the new slot is taken before the old one is released,
    in one transaction, so the person never has two bookings or none.

    The new booking keeps the meeting (to be moved at Zoom) and the calendar UID.
    Raises :class:`SlotTaken` or :class:`NotBookable`.
    """
    lock_consultants(session)
    existing = by_request_key(session, request_key)
    if existing is not None:
        return existing
    old = _locked_booking(session, booking_id)
    if old is None or old.conversation_id != conversation_id \
            or old.status != BookingStatus.CONFIRMED or old.start <= now:
        raise NotBookable("only the person's own upcoming booking can be moved")
    if start == old.start:
        raise SlotTaken(nearest_slots(session, settings, now, start,
                                      conversation_id=conversation_id, exclude_booking_id=old.id))
    slot = _free_or_taken(session, settings, now, start, conversation_id=conversation_id,
                          exclude_booking_id=old.id, confirming=True)
    new = Booking(
        consultant_id=_choose(slot, preferred_consultant_id),
        conversation_id=old.conversation_id,
        case_id=old.case_id,
        channel=old.channel,
        language=old.language,
        applicant_timezone=old.applicant_timezone,
        start=slot.start,
        end=slot.end,
        status=BookingStatus.CONFIRMED,
        created_at=now,
        rescheduled_from_id=old.id,
        request_key=request_key,
        meeting_next_attempt_at=now,
        ics_uid=old.ics_uid,
        ics_sequence=old.ics_sequence + 1,
    )
    if old.meeting_id is not None and old.meeting_status not in (MeetingStatus.DELETE,):
        new.meeting_id, new.join_url = old.meeting_id, old.join_url
        new.start_url, new.meeting_password = old.start_url, old.meeting_password
        new.meeting_status = MeetingStatus.UPDATE
    elif old.meeting_status == MeetingStatus.NONE:
        new.meeting_status = initial_meeting_status(settings)
    else:
        new.meeting_status = MeetingStatus.PENDING
    session.add(new)
    session.flush()  # the new slot is ours now (or the unique index says otherwise)
    old.status = BookingStatus.RESCHEDULED
    if old.meeting_status != MeetingStatus.NONE:
        old.meeting_status = MeetingStatus.MOVED
    session.add(old)
    session.flush()
    release_holds(session, conversation_id)
    return new


def cancel(
    session: Session,
    booking_id: int,
    now: datetime,
    *,
    by: str,
    reason_enc: str | None = None,
) -> Booking:
    """Cancel a confirmed booking (again: no change); its meeting is deleted later."""
    booking = _locked_booking(session, booking_id)
    if booking is None:
        raise NotBookable("no such booking")
    if booking.status != BookingStatus.CONFIRMED:
        return booking
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancel_reason_enc = reason_enc
    booking.ics_sequence += 1
    if booking.meeting_id is not None:
        booking.meeting_status = MeetingStatus.DELETE
        booking.meeting_attempts = 0
        booking.meeting_next_attempt_at = now
        booking.meeting_error = None
    elif booking.meeting_status != MeetingStatus.NONE:
        booking.meeting_status = MeetingStatus.CANCELLED
    session.add(booking)
    session.flush()
    return booking


def record_outcome(session: Session, booking_id: int, outcome: str, now: datetime) -> Booking:
    """Mark a consultation that has started as ``completed`` or ``no_show`` (changeable).

    Raises :class:`OutcomeRefused` for another outcome, a missing, cancelled or moved
    booking, or one that starts after ``now``.
    """
    if outcome not in OUTCOMES:
        raise OutcomeRefused(OUTCOME_UNKNOWN)
    booking = _locked_booking(session, booking_id)
    if booking is None:
        raise OutcomeRefused(OUTCOME_NO_BOOKING)
    if booking.status not in (BookingStatus.CONFIRMED, *OUTCOMES):
        raise OutcomeRefused(OUTCOME_WRONG_STATUS, booking.status)
    if booking.start > now:
        raise OutcomeRefused(OUTCOME_NOT_STARTED, booking.status)
    booking.status = outcome
    session.add(booking)
    session.flush()
    return booking


def upcoming_for(session: Session, conversation_id: int, now: datetime) -> list[Booking]:
    """The person's confirmed bookings that have not ended, soonest first."""
    return list(session.exec(
        select(Booking).where(Booking.conversation_id == conversation_id,
                              Booking.status == BookingStatus.CONFIRMED, col(Booking.end) > now)
        .order_by(col(Booking.start))
    ).all())


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"

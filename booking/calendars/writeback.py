"""Copies of bookings in the consultants' CalDAV calendars (``CALENDAR_WRITE_BACK``): added
when booked, moved with the booking (to another consultant's calendar if it changed
hands), removed when cancelled.

One :class:`CalendarCopy` row per ``ics_uid`` (a booking keeps its UID across moves)
records where the copy is. Each round finds the UIDs whose copy differs from their
current booking, leases each row (``claimed_until``, the lease value being the claim's
token), writes with no transaction open, and records the outcome only over its own
claim; failures are retried with back-off. The copy says only "Consultation" and the
company: nothing of the applicant reaches the calendar server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from booking.calendars import sources, store
from booking.calendars.models import CALDAV, CalendarCopy, ConsultantCalendar
from booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from plumbing.crypto import Cipher
from plumbing.db import Database
from plumbing.settings import Settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class CopyJob:
    """Where the copy of ``uid`` is (``remove_from``) and where it should be (``put_to``)."""

    uid: str
    booking_id: int
    lease: datetime
    remove_from: sources.CalendarSource | None
    put_to: sources.CalendarSource | None
    target_consultant_id: int | None
    start: datetime
    end: datetime
    sequence: int


def event_text(uid: str, start: datetime, end: datetime, sequence: int, company: str,
               now: datetime) -> str:
    """The copy as a calendar object resource (no METHOD, times in UTC)."""
    from icalendar import Calendar, Event  # on first use (see booking.calendars.reading)

    calendar = Calendar()
    calendar.add("prodid", "-//consultbot//Consultation booking//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("summary", f"Consultation ({company})")
    event.add("description", "Booked through the chat; the details are in the dashboard.")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _caldav_consultants(session: Session) -> list[int]:
    return list(session.exec(select(ConsultantCalendar.consultant_id).where(
        ConsultantCalendar.kind == CALDAV)).all())


def _due(session: Session, now: datetime, limit: int) -> list[tuple[str, int | None]]:
    """UIDs whose copy is out of date: (uid, booking id to show, or None to remove)."""
    free = and_(or_(col(CalendarCopy.next_attempt_at).is_(None),
                    col(CalendarCopy.next_attempt_at) <= now),
                or_(col(CalendarCopy.claimed_until).is_(None),
                    col(CalendarCopy.claimed_until) < now))
    writers = _caldav_consultants(session)
    found: list[tuple[str, int | None]] = []
    if writers:
        rows = session.exec(
            select(Booking.ics_uid, Booking.id)
            .outerjoin(CalendarCopy, col(CalendarCopy.ics_uid) == col(Booking.ics_uid))
            .where(Booking.status == BookingStatus.CONFIRMED, col(Booking.end) > now,
                   col(Booking.consultant_id).in_(writers),
                   or_(col(CalendarCopy.id).is_(None),
                       and_(free, or_(col(CalendarCopy.booking_id) != col(Booking.id),
                                      col(CalendarCopy.written_consultant_id).is_(None),
                                      col(CalendarCopy.written_consultant_id)
                                      != col(Booking.consultant_id),
                                      col(CalendarCopy.written_sequence)
                                      != col(Booking.ics_sequence)))))
            .order_by(col(Booking.id)).limit(limit)).all()
        found += [(uid, booking_id) for uid, booking_id in rows]
    # Still wanted where it is: an active booking of that UID with the same consultant.
    active = exists().where(col(Booking.ics_uid) == col(CalendarCopy.ics_uid),
                            col(Booking.consultant_id) == col(CalendarCopy.written_consultant_id),
                            col(Booking.status).in_(ACTIVE_STATUSES))
    gone = session.exec(
        select(CalendarCopy.ics_uid)
        .where(col(CalendarCopy.written_consultant_id).is_not(None), free, ~active)
        .limit(limit)).all()
    found += [(uid, None) for uid in gone]
    return found[:limit]


def claim(db: Database, cipher: Cipher, now: datetime, limit: int) -> list[CopyJob]:
    """Lease the copies that are out of date (creating their rows)."""
    jobs = []
    lease = now + LEASE
    with db.transaction() as session:
        for uid, booking_id in _due(session, now, limit):
            copy = session.exec(select(CalendarCopy).where(CalendarCopy.ics_uid == uid)
                                .with_for_update()).first()
            booking = session.get(Booking, booking_id) if booking_id is not None else None
            if copy is None:
                if booking is None:
                    continue
                assert booking_id is not None  # a booking was found by it
                copy = CalendarCopy(ics_uid=uid, booking_id=booking_id)
            elif copy.claimed_until is not None and copy.claimed_until >= now:
                continue
            copy.claimed_until = lease
            session.add(copy)
            rows = store.calendars(session, [i for i in (
                copy.written_consultant_id, booking.consultant_id if booking else None)
                if i is not None])
            target = booking.consultant_id if booking is not None else None
            put_row = rows.get(target) if target is not None else None
            put_to = store.source_of(cipher, put_row) if put_row is not None and \
                put_row.kind == CALDAV else None
            remove_row = rows.get(copy.written_consultant_id) \
                if copy.written_consultant_id is not None and \
                copy.written_consultant_id != target else None
            remove_from = store.source_of(cipher, remove_row) if remove_row is not None and \
                remove_row.kind == CALDAV else None
            subject = booking or session.get(Booking, copy.booking_id)
            assert subject is not None and subject.id is not None
            jobs.append(CopyJob(uid=uid, booking_id=subject.id, lease=lease,
                                remove_from=remove_from, put_to=put_to,
                                target_consultant_id=target if put_to is not None else None,
                                start=subject.start, end=subject.end,
                                sequence=subject.ics_sequence))
    return jobs


def perform(job: CopyJob, settings: Settings, company: str, now: datetime) -> None:
    """The remote calls (no transaction open)."""
    timeout = settings.calendar_timeout_seconds
    if job.remove_from is not None:
        sources.delete_event(job.remove_from, job.uid, timeout=timeout)
    if job.put_to is not None:
        sources.put_event(job.put_to, job.uid, event_text(
            job.uid, job.start, job.end, job.sequence, company, now), timeout=timeout)


def sync_copies(db: Database, cipher: Cipher, settings: Settings,
                clock: Callable[[], datetime], *, company: str, limit: int = 20) -> int:
    """Bring up to ``limit`` copies up to date; how many were."""
    done = 0
    for job in claim(db, cipher, clock(), limit):
        try:
            perform(job, settings, company, clock())
        except sources.CalendarUnavailable as exc:
            _retry(db, job, clock(), exc.reason)
            continue
        except Exception as exc:  # a bug: keep the job, retry later
            log.exception("calendar copy of booking %s failed", job.booking_id)
            _retry(db, job, clock(), type(exc).__name__)
            continue
        done += _store(db, job)
    return done


def _locked(session: Session, uid: str) -> CalendarCopy | None:
    return session.exec(select(CalendarCopy).where(CalendarCopy.ics_uid == uid)
                        .with_for_update().execution_options(populate_existing=True)).first()


def _store(db: Database, job: CopyJob) -> bool:
    with db.transaction() as session:
        copy = _locked(session, job.uid)
        if copy is None or copy.claimed_until != job.lease:
            return False
        copy.claimed_until = None
        copy.booking_id = job.booking_id
        copy.written_consultant_id = job.target_consultant_id
        copy.written_start = job.start if job.target_consultant_id is not None else None
        copy.written_sequence = job.sequence
        copy.attempts, copy.last_error, copy.next_attempt_at = 0, None, None
        session.add(copy)
    return True


def _retry(db: Database, job: CopyJob, now: datetime, reason: str) -> None:
    with db.transaction() as session:
        copy = _locked(session, job.uid)
        if copy is None or copy.claimed_until != job.lease:
            return
        copy.claimed_until = None
        copy.attempts += 1
        copy.last_error = reason[:300]
        copy.next_attempt_at = now + min(FIRST_RETRY * 2 ** (copy.attempts - 1), MAX_RETRY)
        session.add(copy)
    log.warning("calendar copy of booking %s will be retried: %s", job.booking_id, reason)

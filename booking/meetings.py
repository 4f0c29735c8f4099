"""Durable meeting jobs: create, move and delete each booking's Zoom meeting, outside any
transaction that holds booking locks.

A booking's ``meeting_status`` says what is due: ``pending`` (create), ``update`` (move,
after a reschedule) or ``delete`` (after a cancel). :func:`sync_meetings` claims due
bookings in a short transaction, leasing each with ``meeting_claimed_until`` so two
workers never take the same one; calls the provider with no transaction open; then
stores the outcome in a second short transaction, in which ``on_ready`` runs (so the
link message is enqueued together with the stored meeting), or ``on_failed`` when the
provider refused to make or move the meeting of a confirmed booking (so staff and the
person are told together with the stored failure).

Creating is reconciled, not blindly repeated: each meeting carries the booking's marker in
its agenda, and a create that follows a failed or unanswered attempt (an earlier error, or
a lease that ran out) first asks the provider for the meeting carrying the marker, so a
meeting made by an attempt whose answer was lost is taken instead of made twice.

The lease value doubles as the claim's token: the outcome is only written over the
claim it came from, except that a confirmed booking still waiting for its meeting takes
the first one made for it (a worker whose lease ran out may answer before the one that
took over; the later meeting is deleted). A booking that changed meanwhile (cancelled
or moved while its meeting was being made) is reconciled instead: a meeting made for a
booking since replaced goes to the replacing booking, one nobody needs any more is
deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from booking.models import MEETING_DUE, Booking, BookingStatus, Consultant, MeetingStatus
from booking.zoom import (
    MeetingService,
    ZoomMeeting,
    ZoomRejected,
    ZoomUnavailable,
    booking_marker,
    meeting_topic,
)
from plumbing.db import Database

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_DELETE_ATTEMPTS = 12
_ACTIONS: dict[str, str] = {
    MeetingStatus.PENDING: "create", MeetingStatus.UPDATE: "update", MeetingStatus.DELETE: "delete"}


@dataclass(frozen=True)
class Job:
    """One claimed booking and what to do for it."""

    booking_id: int
    action: str  # create | update | delete
    lease: datetime
    meeting_id: str | None
    start: datetime
    duration_minutes: int
    timezone: str
    #: An earlier attempt may have made the meeting: look for it before creating one.
    look_first: bool = False


OnReady = Callable[[Session, Booking], None]
OnFailed = Callable[[Session, Booking], None]


def sync_meetings(
    db: Database,
    meetings: MeetingService,
    clock: Callable[[], datetime],
    *,
    on_ready: OnReady,
    on_failed: OnFailed,
    limit: int = 20,
    topic: str | None = None,
) -> int:
    """Do up to ``limit`` due meeting jobs; return how many completed.

    ``on_ready(session, booking)`` runs after a meeting is created or moved, inside the
    transaction storing it. Transient failures are retried later (``Retry-After`` or
    exponential back-off); a refusal marks the booking's meeting ``failed`` and, when the
    confirmed booking is left without a meeting for its time (a create or a move refused),
    ``on_failed(session, booking)`` runs inside the transaction storing that.
    """
    return sum(run_job(db, meetings, job, clock, on_ready=on_ready, on_failed=on_failed,
                       topic=topic or meeting_topic(""))
               for job in claim(db, clock(), limit))


def run_job(
    db: Database,
    meetings: MeetingService,
    job: Job,
    clock: Callable[[], datetime],
    *,
    on_ready: OnReady,
    on_failed: OnFailed,
    topic: str,
) -> bool:
    """Do one claimed job (the remote call with no transaction open); True if it completed."""
    try:
        meeting = perform(meetings, job, topic)
    except ZoomUnavailable as exc:
        _retry(db, job, clock(), str(exc), exc.retry_after)
        return False
    except ZoomRejected as exc:
        _rejected(db, job, clock(), exc, on_failed)
        return False
    except Exception as exc:  # a bug or an unexpected answer: retry, do not lose the job
        log.exception("meeting %s for booking %s failed", job.action, job.booking_id)
        _retry(db, job, clock(), f"{type(exc).__name__}", None)
        return False
    orphan = _store(db, job, meeting, clock(), on_ready)
    if orphan is not None:
        _delete_quietly(meetings, orphan)
    return True


def claim(db: Database, now: datetime, limit: int) -> list[Job]:
    """Lease up to ``limit`` bookings whose meeting work is due."""
    jobs: list[Job] = []
    lease = now + LEASE
    with db.transaction() as session:
        query = (
            select(Booking)
            .where(col(Booking.meeting_status).in_(MEETING_DUE),
                   or_(col(Booking.meeting_next_attempt_at).is_(None),
                       col(Booking.meeting_next_attempt_at) <= now),
                   or_(col(Booking.meeting_claimed_until).is_(None),
                       col(Booking.meeting_claimed_until) < now))
            .order_by(col(Booking.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        for booking in session.exec(query).all():
            assert booking.id is not None
            action = _ACTIONS[booking.meeting_status]
            if action != "delete" and booking.start <= now:
                booking.meeting_status = MeetingStatus.FAILED
                booking.meeting_error = "the consultation time passed before the meeting was made"
                session.add(booking)
                continue
            expired = booking.meeting_claimed_until is not None  # an attempt never came back
            booking.meeting_claimed_until = lease
            session.add(booking)
            consultant = session.get(Consultant, booking.consultant_id)
            jobs.append(Job(
                booking_id=booking.id,
                action=action,
                lease=lease,
                meeting_id=booking.meeting_id,
                start=booking.start,
                duration_minutes=booking.duration_minutes,
                timezone=consultant.timezone if consultant else booking.applicant_timezone,
                look_first=action == "create" and (booking.meeting_attempts > 0 or expired),
            ))
    return jobs


def perform(meetings: MeetingService, job: Job, topic: str) -> ZoomMeeting | None:
    """The remote call for one job (no transaction is open here)."""
    if job.action == "create":
        marker = booking_marker(job.booking_id)
        finder = getattr(meetings, "find_meeting", None)
        if job.look_first and finder is not None:
            found: ZoomMeeting | None = finder(marker, job.start)
            if found is not None:
                return found
        return meetings.create_meeting(topic=topic, start=job.start,
                                       duration_minutes=job.duration_minutes,
                                       timezone=job.timezone, agenda=marker)
    assert job.meeting_id is not None
    if job.action == "update":
        meetings.update_meeting(job.meeting_id, start=job.start,
                                duration_minutes=job.duration_minutes, timezone=job.timezone)
    else:
        meetings.delete_meeting(job.meeting_id)
    return None


def _locked(session: Session, booking_id: int) -> Booking:
    return session.exec(
        select(Booking).where(Booking.id == booking_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _release(booking: Booking, job: Job) -> bool:
    """Drop our lease; True if the booking still carries it (nobody re-claimed it)."""
    ours = booking.meeting_claimed_until == job.lease
    if ours:
        booking.meeting_claimed_until = None
    return ours


def _give(booking: Booking, meeting: ZoomMeeting) -> None:
    booking.meeting_id = meeting.meeting_id
    booking.join_url = meeting.join_url
    booking.start_url = meeting.start_url
    booking.meeting_password = meeting.password


def _successor(session: Session, booking: Booking) -> Booking | None:
    """The confirmed booking that (through reschedules) replaced ``booking``, if any."""
    current = booking
    for _ in range(100):
        following = session.exec(
            select(Booking).where(Booking.rescheduled_from_id == current.id).with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if following is None:
            confirmed = current.status == BookingStatus.CONFIRMED
            return current if current is not booking and confirmed else None
        current = following
    return None


def _store(db: Database, job: Job, meeting: ZoomMeeting | None, now: datetime,
           on_ready: OnReady) -> str | None:
    """Record a job's success; returns a meeting id to delete if nobody can use it."""
    with db.transaction() as session:
        booking = _locked(session, job.booking_id)
        ours = _release(booking, job)
        expected = {"create": MeetingStatus.PENDING, "update": MeetingStatus.UPDATE,
                    "delete": MeetingStatus.DELETE}[job.action]
        unchanged = ours and booking.meeting_status == expected
        if job.action == "create":
            assert meeting is not None
            if booking.status == BookingStatus.CONFIRMED \
                    and booking.meeting_status == MeetingStatus.PENDING \
                    and booking.meeting_id is None:
                # Our lease ran out and another worker is making one too: keep the first
                # to arrive (the other's answer then finds a meeting and deletes its own).
                _give(booking, meeting)
                _ready(session, booking, on_ready)
                return None
            return _reconcile_created(session, booking, meeting, now)
        if unchanged and (job.action == "delete" or booking.meeting_id == job.meeting_id):
            booking.meeting_error = None
            booking.meeting_attempts = 0
            if job.action == "delete":
                booking.meeting_status = MeetingStatus.DELETED
            else:
                _ready(session, booking, on_ready)
        session.add(booking)
    return None


def _ready(session: Session, booking: Booking, on_ready: OnReady) -> None:
    booking.meeting_status = MeetingStatus.READY
    booking.meeting_error = None
    booking.meeting_attempts = 0
    session.add(booking)
    session.flush()
    on_ready(session, booking)


def _reconcile_created(session: Session, booking: Booking, meeting: ZoomMeeting,
                       now: datetime) -> str | None:
    """A meeting was made for a booking that changed meanwhile: hand it on or delete it."""
    heir = _successor(session, booking)
    free = heir is not None and heir.meeting_id is None and heir.meeting_status == \
        MeetingStatus.PENDING and (heir.meeting_claimed_until is None
                                   or heir.meeting_claimed_until < now)
    if heir is not None and free:
        _give(heir, meeting)
        heir.meeting_status = MeetingStatus.UPDATE  # made for the old time: move it
        heir.meeting_next_attempt_at = now
        session.add(heir)
        log.info("meeting for booking %s handed to booking %s", booking.id, heir.id)
        return None
    if booking.meeting_id is None:
        _give(booking, meeting)
        booking.meeting_status = MeetingStatus.DELETE
        booking.meeting_next_attempt_at = now
        booking.meeting_attempts = 0
        session.add(booking)
        return None
    session.add(booking)
    return meeting.meeting_id  # the booking already has another meeting


def _delete_quietly(meetings: MeetingService, meeting_id: str) -> None:
    try:
        meetings.delete_meeting(meeting_id)
    except (ZoomUnavailable, ZoomRejected) as exc:
        log.warning("could not delete unused meeting %s: %s", meeting_id, exc)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 1 min, 2 min, ... at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def _retry(db: Database, job: Job, now: datetime, error: str,
           retry_after: float | None) -> None:
    with db.transaction() as session:
        booking = _locked(session, job.booking_id)
        if not _release(booking, job):
            return
        booking.meeting_attempts += 1
        booking.meeting_error = error[:500]
        if job.action == "delete" and booking.meeting_attempts >= MAX_DELETE_ATTEMPTS:
            booking.meeting_status = MeetingStatus.FAILED
        wait = timedelta(seconds=retry_after) if retry_after is not None else \
            backoff(booking.meeting_attempts)
        booking.meeting_next_attempt_at = now + max(wait, timedelta(seconds=1))
        session.add(booking)
    log.warning("meeting %s for booking %s will be retried: %s", job.action, job.booking_id,
                error)


def _rejected(db: Database, job: Job, now: datetime, exc: ZoomRejected,
              on_failed: OnFailed) -> None:
    with db.transaction() as session:
        booking = _locked(session, job.booking_id)
        if not _release(booking, job):
            return
        booking.meeting_attempts += 1
        booking.meeting_error = str(exc)[:500]
        if job.action == "update" and exc.status_code == 404 \
                and booking.status == BookingStatus.CONFIRMED:
            # Zoom no longer has the meeting: make a new one.
            booking.meeting_id = booking.join_url = None
            booking.start_url = booking.meeting_password = None
            booking.meeting_status = MeetingStatus.PENDING
            booking.meeting_next_attempt_at = now
        elif booking.meeting_status == {"create": MeetingStatus.PENDING,
                                        "update": MeetingStatus.UPDATE,
                                        "delete": MeetingStatus.DELETE}[job.action]:
            booking.meeting_status = MeetingStatus.FAILED
            if job.action != "delete" and booking.status == BookingStatus.CONFIRMED:
                session.add(booking)
                session.flush()
                on_failed(session, booking)
        session.add(booking)

"""Reading consultants' calendars into the cache: the worker's periodic job, and the fresh
reading the chat asks for just before a confirmation.

Like the meeting jobs (:mod:`booking.meetings`): a short transaction picks the calendars
(the worker leases due ones with ``claimed_until``, so two workers do not read the same
calendar), the remote reading runs with no transaction open, and a second short
transaction stores the outcome. A reading is stored only if it started after the one in
the cache (``fetched_at``) and the calendar's address was not changed meanwhile, so a slow
worker never overwrites a fresher reading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from booking.calendars import reading as ical
from booking.calendars import sources, store
from booking.calendars.models import ConsultantCalendar
from booking.models import Consultant
from plumbing.crypto import Cipher
from plumbing.db import Database
from plumbing.settings import Settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRY = timedelta(minutes=1)
#: Calendars the worker reads in one round, and at once: a round then lasts at most about
#: one request's timeout, and ten calendars are read within three rounds (15 s).
PER_ROUND = 4
PARALLEL = 4

#: Runs inside the transaction that records the first failure of an outage.
OnOutage = Callable[[Session, ConsultantCalendar], None]
Fetch = Callable[[sources.CalendarSource, datetime, datetime], list[str]]


@dataclass(frozen=True)
class Job:
    """One calendar to read: whose, from where (decrypted), in which zone."""

    calendar_id: int
    consultant_id: int
    config_enc: str
    source: sources.CalendarSource
    timezone: str


def _jobs(session: Session, cipher: Cipher, rows: Sequence[ConsultantCalendar]) -> list[Job]:
    zones = dict(session.exec(select(Consultant.id, Consultant.timezone).where(
        col(Consultant.id).in_([r.consultant_id for r in rows]))).all())
    jobs = []
    for row in rows:
        assert row.id is not None
        try:
            source = store.source_of(cipher, row)
        except ValueError:  # the data key changed: the outcome says so
            source = sources.CalendarSource("unreadable", "")
        jobs.append(Job(row.id, row.consultant_id, row.config_enc, source,
                        zones.get(row.consultant_id, "UTC")))
    return jobs


def claim_due(db: Database, cipher: Cipher, now: datetime, limit: int) -> list[Job]:
    """Lease up to ``limit`` calendars of active consultants whose refresh is due."""
    with db.transaction() as session:
        query = (
            select(ConsultantCalendar)
            .join(Consultant, col(Consultant.id) == col(ConsultantCalendar.consultant_id))
            .where(col(Consultant.active).is_(True),
                   col(ConsultantCalendar.next_refresh_at) <= now,
                   or_(col(ConsultantCalendar.claimed_until).is_(None),
                       col(ConsultantCalendar.claimed_until) < now))
            .order_by(col(ConsultantCalendar.next_refresh_at))
            .limit(limit)
        )
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True, of=ConsultantCalendar)
        rows = list(session.exec(query).all())
        for row in rows:
            row.claimed_until = now + LEASE
            session.add(row)
        return _jobs(session, cipher, rows)


def jobs_for(db: Database, cipher: Cipher, consultant_ids: Sequence[int]) -> list[Job]:
    """The calendars of these consultants, to read at once (no lease: the newer reading wins)."""
    with db.transaction() as session:
        rows = list(store.calendars(session, consultant_ids).values())
        return _jobs(session, cipher, rows)


def read(job: Job, settings: Settings, now: datetime, fetch: Fetch | None = None
         ) -> list[tuple[datetime, datetime]]:
    """The remote reading (no transaction open): busy intervals over the read window.

    Raises :class:`sources.CalendarUnavailable` for any failure, parse errors included.
    """
    if job.source.kind not in ("caldav", "ics"):
        raise sources.CalendarUnavailable("the calendar settings cannot be decrypted "
                                          "(DATA_ENCRYPTION_KEY changed?); enter them again")
    start, end = store.read_window(settings, now)
    timeout = settings.calendar_timeout_seconds
    texts = fetch(job.source, start, end) if fetch is not None else \
        sources.fetch(job.source, start, end, timeout=timeout)
    try:
        return ical.busy_intervals(texts, start, end, job.timezone)
    except ical.CalendarUnreadable as exc:
        raise sources.CalendarUnavailable(str(exc)) from exc


def run(db: Database, cipher: Cipher, settings: Settings, clock: Callable[[], datetime],
        jobs: Sequence[Job], *, on_outage: OnOutage, fetch: Fetch | None = None,
        parallel: int = PARALLEL) -> int:
    """Read the jobs' calendars (up to ``parallel`` at once, so one slow server does not hold
    up the others) and store each outcome; how many readings succeeded."""

    def one(job: Job) -> bool:
        started = clock()
        try:
            spans = read(job, settings, started, fetch)
        except sources.CalendarUnavailable as exc:
            log.warning("calendar of consultant %s cannot be read: %s", job.consultant_id,
                        exc.reason)
            return _store(db, job, settings, started, clock(), None, exc.reason, on_outage)
        except Exception as exc:  # a bug: the calendar counts as unreadable, never ignored
            log.exception("calendar of consultant %s: reading failed", job.consultant_id)
            return _store(db, job, settings, started, clock(), None,
                          f"reading failed ({type(exc).__name__})", on_outage)
        return _store(db, job, settings, started, clock(), spans, None, on_outage)

    if len(jobs) <= 1 or parallel <= 1:
        return sum(one(job) for job in jobs)
    with ThreadPoolExecutor(max_workers=min(parallel, len(jobs))) as pool:
        return sum(pool.map(one, jobs))


def _store(db: Database, job: Job, settings: Settings, started: datetime, now: datetime,
           spans: list[tuple[datetime, datetime]] | None, error: str | None,
           on_outage: OnOutage) -> bool:
    with db.transaction() as session:
        row = session.exec(
            select(ConsultantCalendar).where(ConsultantCalendar.id == job.calendar_id)
            .with_for_update().execution_options(populate_existing=True)
        ).first()
        if row is None or row.config_enc != job.config_enc:
            return False  # removed or re-pointed meanwhile: this reading is of nothing
        if row.claimed_until is not None:
            row.claimed_until = None
        if row.fetched_at is not None and row.fetched_at >= started:
            session.add(row)
            return False  # a fresher reading is stored already
        if spans is not None:
            store.store_success(session, row, spans, started, now,
                                timedelta(minutes=settings.calendar_refresh_minutes))
            return True
        retry = min(RETRY, timedelta(minutes=settings.calendar_refresh_minutes))
        if store.store_failure(session, row, error or "unknown", now, retry):
            on_outage(session, row)
        return False


def refresh_due(db: Database, cipher: Cipher, settings: Settings,
                clock: Callable[[], datetime], *, on_outage: OnOutage,
                limit: int = PER_ROUND, fetch: Fetch | None = None) -> int:
    """The worker's job: read the calendars that are due; how many readings succeeded."""
    jobs = claim_due(db, cipher, clock(), limit)
    return run(db, cipher, settings, clock, jobs, on_outage=on_outage, fetch=fetch)

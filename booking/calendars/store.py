"""The calendar cache in the database, and whose calendar can be trusted now.

Trust rules (``settings`` are the ``CALENDAR_*`` ones):

* A calendar is *readable* when its last reading succeeded and is younger than
  ``CALENDAR_STALE_MINUTES``. Its cached busy intervals then block slots like bookings
  do, with the same buffer on both sides (a consultant leaving a hearing needs the same
  gap as after a consultation), but they do not count against the daily limit.
* An unreadable calendar (the last reading failed, none succeeded yet, or the cache is
  stale because refreshes stopped) withholds the consultant's slots, or, with
  ``CALENDAR_UNREADABLE=offer``, offers them against the last busy times read.
* At confirmation a consultant with a calendar is bookable only if it was read within
  ``CALENDAR_CONFIRM_MAX_AGE_SECONDS`` (the chat reads it just before the turn), or it is
  unreadable and the setting says offer (their slots were offered regardless).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from booking.availability import Busy
from booking.calendars.models import KINDS, CalendarBusy, ConsultantCalendar
from booking.calendars.sources import CalendarSource, host_label
from plumbing.crypto import Cipher
from plumbing.settings import Settings

#: Busy intervals this far back are kept (the daily limit looks back as far).
LOOKBACK = timedelta(days=2)
#: Read this far past the booking horizon (a slot near the horizon and its buffer).
HORIZON_MARGIN = timedelta(days=1)


def read_window(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """The stretch of time a reading covers: a little before now to past the horizon."""
    return now - LOOKBACK, now + timedelta(days=settings.booking_horizon_days) + HORIZON_MARGIN


# --- configuration --------------------------------------------------------------------


def calendar_of(session: Session, consultant_id: int) -> ConsultantCalendar | None:
    return session.exec(select(ConsultantCalendar).where(
        ConsultantCalendar.consultant_id == consultant_id)).first()


def source_of(cipher: Cipher, row: ConsultantCalendar) -> CalendarSource:
    """The decrypted source (never logged)."""
    return CalendarSource.from_dict(cipher.decrypt_json(row.config_enc))


def save_source(session: Session, cipher: Cipher, consultant_id: int,
                source: CalendarSource | None, now: datetime) -> ConsultantCalendar | None:
    """Set, replace or (``None``) remove a consultant's calendar; a new source is read on
    the worker's next round, and until then counts as unreadable."""
    row = calendar_of(session, consultant_id)
    session.exec(delete(CalendarBusy).where(  # type: ignore[call-overload]
        col(CalendarBusy.consultant_id) == consultant_id))
    if source is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if source.kind not in KINDS:
        raise ValueError(f"unknown calendar kind {source.kind!r}")
    row = row or ConsultantCalendar(consultant_id=consultant_id, kind=source.kind, label="",
                                    config_enc="", created_at=now, next_refresh_at=now)
    row.kind, row.label = source.kind, host_label(source.url)
    row.config_enc = cipher.encrypt_json(source.to_dict())
    row.next_refresh_at, row.claimed_until = now, None
    row.last_attempt_at = row.last_success_at = row.fetched_at = row.failing_since = None
    row.last_error, row.busy_count = None, 0
    session.add(row)
    session.flush()
    return row


# --- results of a reading -------------------------------------------------------------


def store_success(session: Session, row: ConsultantCalendar,
                  intervals: Iterable[tuple[datetime, datetime]], fetched_at: datetime,
                  now: datetime, refresh: timedelta) -> None:
    """Replace the consultant's cached busy intervals with a reading made at ``fetched_at``."""
    session.exec(delete(CalendarBusy).where(  # type: ignore[call-overload]
        col(CalendarBusy.consultant_id) == row.consultant_id))
    spans = list(intervals)
    session.add_all(CalendarBusy(consultant_id=row.consultant_id, start=start, end=end)
                    for start, end in spans)
    row.fetched_at = row.last_success_at = fetched_at
    row.last_attempt_at = now
    row.failing_since, row.last_error = None, None
    row.busy_count = len(spans)
    row.next_refresh_at = now + refresh
    session.add(row)
    session.flush()


def store_failure(session: Session, row: ConsultantCalendar, reason: str, now: datetime,
                  retry: timedelta) -> bool:
    """Record a failed reading; True when it starts an outage (staff are to be told)."""
    starts = row.failing_since is None
    row.failing_since = row.failing_since or now
    row.last_attempt_at = now
    row.last_error = reason[:300]
    row.next_refresh_at = now + retry
    session.add(row)
    session.flush()
    return starts


# --- trust ----------------------------------------------------------------------------


def readable(row: ConsultantCalendar, settings: Settings, now: datetime) -> bool:
    """Its last reading succeeded and is not stale."""
    return row.failing_since is None and row.fetched_at is not None and \
        row.fetched_at >= now - timedelta(minutes=settings.calendar_stale_minutes)


def offer_when_unreadable(settings: Settings) -> bool:
    return settings.calendar_unreadable == "offer"


def calendars(session: Session, consultant_ids: Sequence[int]) -> dict[int, ConsultantCalendar]:
    """The calendars of these consultants, by consultant id."""
    if not consultant_ids:
        return {}
    rows = session.exec(select(ConsultantCalendar).where(
        col(ConsultantCalendar.consultant_id).in_(list(consultant_ids)))).all()
    return {row.consultant_id: row for row in rows}


def withheld(session: Session, settings: Settings, now: datetime,
             consultant_ids: Sequence[int]) -> set[int]:
    """The consultants whose slots are not offered now because their calendar is unreadable."""
    if offer_when_unreadable(settings):
        return set()
    return {cid for cid, row in calendars(session, consultant_ids).items()
            if not readable(row, settings, now)}


def confirmable(session: Session, settings: Settings, now: datetime,
                consultant_ids: Sequence[int]) -> list[int]:
    """``consultant_ids`` (order kept) that may be booked now: no calendar, a calendar read
    within the confirmation age, or an unreadable one when the setting says offer."""
    rows = calendars(session, consultant_ids)
    fresh_after = now - timedelta(seconds=settings.calendar_confirm_max_age_seconds)
    kept = []
    for cid in consultant_ids:
        row = rows.get(cid)
        if row is None or (row.failing_since is None and row.fetched_at is not None
                           and row.fetched_at >= fresh_after) or \
                (offer_when_unreadable(settings) and not readable(row, settings, now)):
            kept.append(cid)
    return kept


def busy(session: Session, now: datetime, consultant_ids: Sequence[int] | None = None
         ) -> list[Busy]:
    """Cached busy intervals that have not ended long ago, as :class:`Busy` not counted
    against the daily limit."""
    query = select(CalendarBusy.consultant_id, CalendarBusy.start, CalendarBusy.end).where(
        col(CalendarBusy.end) > now - LOOKBACK)
    if consultant_ids is not None:
        query = query.where(col(CalendarBusy.consultant_id).in_(list(consultant_ids)))
    return [Busy(cid, start, end, counts=False) for cid, start, end in session.exec(query)]

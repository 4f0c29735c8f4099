"""How long personal data is kept, and the daily purge that erases what is past it.

A person's case details and transcript are kept ``RETENTION_DAYS`` after their last
consultation or last message, whichever is later; people who never booked,
``RETENTION_DAYS_NOT_BOOKED`` after their last message. Nobody with a consultation still
ahead is purged. Purging is the same erasure as "delete my data" (:mod:`bot.erasure`);
each run is recorded (when, how many) in ``purge_run``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, func
from sqlmodel import Field, Session, SQLModel, col, select

from booking.models import Booking, BookingStatus
from bot.erasure import RETENTION, Erasing, erase
from bot.models import Conversation
from plumbing.db import UTCDateTime
from plumbing.runtime import Runtime
from plumbing.settings import Settings

log = logging.getLogger(__name__)


class PurgeRun(SQLModel, table=True):
    """One run of the purge: when, and how many people's data it erased."""

    __tablename__ = "purge_run"

    id: int | None = Field(default=None, primary_key=True)
    ran_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    conversations: int = Field(default=0)


@dataclass(frozen=True)
class Due:
    """A person whose data is (or will be) purged at ``purge_at``; no content."""

    conversation_id: int
    channel: str
    booked: bool
    purge_at: datetime


def purge_time(settings: Settings, conversation: Conversation,
               last_booking_end: datetime | None, *, upcoming: bool) -> datetime | None:
    """When this person's data goes: None while a consultation is ahead or nothing is left."""
    last_message = conversation.last_inbound_at or conversation.created_at
    if upcoming or (conversation.erased_at is not None
                    and last_message <= conversation.erased_at):
        return None
    if last_booking_end is None:
        return last_message + timedelta(days=settings.retention_days_not_booked)
    return max(last_message, last_booking_end) + timedelta(days=settings.retention_days)


def schedule(session: Session, settings: Settings, now: datetime,
             conversation_ids: list[int] | None = None) -> dict[int, Due]:
    """When each person's data will be purged (those with something left to purge)."""
    query = select(Conversation)
    ends = select(Booking.conversation_id, func.max(Booking.end)).group_by(
        col(Booking.conversation_id))
    ahead = select(Booking.conversation_id).where(Booking.status == BookingStatus.CONFIRMED,
                                                  col(Booking.end) > now)
    if conversation_ids is not None:
        query = query.where(col(Conversation.id).in_(conversation_ids))
        ends = ends.where(col(Booking.conversation_id).in_(conversation_ids))
    last_end = dict(session.exec(ends).all())  # type: ignore[arg-type]
    upcoming = set(session.exec(ahead).all())
    found = {}
    for conversation in session.exec(query):
        assert conversation.id is not None
        at = purge_time(settings, conversation, last_end.get(conversation.id),
                        upcoming=conversation.id in upcoming)
        if at is not None:
            found[conversation.id] = Due(conversation.id, conversation.channel,
                                         conversation.id in last_end, at)
    return found


def due_now(session: Session, settings: Settings, now: datetime) -> list[Due]:
    """Everyone whose data is past its retention, oldest first."""
    return sorted((d for d in schedule(session, settings, now).values() if d.purge_at <= now),
                  key=lambda d: (d.purge_at, d.conversation_id))


def purge(runtime: Runtime, *, dry_run: bool = False) -> list[Due]:
    """Erase everyone past retention (each in a transaction of its own, re-checked under
    the person's lock) and record the run; with ``dry_run`` only say who would go."""
    now = runtime.clock()
    with runtime.db.transaction() as session:
        candidates = due_now(session, runtime.settings, now)
    if dry_run:
        return candidates
    purged = []
    for candidate in candidates:
        with runtime.db.transaction() as session:
            conversation = session.exec(select(Conversation).where(
                Conversation.id == candidate.conversation_id).with_for_update()).one()
            again = schedule(session, runtime.settings, now, [candidate.conversation_id])
            if candidate.conversation_id not in again or \
                    again[candidate.conversation_id].purge_at > now:
                continue  # wrote or booked meanwhile
            erase(Erasing(runtime, session, conversation, now), reason=RETENTION)
            purged.append(candidate)
    with runtime.db.transaction() as session:
        session.add(PurgeRun(ran_at=now, conversations=len(purged)))
    log.info("purge: %d people's data erased after retention", len(purged))
    return purged


def last_run(session: Session) -> PurgeRun | None:
    """The latest recorded purge."""
    return session.exec(select(PurgeRun).order_by(col(PurgeRun.ran_at).desc())).first()


def run_daily(runtime: Runtime) -> int:
    """The worker's job: purge once a day (the first round a day after the last run)."""
    with runtime.db.transaction() as session:
        last = last_run(session)
    if last is not None and runtime.clock() - last.ran_at < timedelta(days=1):
        return 0
    return len(purge(runtime))

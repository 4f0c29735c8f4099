"""Consultants' calendars seen from the chat and the worker: the fresh reading before a
confirmation, the periodic refresh, copies of bookings written back, and staff alerts
when a calendar cannot be read.

No remote call happens inside a chat turn's transaction. Before the engine opens the
turn's transaction, :func:`before_turn` looks (in a short read of its own) whether the
person holds a time; if so, the held consultant's calendar is read again when the cached
reading is older than ``CALENDAR_CONFIRM_MAX_AGE_SECONDS``, with no transaction open. The
turn's confirmation then checks the slot against that reading under the consultants'
locks (:func:`booking.service.book` books only consultants whose calendar is that fresh).
Reading before every turn of a person holding a time, not only the "Confirm" one, costs a
request at most once a minute and keeps the engine ignorant of which answer confirms.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from booking.calendars import refresh, writeback
from booking.calendars.models import ConsultantCalendar
from booking.models import Consultant, SlotHold
from bot.identifiers import user_keys
from bot.messages import Inbound
from bot.models import Conversation
from bot.notices.staff_alerts import alert_calendar
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)


def calendar_unreadable(runtime: Runtime, session: Session, row: ConsultantCalendar) -> None:
    """A calendar's reading failed for the first time in a while: alert staff."""
    consultant = session.get(Consultant, row.consultant_id)
    alert_calendar(session, runtime, consultant_id=row.consultant_id,
                   name=consultant.name if consultant else f"consultant {row.consultant_id}",
                   since=row.failing_since or runtime.clock(),
                   reason=row.last_error or "unknown", now=runtime.clock())


def stale_held(runtime: Runtime, inbound: Inbound) -> list[int]:
    """The consultants of the person's live holds whose calendar was not read within
    ``CALENDAR_CONFIRM_MAX_AGE_SECONDS`` (one short read, nothing locked)."""
    now = runtime.clock()
    fresh_after = now - timedelta(seconds=runtime.settings.calendar_confirm_max_age_seconds)
    with runtime.db.read() as connection:  # not a transaction: no write lock on SQLite
        return list(connection.execute(
            select(SlotHold.consultant_id)
            .join(Conversation, col(Conversation.id) == col(SlotHold.conversation_id))
            .join(ConsultantCalendar,
                  col(ConsultantCalendar.consultant_id) == col(SlotHold.consultant_id))
            .where(Conversation.channel == inbound.channel,
                   col(Conversation.user_key).in_(
                       user_keys(runtime.cipher, inbound.channel, inbound.user_id)),
                   col(SlotHold.expires_at) > now,
                   or_(col(ConsultantCalendar.fetched_at).is_(None),
                       col(ConsultantCalendar.fetched_at) < fresh_after))
        ).scalars().all())


def before_turn(runtime: Runtime, inbound: Inbound) -> None:
    """Read the held consultant's calendar again if the cache is older than allowed at
    confirmation. Never raises: a failed reading is stored (the slot then is not booked
    with that consultant, unless ``CALENDAR_UNREADABLE=offer``) and staff are alerted."""
    try:
        stale = stale_held(runtime, inbound)
        if stale:
            refresh.run(runtime.db, runtime.cipher, runtime.settings, runtime.clock,
                        refresh.jobs_for(runtime.db, runtime.cipher, stale),
                        on_outage=_alerter(runtime))
    except Exception:
        log.exception("reading calendars before a turn failed; the turn goes on")


def _alerter(runtime: Runtime) -> refresh.OnOutage:
    return lambda session, row: calendar_unreadable(runtime, session, row)


def run_calendar_jobs(runtime: Runtime, *, limit: int = 20) -> int:
    """The worker's round: read the calendars that are due, then (with
    ``CALENDAR_WRITE_BACK``) copy, move or remove bookings in CalDAV calendars."""
    done = refresh.refresh_due(runtime.db, runtime.cipher, runtime.settings, runtime.clock,
                               on_outage=_alerter(runtime))
    if runtime.settings.calendar_write_back:
        done += writeback.sync_copies(runtime.db, runtime.cipher, runtime.settings,
                                      runtime.clock, company=runtime.settings.company_name,
                                      limit=limit)
    return done

"""Consultants, their weekly hours and dated exceptions, edited by staff.

The bot computes free slots from these tables on every question, so a change here is
offered (or withdrawn) at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from booking import service
from booking.availability import Slot, WeeklyWindow
from booking.calendars import store as calendar_store
from booking.calendars.models import CALDAV, KINDS, ConsultantCalendar
from booking.calendars.sources import CalendarSource
from booking.models import Booking, BookingStatus, Consultant, DateOverride, WeeklyHours
from booking.weekly_hours import format_weekly_hours, parse_weekly_hours
from dashboard import times
from dashboard.accounts import AccountError, normalise_email
from plumbing.crypto import Cipher
from plumbing.settings import Settings


class AvailabilityError(ValueError):
    """A value staff typed cannot be used; the message says which and why."""


@dataclass(frozen=True)
class ConsultantHours:
    """A consultant with their hours as text, their coming exceptions, upcoming load and
    own calendar (if connected)."""

    consultant: Consultant
    weekly: str
    overrides: list[DateOverride]
    upcoming: int
    calendar: ConsultantCalendar | None = None


def weekly_text(session: Session, consultant_id: int) -> str:
    """The consultant's weekly hours in the compact form (``mon-fri 09:00-17:00``)."""
    rows = session.exec(select(WeeklyHours).where(WeeklyHours.consultant_id == consultant_id)).all()
    return _hours_text([WeeklyWindow(r.weekday, r.start_time, r.end_time) for r in rows])


def _hours_text(windows: list[WeeklyWindow]) -> str:
    """Empty for a consultant with no weekly hours (only dated ones, or none yet)."""
    return format_weekly_hours(windows) if windows else ""


def overview(session: Session, today: date, now: datetime,
             consultant_id: int | None = None) -> list[ConsultantHours]:
    """Every consultant (or the one asked for) with hours and exceptions from ``today`` on;
    five queries however many there are."""
    query = select(Consultant).order_by(col(Consultant.name))
    if consultant_id is not None:
        query = query.where(Consultant.id == consultant_id)
    people = list(session.exec(query).all())
    ids = [c.id for c in people]
    weekly: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for row in session.exec(select(WeeklyHours).where(col(WeeklyHours.consultant_id).in_(ids))):
        weekly[row.consultant_id].append(WeeklyWindow(row.weekday, row.start_time, row.end_time))
    overrides: dict[int, list[DateOverride]] = defaultdict(list)
    for row in session.exec(select(DateOverride).where(
            col(DateOverride.consultant_id).in_(ids), col(DateOverride.day) >= today)
            .order_by(col(DateOverride.day))):
        overrides[row.consultant_id].append(row)
    upcoming = dict(session.exec(
        select(Booking.consultant_id, func.count()).where(
            col(Booking.consultant_id).in_(ids), Booking.status == BookingStatus.CONFIRMED,
            col(Booking.end) > now).group_by(col(Booking.consultant_id))).all())
    calendars = calendar_store.calendars(session, [i for i in ids if i is not None])
    return [ConsultantHours(c, _hours_text(weekly[c.id]), overrides[c.id],
                            upcoming.get(c.id, 0), calendars.get(c.id))
            for c in people if c.id is not None]


def _checked(name: str, email: str, timezone: str, weekly: str) -> tuple[str, str, str, tuple]:
    name = " ".join(name.split())
    if not name:
        raise AvailabilityError("Name: enter the consultant's name.")
    try:
        email = normalise_email(email)
    except AccountError as exc:
        raise AvailabilityError(f"E-mail: {exc}") from exc
    timezone = timezone.strip()
    if not times.is_zone(timezone):
        raise AvailabilityError(f"Time zone: unknown zone {timezone!r}; use a name such as "
                                "Europe/London.")
    try:
        windows = parse_weekly_hours(weekly) if weekly.strip() else ()
    except ValueError as exc:
        raise AvailabilityError(f"Weekly hours: {exc}") from exc
    return name, email, timezone, windows


def save_consultant(session: Session, consultant_id: int | None, *, name: str, email: str,
                    timezone: str, weekly: str, active: bool, now: datetime) -> Consultant:
    """Create or update a consultant; their weekly hours are replaced by ``weekly``."""
    name, email, timezone, windows = _checked(name, email, timezone, weekly)
    if consultant_id is None:
        consultant = Consultant(name=name, email=email, timezone=timezone, active=active,
                                created_at=now)
    else:
        service.lock_consultants(session)
        found = session.get(Consultant, consultant_id)
        if found is None:
            raise AvailabilityError("There is no such consultant.")
        consultant = found
        consultant.name, consultant.email = name, email
        consultant.timezone, consultant.active = timezone, active
    session.add(consultant)
    session.flush()
    session.exec(delete(WeeklyHours).where(col(WeeklyHours.consultant_id) == consultant.id))  # type: ignore[call-overload]
    for window in windows:
        session.add(WeeklyHours(consultant_id=consultant.id, weekday=window.weekday,
                                start_time=window.start, end_time=window.end))
    session.flush()
    return consultant


def save_date(session: Session, consultant_id: int, day: date, hours: str,
              note: str) -> DateOverride:
    """Set the hours of one date (empty: a day off), replacing an earlier entry for it."""
    if session.get(Consultant, consultant_id) is None:
        raise AvailabilityError("There is no such consultant.")
    hours = hours.strip()
    try:
        service.override_windows(hours)
    except ValueError as exc:
        raise AvailabilityError(f"Hours: {exc}") from exc
    row = session.exec(select(DateOverride).where(DateOverride.consultant_id == consultant_id,
                                                  DateOverride.day == day)).first()
    row = row or DateOverride(consultant_id=consultant_id, day=day)
    row.hours, row.note = hours, (note.strip() or None)
    session.add(row)
    session.flush()
    return row


def remove_date(session: Session, consultant_id: int, override_id: int) -> None:
    """Drop one dated exception: the weekly hours apply again that day."""
    row = session.get(DateOverride, override_id)
    if row is not None and row.consultant_id == consultant_id:
        session.delete(row)


def offered_slots(session: Session, settings: Settings, now: datetime, days: int,
                  zone_name: str) -> dict[date, list[Slot]]:
    """The slots the bot would offer now over the next ``days``, by day in ``zone_name``."""
    slots = service.find_free_slots(session, settings, now, end=now + timedelta(days=days))
    by_day: dict[date, list[Slot]] = defaultdict(list)
    zone = times.zone(zone_name)
    for slot in slots:
        by_day[slot.start.astimezone(zone).date()].append(slot)
    return dict(by_day)


@dataclass(frozen=True)
class OfferedDays:
    """Consecutive days offering the same local start times, as staff read them."""

    first: date
    last: date
    starts: str

    @property
    def days(self) -> str:
        """``Tue 03 Mar`` or ``Tue 03 Mar – Fri 06 Mar``."""
        first = self.first.strftime("%a %d %b")
        return first if self.first == self.last else f"{first} – {self.last.strftime('%a %d %b')}"


def start_ranges(starts: list[datetime]) -> str:
    """Local start times as runs of one step: ``09:00–11:40 every 40 min, 14:00``."""
    parts: list[str] = []
    index = 0
    while index < len(starts):
        end = index
        step = starts[index + 1] - starts[index] if index + 1 < len(starts) else None
        while end + 1 < len(starts) and starts[end + 1] - starts[end] == step:
            end += 1
        if end - index >= 2 and step is not None:  # three or more evenly spaced: a range
            minutes = int(step.total_seconds() // 60)
            parts.append(f"{starts[index]:%H:%M}–{starts[end]:%H:%M} every {minutes} min")
            index = end + 1
        else:
            parts.append(f"{starts[index]:%H:%M}")
            index += 1
    return ", ".join(parts)


def offered_summary(by_day: dict[date, list[Slot]], zone_name: str) -> list[OfferedDays]:
    """The offered slots, each day's starts as ranges, neighbouring days with the same
    starts merged; times in ``zone_name`` (named once by the page, not on every time)."""
    zone = times.zone(zone_name)
    summary: list[OfferedDays] = []
    for day in sorted(by_day):
        starts = start_ranges([s.start.astimezone(zone).replace(tzinfo=None)
                               for s in sorted(by_day[day], key=lambda s: s.start)])
        previous = summary[-1] if summary else None
        if previous and previous.starts == starts and (day - previous.last).days == 1:
            summary[-1] = OfferedDays(previous.first, day, starts)
        else:
            summary.append(OfferedDays(day, day, starts))
    return summary


def save_calendar(session: Session, cipher: Cipher, consultant_id: int, *, kind: str, url: str,
                  username: str, password: str, now: datetime) -> ConsultantCalendar:
    """Connect (or re-point) a consultant's calendar; the address and password are stored
    encrypted and read by the worker within seconds."""
    if session.get(Consultant, consultant_id) is None:
        raise AvailabilityError("There is no such consultant.")
    url, username = url.strip(), username.strip()
    if kind not in KINDS:
        raise AvailabilityError("Kind: choose CalDAV or an iCalendar feed.")
    schemes = ("https://", "http://") + (() if kind == CALDAV else ("webcal://",))
    if not url.lower().startswith(schemes) or " " in url:
        raise AvailabilityError("Address: enter the full address, starting with https://"
                                + ("" if kind == CALDAV else " (or webcal://)") + ".")
    if kind == CALDAV and not (username and password):
        raise AvailabilityError("CalDAV needs the user and an app password (enter the "
                                "password again to change the calendar).")
    source = CalendarSource(kind, url, username if kind == CALDAV else "",
                            password if kind == CALDAV else "")
    service.lock_consultants(session)
    row = calendar_store.save_source(session, cipher, consultant_id, source, now)
    assert row is not None
    return row


def remove_calendar(session: Session, cipher: Cipher, consultant_id: int, now: datetime) -> None:
    """Disconnect the consultant's calendar: its busy times no longer count."""
    service.lock_consultants(session)
    calendar_store.save_source(session, cipher, consultant_id, None, now)


def calendar_state(row: ConsultantCalendar | None, settings: Settings, now: datetime) -> str:
    """``ok``, ``waiting`` (not read yet), ``failing`` or ``stale``, for the page's wording."""
    if row is None:
        return "none"
    if row.failing_since is not None:
        return "failing"
    if row.fetched_at is None:
        return "waiting"
    return "ok" if calendar_store.readable(row, settings, now) else "stale"

"""Bookings as CSV (with case details, for staff) and as a private calendar feed."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from booking.ics import CalendarEvent, calendar_feed
from booking.models import Booking, BookingStatus, Consultant
from dashboard import times
from dashboard.bookings import BookingView

CSV_COLUMNS = (
    "booking_id", "status", "start_utc", "start_staff_time", "applicant_timezone",
    "start_applicant_time", "minutes", "consultant", "channel", "language", "name", "role",
    "origin", "asylum_country", "stage", "represented", "firm", "deadline", "email",
    "description", "join_url", "meeting_status", "booked_at_utc", "cancelled_at_utc",
)
#: Cells starting like a formula are prefixed so spreadsheets show them as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FEED_HISTORY = timedelta(days=90)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def bookings_csv(rows: list[BookingView], zone_name: str) -> str:
    """The rows as CSV, one line per booking, times in UTC and both people's zones."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for view in rows:
        b, case = view.booking, view.case
        writer.writerow([_cell(v) for v in (
            b.id, b.status, b.start.isoformat(), times.when(b.start, zone_name),
            b.applicant_timezone, times.when(b.start, b.applicant_timezone), b.duration_minutes,
            view.consultant.name if view.consultant else "", b.channel, b.language, view.name,
            case.role, case.origin, case.asylum_country, case.stage, case.represented,
            case.firm, case.deadline, case.email, case.description,
            b.join_url or "", b.meeting_status, b.created_at.isoformat(),
            b.cancelled_at.isoformat() if b.cancelled_at else "",
        )])
    return out.getvalue()


def feed(session: Session, now: datetime, *, page_url: str, company: str) -> bytes:
    """Every booking from ``FEED_HISTORY`` ago on as one calendar; cancelled ones marked so.

    Calendar services store what they fetch, so events carry no case details and no
    name: the summary names the channel, the description links to the dashboard page.
    ``page_url`` has ``{id}`` where the booking id goes.
    """
    consultants = {c.id: c for c in session.exec(select(Consultant)).all()}
    events = []
    for b in session.exec(
        select(Booking).where(col(Booking.start) >= now - FEED_HISTORY,
                              # a moved booking's successor has the UID
                              col(Booking.status) != BookingStatus.RESCHEDULED)
        .order_by(col(Booking.start))
    ).all():
        consultant = consultants.get(b.consultant_id)
        who = f" with {consultant.name}" if consultant else ""
        events.append(CalendarEvent(
            uid=b.ics_uid, start=b.start, duration_minutes=b.duration_minutes,
            summary=f"Consultation #{b.id} ({b.channel}){who}",
            description=f"Details (sign-in needed): {page_url.format(id=b.id)}",
            join_url=b.join_url, organizer_email=consultant.email if consultant else None,
            stamp=b.cancelled_at or b.created_at, sequence=b.ics_sequence,
            cancelled=b.status == BookingStatus.CANCELLED,
        ))
    return calendar_feed(events, name=f"{company} consultations")

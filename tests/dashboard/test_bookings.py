"""The bookings list, a booking's page, cancelling, outcomes and private notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlmodel import select

from booking.models import Booking, BookingStatus, Consultant
from bot.messages import Document, Text, reply_from_dict
from consultbot.runtime import Runtime
from dashboard.availability import save_consultant
from dashboard.models import BookingNote
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, OutboxStatus, enqueue
from tests.dashboard.helpers import booking, post_form, sign_in, token_from

TUESDAY_9 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
WEDNESDAY_10 = datetime(2026, 3, 4, 10, 20, tzinfo=UTC)


def test_upcoming_bookings_show_each_column(runtime: Runtime, staff: FlaskClient) -> None:
    booking(runtime, "anna", start=TUESDAY_9, applicant_timezone="Asia/Tbilisi")
    page = staff.get("/staff/bookings").text
    assert "Anna Petrova" in page
    assert "Tue 3 Mar 2026, 09:00 GMT" in page  # the staff member's zone
    assert "Tue 3 Mar 2026, 13:00" in page  # the applicant's (Tbilisi, UTC+4)
    assert "Russia (RU)" in page
    assert "Applied, waiting" in page
    assert "Consultant" in page  # the default consultant's name
    assert "console" in page
    assert "confirmed" in page


def test_staff_zone_can_be_their_own(runtime: Runtime, staff: FlaskClient) -> None:
    booking(runtime, "anna", start=TUESDAY_9)
    post_form(staff, "/staff/account", "/staff/account/timezone",
              {"timezone": "America/New_York"})
    assert "Tue 3 Mar 2026, 04:00" in staff.get("/staff/bookings").text
    refused = post_form(staff, "/staff/account", "/staff/account/timezone",
                        {"timezone": "Mars/Olympus"})
    assert "Unknown time zone" in staff.get(refused.headers["Location"]).text


def test_tabs_split_upcoming_past_and_cancelled(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    booking(runtime, "past", start=TUESDAY_9, name="Pavel Past")
    booking(runtime, "next", start=WEDNESDAY_10, name="Nora Next")
    gone = booking(runtime, "gone", start=datetime(2026, 3, 5, 11, 0, tzinfo=UTC),
                   name="Carl Cancel")
    with runtime.db.transaction() as session:
        from booking import service
        service.cancel(session, gone.id, clock(), by="applicant")  # type: ignore[arg-type]
    clock.set(datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    sign_in(staff)  # the session from a day earlier has ended
    upcoming = staff.get("/staff/bookings").text
    past = staff.get("/staff/bookings?tab=past").text
    cancelled = staff.get("/staff/bookings?tab=cancelled").text
    assert "Nora Next" in upcoming and "Pavel Past" not in upcoming
    assert "Carl Cancel" not in upcoming
    assert "Pavel Past" in past and "Nora Next" not in past
    assert "Carl Cancel" in cancelled and "Nora Next" not in cancelled


def test_filters_and_name_search(runtime: Runtime, staff: FlaskClient) -> None:
    booking(runtime, "anna", start=TUESDAY_9, name="Anna Petrova", origin="RU")
    booking(runtime, "omar", start=WEDNESDAY_10, name="Omar Haddad", origin="SY",
            channel="whatsapp")
    with runtime.db.transaction() as session:
        consultant_id = session.exec(select(Consultant.id)).one()

    def names(query: str) -> set[str]:
        page = staff.get(f"/staff/bookings?{query}").text
        return {n for n in ("Anna Petrova", "Omar Haddad") if f">{n}</a>" in page}

    assert names("") == {"Anna Petrova", "Omar Haddad"}
    assert names("q=haddad") == {"Omar Haddad"}
    assert names("q=  anna   PETROVA ") == {"Anna Petrova"}
    assert names("country=SY") == {"Omar Haddad"}
    assert names("channel=console") == {"Anna Petrova"}
    assert names("date=2026-03-04") == {"Omar Haddad"}
    assert names(f"consultant={consultant_id}") == {"Anna Petrova", "Omar Haddad"}
    assert names(f"consultant={consultant_id + 1}") == set()
    assert names("date=not-a-date") == {"Anna Petrova", "Omar Haddad"}  # ignored
    page = staff.get("/staff/bookings").text
    assert '<option value="SY" >Syria</option>' in page.replace("Syria (SY)", "Syria")


def test_date_filter_uses_the_staff_member_s_day(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    # 23:00 UTC on Tuesday 3 March is 02:00 on Wednesday 4 March in Moscow.
    with runtime.db.transaction() as session:
        consultant = session.exec(select(Consultant)).one()
        save_consultant(session, consultant.id, name=consultant.name, email=consultant.email,
                        timezone="UTC", weekly="tue 23:00-23:59", active=True, now=clock())
    booking(runtime, "night", start=datetime(2026, 3, 3, 23, 0, tzinfo=UTC), name="Nina Night")
    post_form(staff, "/staff/account", "/staff/account/timezone", {"timezone": "Europe/Moscow"})
    assert "Nina Night" in staff.get("/staff/bookings?date=2026-03-04").text
    assert "Nina Night" not in staff.get("/staff/bookings?date=2026-03-03").text


def test_booking_page_shows_case_details_and_transcript(
        runtime: Runtime, staff: FlaskClient) -> None:
    made = booking(runtime, "anna", start=TUESDAY_9)
    page = staff.get(f"/staff/bookings/{made.id}").text
    for shown in ("Anna Petrova", "Russia (RU)", "United Kingdom (GB)", "Applied, waiting",
                  "Smith &amp; Partners LLP", "2026-06-15", "Persecuted for political views",
                  "anna@example.com", "bot answer to hello"):
        assert shown in page, shown
    assert staff.get("/staff/bookings/999").status_code == 404


def test_cancel_tells_the_applicant_in_their_language_once(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    made = booking(runtime, "ivan", start=TUESDAY_9, language="ru",
                   applicant_timezone="Europe/Moscow", name="Иван Петров")
    with runtime.db.transaction() as session:
        enqueue(session, runtime.cipher, key=f"reminder:{made.id}:x:24h", kind="reminder",
                channel="console", recipient="ivan", replies=[], now=clock())
    url = f"/staff/bookings/{made.id}"
    unconfirmed = post_form(staff, url, f"{url}/cancel", {"reason": "consultant ill"})
    assert unconfirmed.status_code == 400
    assert "Tick the box" in unconfirmed.text
    done = post_form(staff, url, f"{url}/cancel", {"reason": "consultant ill", "confirm": "y"})
    assert done.status_code == 302
    again = post_form(staff, url, f"{url}/cancel", {"confirm": "y"})
    assert "cancelled already" in staff.get(again.headers["Location"]).text
    with runtime.db.transaction() as session:
        cancelled = session.get(Booking, made.id)
        messages = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert cancelled is not None and cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancelled_by == "staff:staff@example.org"
    assert runtime.cipher.decrypt(cancelled.cancel_reason_enc or "") == "consultant ill"
    reminder, notice = messages
    assert reminder.status == "cancelled"
    assert (notice.kind, notice.channel, runtime.cipher.decrypt(notice.recipient_enc or ""),
            notice.status) == \
        ("cancellation", "console", "ivan", OutboxStatus.PENDING)
    text, calendar = (reply_from_dict(r) for r in
                      runtime.cipher.decrypt_json(notice.payload_enc)["replies"])
    assert isinstance(text, Text) and isinstance(calendar, Document)
    assert "отменить вашу бесплатную консультацию" in text.text
    assert "12:00" in text.text  # 09:00 UTC in Moscow
    assert b"METHOD:CANCEL" in (calendar.content or b"")  # takes it out of their calendar
    template = runtime.cipher.decrypt_json(notice.payload_enc)["template"]
    assert template == {"name": "notice",
                        "variables": [text.text, runtime.settings.company_website]}
    page = staff.get(url).text
    assert "Cancellation" in page and "pending" in page


def test_a_consultation_that_is_over_cannot_be_cancelled(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    made = booking(runtime, "anna", start=TUESDAY_9)
    url = f"/staff/bookings/{made.id}"
    assert "Cancel consultation" in staff.get(url).text
    clock.set(TUESDAY_9 + timedelta(hours=1))
    sign_in(staff)
    page = staff.get(url).text
    assert "Cancel consultation" not in page  # the form is gone, and the action refuses too
    response = staff.post(f"{url}/cancel", data={"csrf_token": token_from(page),
                                                  "confirm": "y"})
    assert "record its outcome instead" in staff.get(response.headers["Location"]).text
    with runtime.db.transaction() as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_outcome_only_once_the_consultation_has_started(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    made = booking(runtime, "anna", start=TUESDAY_9)
    url = f"/staff/bookings/{made.id}"
    early = post_form(staff, url, f"{url}/outcome", {"outcome": "completed"})
    assert "has not started yet" in staff.get(early.headers["Location"]).text
    clock.set(TUESDAY_9 + timedelta(minutes=40))
    sign_in(staff)
    page = staff.get(url).text
    assert "No-show" in page and "Cancel consultation" not in page
    post_form(staff, url, f"{url}/outcome", {"outcome": "no_show"})
    with runtime.db.transaction() as session:
        assert session.get(Booking, made.id).status == BookingStatus.NO_SHOW  # type: ignore[union-attr]
    post_form(staff, url, f"{url}/outcome", {"outcome": "completed"})
    with runtime.db.transaction() as session:
        assert session.get(Booking, made.id).status == BookingStatus.COMPLETED  # type: ignore[union-attr]
    assert "Anna Petrova" in staff.get("/staff/bookings?tab=past").text


def test_no_outcome_for_a_cancelled_booking(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    made = booking(runtime, "anna", start=TUESDAY_9)
    url = f"/staff/bookings/{made.id}"
    post_form(staff, url, f"{url}/cancel", {"confirm": "y"})
    clock.set(TUESDAY_9 + timedelta(minutes=40))
    sign_in(staff)
    refused = post_form(staff, url, f"{url}/outcome", {"outcome": "completed"})
    assert "This booking is cancelled." in staff.get(refused.headers["Location"]).text
    with runtime.db.transaction() as session:
        assert session.get(Booking, made.id).status == BookingStatus.CANCELLED  # type: ignore[union-attr]


def test_private_notes_are_encrypted_and_signed(runtime: Runtime, staff: FlaskClient) -> None:
    made = booking(runtime, "anna", start=TUESDAY_9)
    url = f"/staff/bookings/{made.id}"
    post_form(staff, url, f"{url}/notes", {"body": "Needs an interpreter (Russian)."})
    page = staff.get(url).text
    assert "Needs an interpreter (Russian)." in page
    assert "staff@example.org" in page
    with runtime.db.transaction() as session:
        note = session.exec(select(BookingNote)).one()
    assert "interpreter" not in note.body_enc


def test_cancelling_alerts_the_team_without_case_details(
        runtime: Runtime, staff: FlaskClient) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"staff_alert_emails": "team@example.org"})
    made = booking(runtime, "anna", start=TUESDAY_9)
    url = f"/staff/bookings/{made.id}"
    post_form(staff, url, f"{url}/cancel", {"confirm": "y"})
    with runtime.db.transaction() as session:
        alert = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "staff_alert")).one()
    assert (alert.channel, runtime.cipher.decrypt(alert.recipient_enc or "")) == \
        ("email", "team@example.org")
    text = runtime.cipher.decrypt_json(alert.payload_enc)["replies"][0]["text"]
    assert text.startswith("Booking cancelled: Anna,")
    assert f"/staff/bookings/{made.id}" in text and "Petrova" not in text


def test_the_list_asks_the_database_the_same_few_times_for_any_number_of_bookings(
        runtime: Runtime, clock: ManualClock) -> None:
    from sqlalchemy import event

    from dashboard.bookings import Filters, list_bookings

    def statements() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append("")

        event.listen(runtime.db.engine, "before_cursor_execute", count)
        try:
            with runtime.db.transaction() as session:
                listing = list_bookings(session, runtime.cipher, clock(), Filters(), "UTC")
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", count)
        assert {v.name for v in listing.rows} >= {"Anna Petrova"}
        return len(seen)

    booking(runtime, "first", start=TUESDAY_9)
    with runtime.db.transaction() as session:  # one booking whose case is found by person
        first = session.exec(select(Booking)).one()
        first.case_id = None
        session.add(first)
    few = statements()
    for n in range(5):
        booking(runtime, f"more{n}")
    assert statements() == few


def test_a_cancelled_booking_shows_no_join_or_host_links(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    from booking import service

    made = booking(runtime, "zoe", start=WEDNESDAY_10, name="Zoe Zoom")
    with runtime.db.transaction() as session:
        row = session.get(Booking, made.id)
        assert row is not None
        row.join_url, row.start_url = "https://zoom.example/j/1", "https://zoom.example/s/1"
        session.add(row)
    url = f"/staff/bookings/{made.id}"
    assert "Join link" in staff.get(url).text and "Join<" in staff.get("/staff/bookings").text
    with runtime.db.transaction() as session:
        service.cancel(session, made.id, clock(), by="applicant")  # type: ignore[arg-type]
    page, listing = staff.get(url).text, staff.get("/staff/bookings?tab=cancelled").text
    assert "Zoe Zoom" in listing
    for html in (page, listing):
        assert "zoom.example/j/1" not in html and "zoom.example/s/1" not in html

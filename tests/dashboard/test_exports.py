"""Bookings as CSV, and the private calendar feed with a secret URL per staff member."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlmodel import select

from consultbot.runtime import Runtime
from dashboard.models import StaffAccount
from tests.dashboard.helpers import booking, post_form

TUESDAY_9 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_csv_has_one_row_per_booking_with_the_case(runtime: Runtime, staff: FlaskClient) -> None:
    booking(runtime, "anna", start=TUESDAY_9, applicant_timezone="Asia/Tbilisi")
    booking(runtime, "omar", name="Omar Haddad", origin="SY")
    response = staff.get("/staff/exports/bookings.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Anna Petrova", "Omar Haddad"]
    anna = rows[0]
    assert anna["start_utc"] == "2026-03-03T09:00:00+00:00"
    assert anna["start_staff_time"] == "Tue 3 Mar 2026, 09:00 GMT"
    assert anna["start_applicant_time"].startswith("Tue 3 Mar 2026, 13:00")
    assert (anna["origin"], anna["stage"], anna["email"]) == ("RU", "waiting", "anna@example.com")
    only_syria = staff.get("/staff/exports/bookings.csv?country=SY").text
    assert "Omar Haddad" in only_syria and "Anna Petrova" not in only_syria


def test_csv_cells_cannot_run_as_spreadsheet_formulas(
        runtime: Runtime, staff: FlaskClient) -> None:
    booking(runtime, "eve", name="=HYPERLINK(\"http://evil\")", description="+1 call me now")
    rows = list(csv.DictReader(io.StringIO(
        staff.get("/staff/exports/bookings.csv").text.lstrip("\ufeff"))))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["description"] == "'+1 call me now"


def feed_url(staff: FlaskClient) -> str:
    page = post_form(staff, "/staff/account", "/staff/account/calendar", {}).text
    found = re.search(r'value="(http://localhost/staff/calendar/[^"]+\.ics)"', page)
    assert found, "the new link is shown once"
    return found.group(1).removeprefix("http://localhost")


def test_calendar_feed_by_secret_url_without_case_details(
        runtime: Runtime, staff: FlaskClient, client: FlaskClient) -> None:
    booking(runtime, "anna", start=TUESDAY_9)
    url = feed_url(staff)
    anonymous = client.application.test_client()
    feed = anonymous.get(url)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.data.decode()
    assert "BEGIN:VCALENDAR" in body and "DTSTART:20260303T090000Z" in body
    assert "STATUS:CONFIRMED" in body
    assert "/staff/bookings/1" in body
    for secret in ("Anna", "Petrova", "RU", "anna@example.com", "Persecuted"):
        assert secret not in body.replace("\r\n ", ""), secret
    with runtime.db.transaction() as session:
        stored = session.exec(select(StaffAccount)).one().calendar_token_hash
    assert stored and stored not in url  # only a digest is kept


def test_a_new_feed_link_ends_the_old_one(staff: FlaskClient) -> None:
    first = feed_url(staff)
    second = feed_url(staff)
    assert first != second
    assert staff.get(first).status_code == 404
    assert staff.get(second).status_code == 200


def test_cancelled_bookings_stay_in_the_feed_as_cancelled(
        runtime: Runtime, staff: FlaskClient) -> None:
    made = booking(runtime, "anna", start=TUESDAY_9)
    url = f"/staff/bookings/{made.id}"
    post_form(staff, url, f"{url}/cancel", {"confirm": "y"})
    body = staff.get(feed_url(staff)).data.decode()
    assert "STATUS:CANCELLED" in body and "SEQUENCE:1" in body

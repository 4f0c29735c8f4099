"""Availability edited in the dashboard shows at once in the slots the bot offers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlmodel import select

from booking import service
from booking.models import Consultant
from consultbot.runtime import Runtime
from tests.dashboard.helpers import post_form


def offered(runtime: Runtime) -> list[datetime]:
    """The slot starts the bot would offer now."""
    with runtime.db.transaction() as session:
        return [s.start for s in service.find_free_slots(session, runtime.settings,
                                                         runtime.clock())]


def default_consultant(runtime: Runtime) -> Consultant:
    with runtime.db.transaction() as session:
        return session.exec(select(Consultant)).one()


def test_weekly_hours_change_the_offered_slots_at_once(
        runtime: Runtime, staff: FlaskClient) -> None:
    consultant = default_consultant(runtime)
    assert any(s.weekday() == 1 for s in offered(runtime))  # Tuesdays offered at first
    url = f"/staff/availability/consultants/{consultant.id}"
    response = post_form(staff, url, url, {
        "name": consultant.name, "email": consultant.email, "timezone": "Europe/London",
        "weekly_hours": "mon,wed 10:00-12:00", "active": "y"})
    assert response.status_code == 302
    starts = offered(runtime)
    assert starts and {s.weekday() for s in starts} == {0, 2}
    london = ZoneInfo("Europe/London")  # 10:00 local, in GMT and (from 29 March) in BST
    assert {s.astimezone(london).strftime("%H:%M") for s in starts} == {"10:00", "10:40", "11:20"}
    assert "mon,wed 10:00-12:00" in staff.get(url).text


def test_a_day_off_removes_that_day_and_removing_it_brings_it_back(
        runtime: Runtime, staff: FlaskClient) -> None:
    consultant = default_consultant(runtime)
    url = f"/staff/availability/consultants/{consultant.id}"
    wednesday = date(2026, 3, 4)
    assert any(s.date() == wednesday for s in offered(runtime))
    post_form(staff, url, f"{url}/dates", {"day": "2026-03-04", "hours": "", "note": "Leave"})
    assert not any(s.date() == wednesday for s in offered(runtime))
    page = staff.get(url).text
    assert "Day off" in page and "Leave" in page
    post_form(staff, url, f"{url}/dates", {"day": "2026-03-04", "hours": "14:00-15:00"})
    assert [s for s in offered(runtime) if s.date() == wednesday] == \
        [datetime(2026, 3, 4, 14, 0, tzinfo=UTC)]
    override_id = int(page.split(f"{url}/dates/")[1].split("/delete")[0])
    post_form(staff, url, f"{url}/dates/{override_id}/delete", {})
    assert len([s for s in offered(runtime) if s.date() == wednesday]) > 1


def test_availability_page_lists_what_the_bot_offers(
        runtime: Runtime, staff: FlaskClient) -> None:
    page = staff.get("/staff/availability").text
    assert "mon-fri 09:00-17:00" in page  # the default consultant's hours
    # Slots of 30 min with a 10 min buffer, 09:00-17:00: the working week the same,
    # one line, one zone label.
    assert "Tue 03 Mar – Fri 06 Mar</dt><dd>09:00–16:20 every 40 min</dd>" in page
    assert "Start times in Europe/London time." in page
    offered_part = page.split('id="offered-h"')[1].split("</section>")[0]
    assert "GMT" not in offered_part


def test_start_times_collapse_to_ranges_of_one_step() -> None:
    from dashboard.availability import start_ranges

    day = datetime(2026, 3, 4, 9, 0)
    starts = [day + timedelta(minutes=40 * n) for n in range(4)] + [
        day.replace(hour=14), day.replace(hour=15, minute=30)]
    assert start_ranges(starts) == "09:00–11:00 every 40 min, 14:00, 15:30"
    assert start_ranges([day, day.replace(minute=30)]) == "09:00, 09:30"
    assert start_ranges([]) == ""


def test_a_deactivated_consultant_is_not_offered(runtime: Runtime, staff: FlaskClient) -> None:
    consultant = default_consultant(runtime)
    url = f"/staff/availability/consultants/{consultant.id}"
    post_form(staff, url, url, {"name": consultant.name, "email": consultant.email,
                                "timezone": "Europe/London",
                                "weekly_hours": "mon-fri 09:00-17:00"})  # box unticked
    assert offered(runtime) == []


def test_mistakes_are_explained_and_change_nothing(runtime: Runtime, staff: FlaskClient) -> None:
    consultant = default_consultant(runtime)
    before = offered(runtime)
    url = f"/staff/availability/consultants/{consultant.id}"
    bad_hours = post_form(staff, url, url, {
        "name": consultant.name, "email": consultant.email, "timezone": "Europe/London",
        "weekly_hours": "mon 17:00-09:00", "active": "y"})
    assert bad_hours.status_code == 400 and "Weekly hours:" in bad_hours.text
    bad_zone = post_form(staff, url, url, {
        "name": consultant.name, "email": consultant.email, "timezone": "London",
        "weekly_hours": "mon 09:00-17:00", "active": "y"})
    assert "unknown zone" in bad_zone.text
    bad_date = post_form(staff, url, f"{url}/dates", {"day": "2026-03-04", "hours": "soon"})
    assert "Hours:" in staff.get(bad_date.headers["Location"]).text
    assert offered(runtime) == before


def test_a_second_consultant_adds_slots(runtime: Runtime, staff: FlaskClient) -> None:
    response = post_form(staff, "/staff/availability", "/staff/availability/consultants", {
        "new-name": "Dr Maria Ivanova", "new-email": "maria@example.org",
        "new-timezone": "Europe/Berlin", "new-weekly_hours": "sat 10:00-12:00",
        "new-active": "y"})
    assert response.status_code == 302
    saturdays = [s for s in offered(runtime) if s.weekday() == 5]
    # 10:00 in Berlin is 09:00 UTC in winter.
    assert saturdays[0] == datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    assert saturdays[0] + timedelta(days=7) in saturdays
    assert "Dr Maria Ivanova" in staff.get("/staff/availability").text


def test_a_consultant_without_weekly_hours_can_be_shown_and_edited(
        runtime: Runtime, staff: FlaskClient) -> None:
    response = post_form(staff, "/staff/availability", "/staff/availability/consultants", {
        "new-name": "Dr Dates Only", "new-email": "dates@example.org",
        "new-timezone": "Europe/Berlin", "new-weekly_hours": "", "new-active": "y"})
    assert response.status_code == 302
    page = staff.get(response.headers["Location"])
    assert page.status_code == 200 and "Dr Dates Only" in page.text
    listing = staff.get("/staff/availability")
    assert listing.status_code == 200 and "Dr Dates Only" in listing.text


def test_the_availability_page_asks_the_same_few_queries_for_any_number_of_consultants(
        runtime: Runtime, staff: FlaskClient) -> None:
    from sqlalchemy import event

    def statements() -> int:
        seen: list[object] = []

        def count(*args: object) -> None:
            seen.append(args)

        event.listen(runtime.db.engine, "before_cursor_execute", count)
        try:
            assert staff.get("/staff/availability").status_code == 200
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for n in range(4):
        post_form(staff, "/staff/availability", "/staff/availability/consultants", {
            "new-name": f"Dr {n}", "new-email": f"dr{n}@example.org",
            "new-timezone": "Europe/Berlin", "new-weekly_hours": "sat 10:00-12:00",
            "new-active": "y"})
    assert statements() == few

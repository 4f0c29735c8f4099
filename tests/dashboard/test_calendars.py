"""A consultant's own calendar set in the availability page: stored encrypted, its last
reading shown, an unreadable one named, disconnecting it brings the times back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlmodel import select

from booking.calendars.models import ConsultantCalendar
from bot.calendar_checks import run_calendar_jobs
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from tests.booking.calendar_server import feed_server, free_port
from tests.booking.test_calendars import LEAVE
from tests.dashboard.helpers import post_form
from tests.dashboard.test_availability import default_consultant, offered


def stored(runtime: Runtime) -> list[ConsultantCalendar]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(ConsultantCalendar)).all())


def test_a_feed_set_in_the_page_is_read_and_its_busy_day_not_offered(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    consultant = default_consultant(runtime)
    url = f"/staff/availability/consultants/{consultant.id}"
    before = offered(runtime)
    with feed_server(LEAVE) as feed:
        secret = feed.path.split("/")[2]
        response = post_form(staff, url, f"{url}/calendar", {"kind": "ics", "url": feed.url})
        assert response.status_code == 302
        [row] = stored(runtime)
        assert secret not in row.config_enc and row.label == "127.0.0.1"
        assert runtime.cipher.decrypt_json(row.config_enc)["url"] == feed.url
        page = staff.get(url).text
        assert "iCalendar feed at 127.0.0.1" in page and "Waiting for the first reading" in page
        assert secret not in page
        assert offered(runtime) == []  # not read yet: withheld
        assert "not read yet" in staff.get("/staff/availability").text

        clock.advance(timedelta(seconds=5))
        assert run_calendar_jobs(runtime) == 1
    page = staff.get(url).text
    assert "Mon 2 Mar 2026, 09:30 GMT (1 busy time)" in page
    assert "read Mon 2 Mar 2026, 09:30 GMT" in staff.get("/staff/availability").text
    # Leave on 5 March, read in the consultant's zone (London): that day is gone, nothing else.
    leave = (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC))
    assert offered(runtime) == [s for s in before if not leave[0] <= s < leave[1]]
    assert len(offered(runtime)) < len(before)


def test_caldav_needs_a_user_and_password_and_a_real_address(
        runtime: Runtime, staff: FlaskClient) -> None:
    consultant = default_consultant(runtime)
    url = f"/staff/availability/consultants/{consultant.id}"
    answer = post_form(staff, url, f"{url}/calendar", {
        "kind": "caldav", "url": "https://dav.example.org/cal/", "username": "anna"})
    assert answer.status_code == 302
    assert "CalDAV needs the user and an app password" in staff.get(url).text
    post_form(staff, url, f"{url}/calendar", {"kind": "caldav", "url": "dav.example.org",
                                              "username": "anna", "password": "pw"})
    assert "Address: enter the full address, starting with https://" in staff.get(url).text
    assert stored(runtime) == []
    assert offered(runtime)  # nothing changed


def test_an_unreadable_calendar_is_named_and_disconnecting_brings_the_times_back(
        runtime: Runtime, staff: FlaskClient) -> None:
    consultant = default_consultant(runtime)
    url = f"/staff/availability/consultants/{consultant.id}"
    post_form(staff, url, f"{url}/calendar", {
        "kind": "caldav", "url": f"http://127.0.0.1:{free_port()}/dav/anna/work/",
        "username": "anna", "password": "app-secret-9"})
    assert run_calendar_jobs(runtime) == 0
    page = staff.get(url).text
    assert "Cannot be read since Mon 2 Mar 2026, 09:30 GMT: the CalDAV server cannot be " \
        "reached" in page
    assert "Their times are not offered until it can be read." in page
    assert "app-secret-9" not in page and "/dav/anna/work/" not in page
    assert "cannot be read since Mon 2 Mar 2026, 09:30 GMT" in \
        staff.get("/staff/availability").text
    assert offered(runtime) == []

    post_form(staff, url, f"{url}/calendar/delete", {})
    assert stored(runtime) == []
    assert offered(runtime)
    assert "Calendar disconnected" in staff.get(url).text

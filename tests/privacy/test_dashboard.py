"""The dashboard's side of data protection, on SQLite and PostgreSQL: people, export and
erasure behind a confirmation, the audit trail, roles, disabled accounts, passwords."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from booking.models import Booking, BookingStatus
from bot.engine import Bot
from bot.models import InboundMessage
from consultbot.runtime import Runtime
from consultbot.web import create_app
from dashboard import audit
from dashboard.models import AuditEvent
from tests.dashboard.helpers import PASSWORD, add_staff, post_form, sign_in, token_from
from tests.privacy.people import (
    DESCRIPTION,
    EMAIL,
    NAME,
    PHONE,
    STAFF_NOTE,
    STAFF_REPLY,
    Person,
    book_and_get_help,
    found,
    tell_everything,
)

ADDRESS = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}


@pytest.fixture
def rt(any_database_url: str, make_runtime: Callable[..., Runtime]) -> Runtime:
    # WhatsApp configured (nothing is sent to Twilio: the worker here has its own sender),
    # so the dashboard accepts staff replies to the person on it.
    return make_runtime(database_url=any_database_url, cookie_secure=False,
                        staff_alert_emails="team@example.org", twilio_account_sid="AC1",
                        twilio_auth_token="token", twilio_whatsapp_from="whatsapp:+15550001",
                        public_base_url="https://bot.example.org")


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(rt)


@pytest.fixture
def admin(rt: Runtime, app: Flask) -> FlaskClient:
    add_staff(rt, "admin@example.org")  # the first account is an admin
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"  # every request from this address
    assert sign_in(client, "admin@example.org").status_code == 302
    return client


def events(rt: Runtime, action: str) -> list[AuditEvent]:
    with rt.db.transaction() as session:
        return audit.recent(session, action=action)


def conversation_id(rt: Runtime) -> int:
    with rt.db.transaction() as session:
        row = session.exec(select(InboundMessage)).first()
        assert row is not None
        return row.conversation_id


def test_people_lists_who_started_an_intake_booked_or_not(rt: Runtime, admin: FlaskClient) -> None:
    bot = Bot(rt)
    tell_everything(Person(bot))
    Person(bot, "telegram", "31337").say("/start")  # never started an intake
    asking = Person(bot, "telegram", "4242")
    for text in ("/start", "1", "book", "1", "Omar Haddad"):
        asking.say(text)
    page = admin.get("/staff/people").text
    assert NAME in page and "Omar Haddad" in page and "31337" not in page
    assert "Intake" in page and "whatsapp" in page and "telegram" in page
    assert admin.get("/staff/people?q=omar").text.count("Omar Haddad") == 1
    assert NAME not in admin.get("/staff/people?q=omar").text
    assert NAME in admin.get("/staff/people", query_string={"q": EMAIL}).text


def test_export_has_everything_the_person_told_and_is_audited(
        rt: Runtime, admin: FlaskClient) -> None:
    person = Person(Bot(rt))
    tell_everything(person)
    book_and_get_help(rt, person)
    url = f"/staff/people/{conversation_id(rt)}"
    refused = post_form(admin, url, f"{url}/export", {"format": "json"})
    assert refused.status_code == 400 and "Tick the box" in refused.text
    answer = post_form(admin, url, f"{url}/export", {"format": "json", "confirm": "y"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    data = json.loads(answer.text)
    told = [m["person"] for m in data["messages"]]
    assert {NAME, DESCRIPTION, EMAIL, "human", "Confirm"} <= set(told)
    assert data["person"]["platform_id"] == PHONE
    assert data["case_files"][0]["details"]["description"] == DESCRIPTION
    assert any(STAFF_REPLY in (m["text"] or "") for m in data["messages_sent_later"])
    assert data["bookings"][0]["staff_notes"][0]["text"] == STAFF_NOTE
    readable = post_form(admin, url, f"{url}/export", {"format": "page", "confirm": "y"})
    assert readable.mimetype == "text/html" and DESCRIPTION in readable.text
    assert STAFF_NOTE in readable.text
    exports = events(rt, audit.EXPORT)
    assert [e.target for e in exports] == [f"person:{conversation_id(rt)} (page)",
                                           f"person:{conversation_id(rt)} (json)"]
    assert exports[0].actor == "admin@example.org" and exports[0].address == "203.0.113.9"


def test_dashboard_erasure_names_the_consultation_and_erases(
        rt: Runtime, admin: FlaskClient) -> None:
    person = Person(Bot(rt))
    tell_everything(person)
    book_and_get_help(rt, person)
    with rt.db.transaction() as session:
        booked = session.exec(select(Booking)).one()
    url = f"/staff/people/{conversation_id(rt)}"
    page = admin.get(url).text
    assert "will be cancelled and its Zoom meeting deleted" in page
    assert post_form(admin, url, f"{url}/erase", {}).status_code == 400
    assert found(rt)  # nothing happened without the tick
    done = post_form(admin, url, f"{url}/erase", {"confirm": "y"})
    assert done.status_code == 302
    assert found(rt) == []
    after = admin.get(url).text
    assert "at the person&#39;s request" in after and "Erased on" in after
    assert NAME not in admin.get("/staff/people").text
    with rt.db.transaction() as session:
        assert session.get(Booking, booked.id).status == BookingStatus.CANCELLED  # type: ignore[union-attr]
    booking_page = admin.get(f"/staff/bookings/{booked.id}").text
    assert "Erased on" in booking_page and NAME not in booking_page
    assert [e.target for e in events(rt, audit.ERASE)] == [f"person:{conversation_id(rt)}"]
    assert "Which language do you prefer?" in person.say("Hello")  # a fresh start


def test_every_access_is_audited_and_only_admins_read_it(
        rt: Runtime, app: Flask, admin: FlaskClient) -> None:
    person = Person(Bot(rt))
    tell_everything(person)
    book_and_get_help(rt, person)
    with rt.db.transaction() as session:
        booked = session.exec(select(Booking)).one()
    admin.get(f"/staff/bookings/{booked.id}")
    admin.get(f"/staff/people/{conversation_id(rt)}")
    admin.get("/staff/exports/bookings.csv")
    page = admin.get("/staff/waiting").text
    request_id = page.split('id="request-', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token_from(page), f"r{request_id}-text": "We will call you.",
            f"r{request_id}-nonce": "n-2"}
    assert admin.post(f"/staff/waiting/{request_id}/reply", data=form).status_code == 302
    sign_in(app.test_client(), "admin@example.org", "wrong password!", **ADDRESS)
    expected = {audit.VIEW_CASE: f"booking:{booked.id}",
                audit.VIEW_PERSON: f"person:{conversation_id(rt)}",
                audit.STAFF_REPLY: f"request:{request_id}", audit.SIGN_IN: "dashboard",
                audit.SIGN_IN_REFUSED: "dashboard"}
    for action, target in expected.items():
        [event] = events(rt, action)
        assert (event.actor, event.target, event.address) == \
            ("admin@example.org", target, "203.0.113.9"), action
    assert events(rt, audit.EXPORT)[0].target.startswith("bookings.csv")
    trail = admin.get("/staff/audit")
    assert trail.status_code == 200 and f"booking:{booked.id}" in trail.text
    add_staff(rt, "lena@example.org")  # not the first: role staff
    staff = app.test_client()
    assert sign_in(staff, "lena@example.org").status_code == 302
    assert staff.get("/staff/audit").status_code == 403
    assert staff.get("/staff/accounts").status_code == 403
    assert "Audit" not in staff.get("/staff/people").text.split("</nav>")[0]


def test_a_disabled_account_s_open_session_is_refused(
        rt: Runtime, app: Flask, admin: FlaskClient) -> None:
    kate_id = add_staff(rt, "kate@example.org")
    kate = app.test_client()
    assert sign_in(kate, "kate@example.org").status_code == 302
    assert kate.get("/staff/people").status_code == 200
    changed = post_form(admin, "/staff/accounts", f"/staff/accounts/{kate_id}/disable", {})
    assert changed.status_code == 302
    refused = kate.get("/staff/people")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/staff/login")
    again = sign_in(app.test_client(), "kate@example.org")
    assert again.status_code == 403 and "disabled" in again.text
    post_form(admin, "/staff/accounts", f"/staff/accounts/{kate_id}/enable", {})
    assert sign_in(app.test_client(), "kate@example.org").status_code == 302
    post_form(admin, "/staff/accounts", f"/staff/accounts/{kate_id}/remove", {})
    assert sign_in(app.test_client(), "kate@example.org").status_code == 401
    admin.get("/staff/accounts")  # shows the flash once
    assert "kate@example.org" not in admin.get("/staff/accounts").text
    assert "remove: kate@example.org" in admin.get("/staff/audit").text


def test_the_last_admin_cannot_be_disabled_or_demoted(rt: Runtime, admin: FlaskClient) -> None:
    for change in ("role:staff", "disable", "remove"):
        answer = post_form(admin, "/staff/accounts", f"/staff/accounts/1/{change}", {})
        assert answer.status_code == 302
        assert "last active admin" in admin.get("/staff/accounts").text
    assert admin.get("/staff/audit").status_code == 200  # still an admin, still signed in


def test_password_change_in_the_dashboard(rt: Runtime, app: Flask, admin: FlaskClient) -> None:
    other = FlaskClient(app)
    other.set_cookie("session", admin.get_cookie("session").value)  # type: ignore[union-attr]
    wrong = post_form(admin, "/staff/account", "/staff/account/password",
                      {"current": "not it at all", "new": "a brand new password",
                       "repeat": "a brand new password"})
    assert "current password is wrong" in admin.get(wrong.headers["Location"]).text
    short = post_form(admin, "/staff/account", "/staff/account/password",
                      {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert "at least 12 characters" in admin.get(short.headers["Location"]).text
    done = post_form(admin, "/staff/account", "/staff/account/password",
                     {"current": PASSWORD, "new": "a brand new password",
                      "repeat": "a brand new password"})
    assert "Password changed" in admin.get(done.headers["Location"]).text
    assert admin.get("/staff/people").status_code == 200  # this session goes on
    assert other.get("/staff/people").status_code == 302  # a copy of the old one does not
    assert sign_in(app.test_client(), "admin@example.org", "a brand new password").status_code \
        == 302
    assert [e.target for e in events(rt, audit.PASSWORD)] == ["account:1"]

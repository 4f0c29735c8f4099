"""Sign-in: every page needs it, forms need their token, failures are limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from consultbot.runtime import Runtime
from dashboard.accounts import find_account, set_password
from dashboard.blueprint import PUBLIC_ENDPOINTS
from dashboard.models import BookingNote, StaffAccount
from plumbing.clock import ManualClock
from tests.dashboard.helpers import PASSWORD, add_staff, booking, sign_in, token_from


def staff_urls(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every dashboard route, with 1 for each id."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_every_staff_url_refuses_a_visitor_who_is_not_signed_in(
        app: Flask, client: FlaskClient, runtime: Runtime) -> None:
    booking(runtime, "anna")
    urls = staff_urls(app)
    assert len(urls) >= 15  # the list really covers the dashboard
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/staff/login"), (method, url)
        assert b"Anna" not in response.data


def test_public_endpoints_are_only_sign_in_styles_and_the_secret_feed() -> None:
    assert {"staff.login", "staff.static", "staff.calendar_feed"} == PUBLIC_ENDPOINTS


def test_wrong_feed_secret_is_not_found(client: FlaskClient) -> None:
    assert client.get("/staff/calendar/not-a-secret.ics").status_code == 404


def test_sign_in_then_pages_open(runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    response = sign_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/bookings"
    page = client.get("/staff/bookings")
    assert page.status_code == 200
    assert "staff@example.org" in page.text


def test_sign_in_returns_to_the_page_asked_for_but_never_elsewhere(
        runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    login = client.get("/staff/waiting")
    assert login.headers["Location"] == "/staff/login?next=/staff/waiting"
    page = client.get("/staff/login")
    answer = client.post("/staff/login?next=/staff/waiting",
                         data={"csrf_token": token_from(page.text),
                               "email": "staff@example.org", "password": PASSWORD})
    assert answer.headers["Location"] == "/staff/waiting"
    other = FlaskClient(client.application)
    page = other.get("/staff/login")
    answer = other.post("/staff/login?next=//evil.example/staff/",
                        data={"csrf_token": token_from(page.text),
                              "email": "staff@example.org", "password": PASSWORD})
    assert answer.headers["Location"] == "/staff/bookings"


def test_e_mail_is_matched_whatever_its_case(runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime, "Staff@Example.org")
    assert sign_in(client, "STAFF@example.ORG").status_code == 302


def test_wrong_password_is_refused(runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    response = sign_in(client, password="wrong password here")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert client.get("/staff/bookings").status_code == 302


def test_unknown_account_gets_the_same_answer(runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    response = sign_in(client, "nobody@example.org")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
        runtime: Runtime, client: FlaskClient, clock: ManualClock) -> None:
    add_staff(runtime)
    for attempt in range(4):
        assert sign_in(client, password=f"wrong {attempt}").status_code == 401
    fifth = sign_in(client, password="wrong 5")
    assert fifth.status_code == 429
    assert "Too many failed sign-ins" in fifth.text
    # Locked: the right password is refused too, from another address as well.
    assert sign_in(client).status_code == 429
    assert sign_in(client, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 429
    clock.advance(timedelta(minutes=14, seconds=59))
    assert sign_in(client).status_code == 429
    clock.advance(timedelta(seconds=2))
    assert sign_in(client).status_code == 302


def test_one_address_trying_many_accounts_is_locked(
        runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    attacker = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    for number in range(5):
        sign_in(client, f"guess{number}@example.org", **attacker)
    assert sign_in(client, **attacker).status_code == 429  # even the right account
    assert sign_in(client).status_code == 302  # others are not locked out


def test_failures_spread_over_time_do_not_lock(
        runtime: Runtime, client: FlaskClient, clock: ManualClock) -> None:
    add_staff(runtime)
    for attempt in range(8):
        assert sign_in(client, password=f"wrong {attempt}").status_code == 401
        clock.advance(timedelta(minutes=4))
    assert sign_in(client).status_code == 302


def test_success_clears_the_account_count(runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    for attempt in range(4):
        sign_in(client, password=f"wrong {attempt}")
    assert sign_in(client).status_code == 302
    client.post("/staff/logout", data={"csrf_token": token_from(client.get("/staff/account").text)})
    other = {"environ_base": {"REMOTE_ADDR": "10.0.0.2"}}
    for attempt in range(4):
        assert sign_in(client, password=f"again {attempt}", **other).status_code == 401


def test_a_form_without_its_csrf_token_is_refused(runtime: Runtime, staff: FlaskClient) -> None:
    made = booking(runtime, "anna")
    url = f"/staff/bookings/{made.id}/notes"
    refused = staff.post(url, data={"body": "no token"})
    assert refused.status_code == 400
    assert "security token" in refused.text
    wrong = staff.post(url, data={"body": "bad token", "csrf_token": "forged"})
    assert wrong.status_code == 400
    with runtime.db.transaction() as session:
        assert session.exec(select(BookingNote)).all() == []
    page = staff.get(f"/staff/bookings/{made.id}")
    accepted = staff.post(url, data={"body": "with token", "csrf_token": token_from(page.text)})
    assert accepted.status_code == 302
    with runtime.db.transaction() as session:
        assert len(session.exec(select(BookingNote)).all()) == 1


def test_sign_in_form_needs_its_token_too(runtime: Runtime, client: FlaskClient) -> None:
    add_staff(runtime)
    client.get("/staff/login")
    response = client.post("/staff/login", data={"email": "staff@example.org",
                                                 "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/bookings").status_code == 302


def test_other_areas_are_not_made_to_carry_tokens(app: Flask, client: FlaskClient) -> None:
    @app.post("/webhooks/test")
    def hook() -> str:
        return "ok"

    assert client.post("/webhooks/test", data={"x": "1"}).status_code == 200


def test_sign_out_needs_a_post_with_token(staff: FlaskClient) -> None:
    assert staff.get("/staff/logout").status_code == 405
    token = token_from(staff.get("/staff/bookings").text)
    assert staff.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert staff.get("/staff/bookings").status_code == 302


def test_session_ends_after_the_configured_hours(
        staff: FlaskClient, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=11, minutes=59))
    assert staff.get("/staff/bookings").status_code == 200
    clock.advance(timedelta(minutes=2))
    response = staff.get("/staff/bookings")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"


def test_a_password_change_ends_existing_sessions(runtime: Runtime, staff: FlaskClient) -> None:
    with runtime.db.transaction() as session:
        account = find_account(session, "staff@example.org")
        assert account is not None
        set_password(session, account, "another long password")
    assert staff.get("/staff/bookings").status_code == 302


def test_cookies_are_http_only_same_site_and_secure_when_configured(
        runtime: Runtime, client: FlaskClient, app: Flask) -> None:
    add_staff(runtime)
    cookie = sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # COOKIE_SECURE=false in these tests (plain http)
    app.config["SESSION_COOKIE_SECURE"] = True
    secure = FlaskClient(app).get("/staff/login").headers["Set-Cookie"]
    assert "Secure" in secure and "HttpOnly" in secure


@pytest.mark.parametrize("header", ["Content-Security-Policy", "X-Frame-Options",
                                    "Referrer-Policy", "Cache-Control"])
def test_pages_forbid_framing_caching_and_outside_assets(staff: FlaskClient, header: str) -> None:
    assert header in staff.get("/staff/bookings").headers


def test_password_is_stored_as_argon2id(runtime: Runtime) -> None:
    add_staff(runtime)
    with runtime.db.transaction() as session:
        stored = session.exec(select(StaffAccount)).one().password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(
        runtime: Runtime) -> None:
    from consultbot.web import create_app

    proxied = create_app(replace_settings(runtime, trusted_proxies=1))
    client = proxied.test_client()
    add_staff(runtime)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = {"environ_base": {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}}
    for number in range(5):
        sign_in(client, f"guess{number}@example.org", **attacker)
    assert sign_in(client, **attacker).status_code == 429
    someone_else = {"environ_base": {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}}
    assert sign_in(client, **someone_else).status_code == 302


def replace_settings(runtime: Runtime, **changes: object) -> Runtime:
    """The same runtime with some settings changed."""
    from dataclasses import replace

    return replace(runtime, settings=runtime.settings.model_copy(update=changes))

"""The dashboard on PostgreSQL: pages and cancelling, and failed sign-ins counted under races."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlmodel import select

from booking.models import Booking, BookingStatus
from consultbot.runtime import Runtime
from consultbot.web import create_app
from dashboard.models import LoginThrottle
from tests.dashboard.helpers import add_staff, booking, post_form, sign_in

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_runtime(postgres_url: str, make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(database_url=postgres_url, cookie_secure=False)


@pytest.fixture
def pg_app(pg_runtime: Runtime) -> Flask:
    add_staff(pg_runtime)
    return create_app(pg_runtime)


def test_pages_and_cancel_on_postgres(pg_runtime: Runtime, pg_app: Flask) -> None:
    made = booking(pg_runtime, "anna")
    client = pg_app.test_client()
    assert sign_in(client).status_code == 302
    for url in ("/staff/bookings", "/staff/bookings?tab=past&channel=console&q=anna",
                f"/staff/bookings/{made.id}", "/staff/waiting", "/staff/availability",
                "/staff/exports/bookings.csv"):
        assert client.get(url).status_code == 200, url
    url = f"/staff/bookings/{made.id}"
    assert post_form(client, url, f"{url}/cancel", {"confirm": "y"}).status_code == 302
    with pg_runtime.db.transaction() as session:
        assert session.exec(select(Booking)).one().status == BookingStatus.CANCELLED


def test_simultaneous_wrong_passwords_all_count(pg_runtime: Runtime, pg_app: Flask) -> None:
    """Eight wrong passwords at once from one address: none is lost, the address is locked."""
    start = threading.Barrier(8)
    codes: list[int] = []

    def attempt(number: int) -> None:
        client = pg_app.test_client()
        start.wait()
        codes.append(sign_in(client, f"guess{number}@example.org",
                             environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(codes)) in ([401, 429], [429])  # no errors, and the fifth locked
    with pg_runtime.db.transaction() as session:
        address = session.get(LoginThrottle, "ip:198.51.100.4")
    assert address is not None and address.locked_until is not None
    # Every refused password was counted: the four before the lock, the one that locked,
    # and those that slipped past the lock check meanwhile (counted towards the next lock).
    assert codes.count(401) + 1 == 5 + address.failures
    blocked = sign_in(pg_app.test_client(), environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert blocked.status_code == 429

"""Staff sessions end on the server: sign-out, a disabled account; ``next=`` stays safe."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from consultbot.runtime import Runtime
from consultbot.web import create_app
from dashboard.views import auth
from tests.dashboard.helpers import PASSWORD, add_staff, post_form, sign_in, token_from


def test_a_copied_cookie_is_refused_after_sign_out(staff: FlaskClient) -> None:
    copy = FlaskClient(staff.application)
    cookie = staff.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    assert copy.get("/staff/bookings").status_code == 200
    assert post_form(staff, "/staff/bookings", "/staff/logout", {}).status_code == 302
    replay = copy.get("/staff/bookings")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("target", ["/staff/waiting\r\nSet-Cookie: x=1", "/staff/\nx",
                                    "/staff/%0d%0a", "/staff/\x00", "/staff/a b"])
def test_control_characters_in_next_go_to_the_bookings(
        runtime: Runtime, client: FlaskClient, target: str) -> None:
    add_staff(runtime)
    page = client.get("/staff/login")
    answer = client.post("/staff/login", query_string={"next": target},
                         data={"csrf_token": token_from(page.text),
                               "email": "staff@example.org", "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"] in ("/staff/bookings", "/staff/%0d%0a")
    assert "\n" not in answer.headers["Location"] and "\r" not in answer.headers["Location"]


@pytest.mark.postgres
def test_forty_simultaneous_wrong_passwords_check_at_most_five(
        postgres_url: str, make_runtime: Callable[..., Runtime],
        monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = make_runtime(database_url=postgres_url, cookie_secure=False)
    add_staff(runtime)
    app = create_app(runtime)
    checked: list[bool] = []
    real = auth.verify_password

    def counting(account, password):  # type: ignore[no-untyped-def]
        checked.append(True)
        return real(account, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    clients = [app.test_client() for _ in range(40)]
    tokens = [token_from(c.get("/staff/login").text) for c in clients]
    barrier = threading.Barrier(40)
    codes: list[int] = []

    def attempt(number: int) -> None:
        barrier.wait()
        codes.append(clients[number].post("/staff/login", data={
            "csrf_token": tokens[number], "email": "staff@example.org",
            "password": f"wrong password {number}"}).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 40 and set(codes) <= {401, 429}
    assert len(checked) <= 5
    assert codes.count(429) >= 35
    assert sign_in(app.test_client()).status_code == 429  # the right one waits for the lock

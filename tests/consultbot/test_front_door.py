"""The front door ``/``, the sign-in page's account hint and ``serve``'s start-up lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from consultbot.commands.serve import describe
from consultbot.runtime import Runtime
from consultbot.web import create_app
from consultbot.worker import Worker
from plumbing.command import command_name
from plumbing.settings import load_settings
from tests.reliability.test_healthz import Once


def test_front_door_names_the_service_its_state_and_the_dashboard(
        make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(company_name="Example Witness Ltd")
    client = create_app(runtime).test_client()
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Example Witness Ltd</h1>" in html
    assert 'href="/staff/"' in html and "Staff dashboard" in html
    assert "Running, not ready" in html and "worker" in html  # no worker round yet

    Worker(runtime, senders={}).run_forever(Once())  # type: ignore[arg-type]
    html = client.get("/").get_data(as_text=True)
    assert "Ready to answer messages" in html and "not ready" not in html


def test_sign_in_page_says_how_an_account_is_made(runtime: Runtime) -> None:
    html = create_app(runtime).test_client().get("/staff/login").get_data(as_text=True)
    assert f"<code>{command_name()} staff add you@example.org</code>" in html
    assert "staff password you@example.org" in html


def test_the_command_is_named_as_it_must_be_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = Path(sys.prefix) / "bin" / "consultbot"
    if not installed.exists():
        pytest.skip("not run from an installed virtual environment")
    monkeypatch.chdir(Path(sys.prefix).parent)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert command_name() == f"{Path(sys.prefix).name}/bin/consultbot"  # .venv/bin/consultbot
    monkeypatch.setenv("PATH", f"{installed.parent}:/usr/bin:/bin")
    assert command_name() == "consultbot"


def test_start_up_names_the_terminal_chat_and_zoom(settings: object) -> None:
    lines = describe(settings, {"dashboard": "on: /staff"})
    assert f"terminal chat: {command_name()} chat" in "\n".join(lines)
    assert any(line.startswith("zoom: not configured; bookings get no meeting link")
               for line in lines)
    zoomed = load_settings(zoom_account_id="a", zoom_client_id="b", zoom_client_secret="c")
    assert "zoom: configured (a meeting is created for each booking)" in describe(zoomed, {})
    fallback = load_settings(zoom_fallback_link="https://zoom.us/j/1")
    assert "zoom: not configured; every booking gets ZOOM_FALLBACK_LINK" in \
        describe(fallback, {})
    assert not any("secret" in line.lower() for line in describe(zoomed, {}))


@pytest.mark.parametrize(("host", "overrides", "warned"), [
    ("127.0.0.1", {}, False), ("localhost", {}, False), ("::1", {}, False),
    ("0.0.0.0", {}, True), ("192.168.1.20", {}, True),
    ("0.0.0.0", {"cookie_secure": False}, False), ("0.0.0.0", {"trusted_proxies": 1}, False),
])
def test_cookie_secure_warning_over_plain_http_off_this_machine(
        host: str, overrides: dict[str, object], warned: bool) -> None:
    lines = describe(load_settings(**overrides), {}, host=host)
    warnings = [line for line in lines if line.startswith("WARNING:")]
    assert bool(warnings) == warned
    if warned:
        assert "COOKIE_SECURE" in warnings[0] and host in warnings[0]

"""The production shape on this machine, without containers: Debian's Caddy (``tls
internal``, the shipped ``deploy/Caddyfile``) in front of two ``consultbot serve --role web``
processes, one ``--role worker`` and one ``--role telegram``, on a fresh database of the
local PostgreSQL, the key in a file outside the data directory. A person books a
consultation over WhatsApp: every request is signed as Twilio signs it, for the public https
address, and goes through Caddy. Zoom, Twilio's REST API and Telegram are the fakes in
``tests/``, over HTTP.

Runs where Caddy and TEST_POSTGRES_URL are (``.ci/run`` installs Caddy and sets
``REQUIRE_CADDY``, which turns a missing Caddy into a failure).
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from consultbot.cli import main
from plumbing.crypto import new_key
from tests.booking.fake_zoom import FakeZoomServer
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    FakeTwilioApi,
    TwilioWebhooks,
    twiml_bodies,
)
from tests.consultbot.processes import Process, free_port
from tests.fixtures import postgres_base_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CADDY = shutil.which("caddy")
if not postgres_base_url():
    pytest.skip("TEST_POSTGRES_URL is not set", allow_module_level=True)
if CADDY is None and not os.environ.get("REQUIRE_CADDY"):
    pytest.skip("no caddy (apt-get install caddy; set REQUIRE_CADDY to make this a failure)",
                allow_module_level=True)

ANNA = "+4915123456789"  # a German mobile: the time zone offered is Berlin's
_OPTION = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


class Phone:
    """Anna's WhatsApp, as Twilio relays it: each message a signed POST to the public
    address; the answer is the TwiML of the response. Options are chosen by their labels
    (a number sent twice within seconds would be taken for a double send)."""

    def __init__(self, twilio: TwilioWebhooks) -> None:
        self.twilio = twilio
        self.last = ""
        self.upstreams: set[str] = set()

    def send(self, body: str) -> str:
        response = self.twilio.message(ANNA, body)
        assert response.status_code == 200, response.text
        self.upstreams.add(response.headers["x-upstream"])
        self.last = "\n\n".join(twiml_bodies(response.content))
        return self.last

    def choose(self, label: str) -> str:
        labels = [option.strip() for _, option in _OPTION.findall(self.last)]
        assert label in labels, f"{label!r} not offered: {self.last}"
        return self.send(label)

    def first_option(self) -> str:
        [(_, label), *_] = _OPTION.findall(self.last)
        return label.strip()


@pytest.fixture
def world(empty_postgres_url: str) -> Iterator[dict[str, object]]:
    """The far side of the network (Zoom, Twilio, Telegram) and a fresh database."""
    twilio = FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER)
    with FakeZoomServer() as zoom, twilio, FakeTelegramServer() as telegram:
        yield {"database": empty_postgres_url, "zoom": zoom, "twilio": twilio,
               "telegram": telegram}


def test_a_booking_over_https_through_caddy_to_two_web_processes(
        tmp_path: Path, world: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    if CADDY is None:
        pytest.fail("REQUIRE_CADDY is set but caddy is not installed (apt-get install caddy)")
    zoom, twilio, telegram = world["zoom"], world["twilio"], world["telegram"]
    assert isinstance(zoom, FakeZoomServer) and isinstance(twilio, FakeTwilioApi)
    assert isinstance(telegram, FakeTelegramServer)
    https_port, web_ports = free_port(), (free_port(), free_port())
    public = f"https://127.0.0.1:{https_port}"
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "data.key").write_text(new_key() + "\n")
    env = {
        "DATABASE_URL": str(world["database"]), "DATA_DIR": str(tmp_path / "data"),
        "DATA_KEY_FILE": str(secrets / "data.key"),
        "PUBLIC_BASE_URL": public, "TRUSTED_PROXIES": "1",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": SENDER, "TWILIO_API_BASE_URL": twilio.base_url,
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url,
        "ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "secret",
        "ZOOM_API_BASE_URL": zoom.api_base_url, "ZOOM_OAUTH_URL": zoom.oauth_url,
        "BOOKING_WEEKLY_HOURS": "mon-sun 00:00-23:30", "BOOKING_MIN_NOTICE_HOURS": "2",
        "BOOKING_BUFFER_MINUTES": "0", "REMINDER_HOURS_BEFORE": "0.5",
        "FAQ_SEMANTIC": "false", "LOG_LEVEL": "WARNING",
    }
    # The deployment's first step, once: migrations, the key canary, the first consultant.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["db", "upgrade"]) == 0
    processes = [Process.consultbot("serve", "--role", "web", "--port", str(port), env=env,
                                    cwd=tmp_path) for port in web_ports]
    processes += [Process.consultbot("serve", "--role", role, env=env, cwd=tmp_path)
                  for role in ("worker", "telegram")]
    caddy_home = tmp_path / "caddy"
    caddy_env = {**os.environ, "HOME": str(caddy_home), "XDG_DATA_HOME": str(caddy_home),
                 "XDG_CONFIG_HOME": str(caddy_home), "CADDY_ADMIN": "off",
                 "CADDY_HTTP_PORT": str(free_port()), "CADDY_HTTPS_PORT": str(https_port),
                 "CONSULTBOT_HOST": "127.0.0.1", "CADDY_TLS": "internal",
                 "CONSULTBOT_UPSTREAMS": " ".join(f"127.0.0.1:{p}" for p in web_ports),
                 "CONSULTBOT_PROXY_OPTIONS":
                     "header_down X-Upstream {http.reverse_proxy.upstream.hostport}"}
    try:
        for process, port in zip(processes, web_ports, strict=False):
            process.wait_for_line(f"listening on http://127.0.0.1:{port}")
        processes[2].wait_for_line("consultbot worker: on: sends by")
        processes[3].wait_for_line("is polling for messages")
        caddy = Process([CADDY, "run", "--config", str(ROOT / "deploy" / "Caddyfile"),
                         "--adapter", "caddyfile"], env=caddy_env, cwd=tmp_path)
        processes.append(caddy)
        caddy.wait_for_line("certificate obtained successfully")
        root_ca = caddy_home / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        trust = ssl.create_default_context(cafile=str(root_ca))
        with httpx.Client(base_url=public, verify=trust, timeout=30) as client:
            assert first_answer(client, "/healthz").status_code == 200
            ready = client.get("/readyz").json()  # the worker's heartbeat is in the database
            assert ready["database"] == "ok" and ready["key"] == "ok", ready
            phone = Phone(TwilioWebhooks(client, AUTH_TOKEN, public))
            book(phone)
            # A request signed for another address is refused, through the proxy too.
            forged = TwilioWebhooks(client, AUTH_TOKEN, "https://bot.example.org")
            assert forged.message(ANNA, "Hello").status_code == 403
        assert phone.upstreams == {f"127.0.0.1:{p}" for p in web_ports}  # both answered

        # The worker process sends the meeting link (Twilio's REST API, outside the turn).
        assert twilio.wait_for(lambda sent: bool(links(sent)), 30), processes[2].output
        [sent] = links(twilio.messages)
        assert sent["To"] == f"whatsapp:{ANNA}"
        [meeting] = zoom.zoom.meetings.values()
        assert str(meeting["join_url"]) in str(sent["Body"])

        # The poller answers on Telegram, beside the web processes.
        api = telegram.api
        api.push_update(TelegramUser(api, chat_id=77).message("/start"))
        assert api.wait_for(lambda: bool(api.sent(77)), timeout=30), processes[3].output
    finally:
        for process in processes:
            process.stop()
    engine = create_engine(str(world["database"]))
    with engine.connect() as connection:
        bookings = connection.execute(text(
            "SELECT channel, status FROM booking")).all()
        consultants = connection.execute(text("SELECT count(*) FROM consultant")).scalar()
    engine.dispose()
    assert [tuple(b) for b in bookings] == [("whatsapp", "confirmed")]
    assert consultants == 1
    assert not any("Traceback" in p.output for p in processes), \
        "\n".join(p.output for p in processes)


def book(phone: Phone) -> None:
    """Greeting to a confirmed booking, as in the WhatsApp conversation test."""
    assert "welcome" in phone.send("Hello").lower()
    phone.choose("Continue in English")
    phone.choose("Book free consultation")
    phone.choose("I am the applicant")
    phone.send("Anna Petrova")
    phone.send("Russia")
    phone.send("Germany")
    phone.send("Applied, waiting")
    phone.choose("Yes")
    phone.send("Smith & Partners LLP")
    phone.send(f"{date.today() + timedelta(days=90):%d.%m.%Y}")  # a hearing ahead
    phone.send("I was detained twice for anti-war posts and was called up.")
    phone.send("anna@example.com")
    phone.choose("Yes, I agree")
    assert "Berlin" in phone.choose("Confirm")
    phone.choose("Yes, that is right")
    phone.send(phone.first_option())  # the first day
    phone.send(phone.first_option())  # its first time
    assert "Please confirm" in phone.last
    assert "booked" in phone.choose("Confirm")


def first_answer(client: httpx.Client, path: str, timeout: float = 15.0) -> httpx.Response:
    """GET ``path`` once Caddy completes a TLS handshake: it logs the certificate obtained a
    moment before it serves it, so readiness is polled (every 50 ms), not slept for."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.get(path)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def links(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    """The messages carrying a Zoom meeting link."""
    return [m for m in messages if "zoom.test/j/" in str(m.get("Body", ""))]

"""PostgreSQL refusing connections under WhatsApp and Telegram webhook traffic.

The database is closed to new connections (``ALLOW_CONNECTIONS false``) and its backends are
terminated while both webhooks keep receiving messages. No message may be answered 2xx
without being stored; the ones refused (503 with ``Retry-After``) are delivered again after
the database is back, as the platforms do, and everything resumes without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.engine import Bot, NotStored, backoff
from bot.messages import Inbound
from bot.models import InboundMessage
from channels.telegram.polling import start
from channels.telegram.service import service_for
from channels.telegram.webhook import SECRET_HEADER
from consultbot.runtime import Runtime, build_runtime
from consultbot.web import create_app
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    TwilioWebhooks,
    new_sid,
)

SECRET = "outage-test-secret"


@contextmanager
def closed(database_url: str) -> Iterator[None]:
    """The database refuses new connections and its open ones are cut, until the end."""
    url = make_url(database_url)
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


class Recorder:
    """The sleeps the core asked for (tests never really sleep)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def both(postgres_url: str, clock: ManualClock) -> Iterator[tuple[Any, Runtime, Recorder]]:
    with FakeTelegramServer() as telegram:
        settings = load_settings(
            database_url=postgres_url, data_encryption_key=new_key(),
            twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
            twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL,
            telegram_bot_token=TOKEN, telegram_mode="webhook",
            telegram_webhook_secret=SECRET, telegram_api_base_url=telegram.base_url)
        runtime = build_runtime(settings, clock=clock)
        sleeps = Recorder()
        bot = Bot(runtime, sleep=sleeps)
        app = create_app(runtime, bot=bot)
        stop = start(runtime, bot, app.config["AREAS"])
        assert stop is not None
        service_for(runtime, bot).wait_started(10)
        try:
            yield (app, telegram), runtime, sleeps
        finally:
            stop()
            runtime.db.dispose()


def stored_ids(runtime: Runtime) -> set[str]:
    with runtime.db.transaction() as session:
        return set(session.exec(select(InboundMessage.platform_message_id)).all())


def test_nothing_answered_2xx_is_lost_and_service_resumes_by_itself(
        both: tuple[Any, Runtime, Recorder]) -> None:
    (app, telegram), runtime, sleeps = both
    client = app.test_client()
    twilio = TwilioWebhooks(client, AUTH_TOKEN, PUBLIC_BASE_URL)
    people = [TelegramUser(telegram.api, 7000 + n) for n in range(3)]
    numbers = [f"+4479111234{n:02d}" for n in range(3)]
    answers: dict[str, int] = {}  # message id -> last status answered
    outbox: list[tuple[str, Any]] = []  # what the platforms will deliver (again)

    def deliver(kind: str, payload: Any) -> None:
        if kind == "wa":
            response = twilio.post("/webhooks/whatsapp", payload)
            answers[payload["MessageSid"]] = response.status_code
            if response.status_code == 503:
                assert response.headers["Retry-After"]
        else:
            response = client.post("/webhooks/telegram", json=payload,
                                   headers={SECRET_HEADER: SECRET})
            answers[f"u{payload['update_id']}"] = response.status_code
            if response.status_code == 503:
                assert response.headers["Retry-After"]
        if response.status_code >= 300:
            outbox.append((kind, payload))

    def traffic(rounds: int) -> None:
        for n in range(rounds):
            for number in numbers:
                deliver("wa", twilio.message_fields(number, f"hello {n}", sid=new_sid()))
            for person in people:
                deliver("tg", person.message(f"hello {n}"))

    traffic(1)
    assert set(answers.values()) == {200}
    with closed(runtime.db.url):
        traffic(3)
        assert client.get("/readyz").get_json()["failed"] == ["database"]
    refused = [k for k, status in answers.items() if status == 503]
    assert len(refused) == 18  # every message sent while closed: none taken, none "answered"
    assert sleeps.sleeps and max(sleeps.sleeps) <= 1.0  # it backed off, boundedly

    # Back: new traffic works without a restart, and the platforms' redeliveries are taken.
    traffic(1)
    pending, outbox[:] = list(outbox), []
    for kind, payload in pending:
        deliver(kind, payload)
    assert "database" not in client.get("/readyz").get_json()["failed"]
    answered = {k for k, status in answers.items() if 200 <= status < 300}
    stored = stored_ids(runtime)
    assert answered - stored == set()  # 0 messages answered 2xx and not stored
    assert answered == set(answers)  # and, redelivered, every one went through
    assert len(telegram.api.sent()) >= 3 * 5  # Telegram replies went out for each update


def test_the_core_raises_not_stored_after_bounded_jittered_back_off(
        postgres_url: str, clock: ManualClock) -> None:
    runtime = build_runtime(load_settings(database_url=postgres_url,
                                          data_encryption_key=new_key()), clock=clock)
    sleeps = Recorder()
    bot = Bot(runtime, sleep=sleeps)
    try:
        with closed(runtime.db.url):
            with pytest.raises(NotStored) as raised:
                bot.receive(Inbound("console", "p1", "m1", text="hi"))
            assert "busy" in raised.value.replies[0].text  # type: ignore[union-attr]
            assert len(sleeps.sleeps) == 4
            assert bot.handle(Inbound("console", "p1", "m1", text="hi"))  # busy, not a crash
        assert bot.receive(Inbound("console", "p1", "m1", text="hi")).replies
    finally:
        runtime.db.dispose()
    assert all(0 <= backoff(n) <= min(1.0, 0.05 * 2 ** n) for n in range(10) for _ in range(50))

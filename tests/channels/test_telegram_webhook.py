"""``POST /webhooks/telegram``: the secret token, 200 only once handled, repeated updates."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from bot.engine import Bot, Handled
from bot.i18n import Translator
from bot.messages import Inbound
from bot.models import InboundMessage
from channels.telegram.polling import start
from channels.telegram.service import TelegramService, service_for
from channels.telegram.webhook import SECRET_HEADER, attach
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.metrics import REGISTRY as METRICS
from tests.channels.fake_telegram import TOKEN, FakeBotApi, FakeTelegramServer, TelegramUser
from tests.fixtures import close_runtime, runtime_for

SECRET = "s3cret-Token_for-tests"
en = Translator("en")


def webhook_settings(database_url: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "database_url": database_url, "data_encryption_key": new_key(),
        "telegram_bot_token": TOKEN, "telegram_mode": "webhook",
        "telegram_webhook_secret": SECRET, "public_base_url": "https://bot.example.org"}
    values.update(overrides)
    return values


class GatedBot(Bot):
    """The core, held at the start of every message until the test opens :attr:`gate`."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.gate = threading.Event()
        self.entered = threading.Event()

    def receive(self, inbound: Inbound) -> Handled:
        self.entered.set()
        assert self.gate.wait(10), "the test never opened the gate"
        return super().receive(inbound)


class FailingOnceBot(Bot):
    """The core, failing (before storing anything) the first time it is given a message."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.failed = False

    def receive(self, inbound: Inbound) -> Handled:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the core failed")
        return super().receive(inbound)


class Site:
    """The web app with only the Telegram area, and the channel started as serve starts it."""

    def __init__(self, runtime: Runtime, api: FakeBotApi, bot: Bot | None = None) -> None:
        self.runtime, self.api = runtime, api
        self.bot = bot or Bot(runtime)
        self.app = Flask("test")
        self.app.config["AREAS"] = {}
        attach(self.app, runtime, self.bot)
        self.client: FlaskClient = self.app.test_client()
        self.service: TelegramService = service_for(runtime, self.bot)

    def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram", json=update, headers=headers).status_code

    def handled(self) -> list[str]:
        with self.runtime.db.transaction() as session:
            return list(session.exec(select(InboundMessage.platform_message_id)).all())


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


@contextmanager
def running_site(server: FakeTelegramServer, database_url: str, clock: ManualClock,
                 core: type[Bot] = Bot) -> Iterator[Site]:
    runtime = runtime_for(**webhook_settings(
        database_url, telegram_api_base_url=server.base_url), clock=clock)
    site = Site(runtime, server.api, core(runtime))
    stop = start(runtime, site.bot, site.app.config["AREAS"])
    assert stop is not None
    try:
        site.service.wait_started(10)
        yield site
    finally:
        if isinstance(site.bot, GatedBot):
            site.bot.gate.set()  # let a failed test's held update finish, so stop() returns
        stop()
        close_runtime(runtime)


@pytest.fixture
def site(server: FakeTelegramServer, database_url: str, clock: ManualClock) -> Iterator[Site]:
    with running_site(server, database_url, clock) as site:
        yield site


@pytest.fixture
def gated_site(server: FakeTelegramServer, database_url: str,
               clock: ManualClock) -> Iterator[Site]:
    with running_site(server, database_url, clock, GatedBot) as site:
        yield site


def test_start_up_sets_the_webhook_with_the_secret(site: Site) -> None:
    [call] = site.api.calls_to("setWebhook")
    assert call.params["url"] == "https://bot.example.org/webhooks/telegram"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert site.api.calls_to("getUpdates") == []
    assert site.app.config["AREAS"]["telegram"] == (
        "on: webhook at https://bot.example.org/webhooks/telegram")


def test_the_right_secret_is_answered(site: Site) -> None:
    user = TelegramUser(site.api, 9001)
    assert site.post(user.message("/start")) == 200
    site.service.wait_idle()
    assert en("welcome.privacy") in site.api.sent(9001)[0]["text"]
    assert site.post(user.press(en("welcome.keep_language"))) == 200
    site.service.wait_idle()
    assert site.api.sent(9001)[-1]["text"] == en("menu.prompt")


@pytest.mark.parametrize("secret", ["wrong", "", None, SECRET + "x"])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
        site: Site, secret: str | None, caplog: pytest.LogCaptureFixture) -> None:
    user = TelegramUser(site.api, 9002)
    labels = {"channel": "telegram", "reason": "secret"}
    before = METRICS.get_sample_value("consultbot_webhook_rejections_total", labels) or 0
    with caplog.at_level(logging.INFO, logger="channels.telegram.webhook"):
        assert site.post(user.message("/start"), secret=secret) == 403
    assert METRICS.get_sample_value("consultbot_webhook_rejections_total", labels) == \
        before + 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused" in logged
    for private in ("Amina", "/start", SECRET, *([secret] if secret else [])):
        assert private not in logged
    site.service.wait_idle()
    assert site.api.sent() == []
    assert site.handled() == []


def test_a_repeated_update_is_handled_once(site: Site) -> None:
    user = TelegramUser(site.api, 9003)
    update = user.message("/start")
    assert site.post(update) == 200
    assert site.post(update) == 200  # Telegram retrying: still 200, so it stops retrying
    site.service.wait_idle()
    assert len(site.api.sent(9003)) == 1
    assert site.handled() == [f"u{update['update_id']}"]


def test_the_answer_comes_only_once_the_message_is_stored_and_answered(gated_site: Site) -> None:
    site, core = gated_site, gated_site.bot
    assert isinstance(core, GatedBot)
    update = TelegramUser(site.api, 9006).message("/start")

    def post() -> tuple[int, list[str], int]:
        status = site.post(update)
        return status, site.handled(), len(site.api.sent(9006))

    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(post)
        assert core.entered.wait(10)  # the update has reached the core, which is held
        assert not answer.done()
        assert site.handled() == []
        core.gate.set()
        assert answer.result(10) == (200, [f"u{update['update_id']}"], 1)
    assert len(site.service.waiters) == 0


def test_an_update_not_handled_in_time_is_refused_and_its_redelivery_answered_once(
        gated_site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site, core = gated_site, gated_site.bot
    assert isinstance(core, GatedBot)
    site.service.answer_within = 0.05  # the core is held: this always runs out
    update = TelegramUser(site.api, 9007).message("/start")
    with caplog.at_level(logging.INFO, logger="channels.telegram.webhook"):
        response = site.client.post("/webhooks/telegram", json=update,
                                    headers={SECRET_HEADER: SECRET})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Amina" not in caplog.text and "/start" not in caplog.text
    assert len(site.service.waiters) == 0

    core.gate.set()  # the first delivery is handled after all...
    site.service.answer_within = 10
    assert site.post(update) == 200  # ...and Telegram's second delivery changes nothing
    site.service.wait_idle()
    assert site.handled() == [f"u{update['update_id']}"]
    assert len(site.api.sent(9007)) == 1
    assert len(site.service.waiters) == 0


def test_an_update_whose_handling_failed_is_refused_and_handled_when_delivered_again(
        server: FakeTelegramServer, database_url: str, clock: ManualClock) -> None:
    with running_site(server, database_url, clock, FailingOnceBot) as site:
        update = TelegramUser(site.api, 9008).message("/start")
        assert site.post(update) == 503
        assert site.handled() == [] and site.api.sent(9008) == []
        assert site.post(update) == 200
        assert site.handled() == [f"u{update['update_id']}"]
        assert len(site.api.sent(9008)) == 1
        assert len(site.service.waiters) == 0


def test_an_update_no_handler_takes_is_answered_and_leaves_no_waiter(site: Site) -> None:
    user = TelegramUser(site.api, 9009)
    in_a_group = user.message("hello everyone")
    in_a_group["message"]["chat"] = {"id": -1009009, "type": "supergroup", "title": "Staff"}
    edited = user.message("a corrected message")
    edited["edited_message"] = edited.pop("message")
    assert site.post(in_a_group) == 200
    assert site.post(edited) == 200
    assert len(site.service.waiters) == 0
    site.service.wait_idle()
    assert site.handled() == []
    assert site.api.sent() == []


@pytest.mark.usefixtures("lexical_faq")  # the cut is the subject, not the model
def test_a_message_of_5000_characters(site: Site) -> None:
    user = TelegramUser(site.api, 9004)
    assert site.post(user.message("Please help. " * 384 + "Thanks!")) == 200  # 5,000 chars
    site.service.wait_idle()
    assert site.api.sent(9004) and all(len(m["text"]) <= 4096 for m in site.api.sent(9004))


def test_a_body_that_is_not_an_update_is_refused(
        site: Site, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="channels.telegram.webhook"):
        response = site.client.post("/webhooks/telegram", data="not json",
                                    headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    assert "bad request" in "\n".join(r.getMessage() for r in caplog.records)
    assert site.post({"message": {"text": "no update id"}}) == 400
    assert site.post({"update_id": 5, "message": {"text": "no date, no chat"}}) == 400
    assert site.post({"update_id": 6, "callback_query": "not an object"}) == 400


def test_before_the_channel_has_started_telegram_is_asked_to_retry(
        database_url: str, clock: ManualClock) -> None:
    runtime = runtime_for(**webhook_settings(database_url), clock=clock)
    site = Site(runtime, FakeBotApi())
    try:
        assert site.post(TelegramUser(site.api, 9005).message("/start")) == 503
        assert site.handled() == []
    finally:
        site.service.stop()
        close_runtime(runtime)


@pytest.mark.parametrize(("overrides", "state"), [
    ({"telegram_bot_token": None}, "off: set TELEGRAM_BOT_TOKEN"),
    ({"telegram_mode": "polling"}, "on: long polling (TELEGRAM_MODE=polling)"),
    ({"telegram_webhook_secret": None, "public_base_url": None},
     "off: set TELEGRAM_WEBHOOK_SECRET, PUBLIC_BASE_URL"),
    ({"telegram_webhook_secret": "has spaces"},
     "off: TELEGRAM_WEBHOOK_SECRET must be 1-256 of the characters A-Z a-z 0-9 _ -"),
    ({"public_base_url": "http://localhost:8000"},
     "off: PUBLIC_BASE_URL must be an https:// address for Telegram's webhook"),
])
def test_the_area_says_why_the_webhook_is_off(database_url: str, clock: ManualClock,
                                              overrides: dict[str, Any], state: str) -> None:
    runtime = runtime_for(**webhook_settings(database_url, **overrides), clock=clock)
    try:
        site = Site(runtime, FakeBotApi())
        assert site.app.config["AREAS"]["telegram"] == state
        assert site.client.post("/webhooks/telegram", json={"update_id": 1},
                                headers={SECRET_HEADER: SECRET}).status_code == 404
        if runtime.settings.telegram_mode == "webhook":  # nothing to start, nothing started
            assert start(runtime, site.bot, site.app.config["AREAS"]) is None
            assert not site.service.running
    finally:
        site.service.stop()
        close_runtime(runtime)


def test_the_web_app_carries_the_endpoint(database_url: str, clock: ManualClock) -> None:
    from consultbot.web import create_app

    runtime = runtime_for(**webhook_settings(database_url), clock=clock)
    bot = Bot(runtime)
    try:
        app = create_app(runtime, bot=bot)
        assert app.config["AREAS"]["telegram"].startswith("on: webhook")
        response = app.test_client().post("/webhooks/telegram", json={"update_id": 1},
                                          headers={SECRET_HEADER: "wrong"})
        assert response.status_code == 403
        # The right secret passes every other area's request checks (not started yet: 503).
        response = app.test_client().post("/webhooks/telegram", json={"update_id": 1},
                                          headers={SECRET_HEADER: SECRET})
        assert response.status_code == 503
    finally:
        service_for(runtime, bot).stop()
        close_runtime(runtime)

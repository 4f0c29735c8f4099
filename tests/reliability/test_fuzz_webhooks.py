"""A few hundred hostile bodies per webhook (fixed seed): no answer is a 5xx, and the
service still answers afterwards. The long run is ``bench/fuzz_webhooks.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.engine import Bot
from channels.telegram.polling import start
from channels.telegram.service import service_for
from consultbot.runtime import build_runtime
from consultbot.web import create_app
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, SENDER
from tests.reliability.fuzzing import fuzz_telegram, fuzz_whatsapp, still_alive

SECRET = "fuzz-secret"
SEED = 20261201


@pytest.fixture
def site(database_url: str, clock: ManualClock) -> Iterator[tuple[Any, Any]]:
    with FakeTelegramServer() as telegram:
        runtime = build_runtime(load_settings(
            database_url=database_url, data_encryption_key=new_key(),
            twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
            twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL,
            telegram_bot_token=TOKEN, telegram_mode="webhook",
            telegram_webhook_secret=SECRET, telegram_api_base_url=telegram.base_url),
            clock=clock)
        bot = Bot(runtime, sleep=lambda seconds: None)
        app = create_app(runtime, bot=bot)
        stop = start(runtime, bot, app.config["AREAS"])
        assert stop is not None
        service_for(runtime, bot).wait_started(10)
        try:
            yield app, telegram
        finally:
            stop()
            runtime.db.dispose()


def test_hostile_whatsapp_bodies_never_get_a_5xx(site: tuple[Any, Any]) -> None:
    app, telegram = site
    answers = fuzz_whatsapp(app, SEED, 300)
    assert not [status for status in answers if status >= 500], answers
    assert answers[200] > 50 and answers[400] > 10  # both kinds were really exercised
    assert still_alive(app, TelegramUser(telegram.api, 99), SECRET)


def test_hostile_telegram_bodies_never_get_a_5xx(site: tuple[Any, Any]) -> None:
    app, telegram = site
    answers = fuzz_telegram(app, SECRET, SEED, 300)
    assert not [status for status in answers if status >= 500], answers
    assert answers[200] > 50 and answers[400] > 50
    assert still_alive(app, TelegramUser(telegram.api, 99), SECRET)

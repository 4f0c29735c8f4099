"""A few hundred hostile bodies per webhook (fixed seed): no answer is a 5xx, and the
service still answers afterwards. The long run is ``bench/fuzz_webhooks.py``.

The FAQ runs on its lexical matcher for the few hundred bodies (the model reads each
4,096-character text whole, 2.5 s of CPU apiece); every kind of hostile text the bodies carry
then goes through the real model once, over the WhatsApp webhook."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

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
from tests.reliability.fuzzing import FORM, fuzz_telegram, fuzz_whatsapp, signed, still_alive
from tests.reliability.hostile import NASTY_TEXTS

pytestmark = pytest.mark.slow  # started first: see tests/conftest.py

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


@pytest.mark.usefixtures("lexical_faq")
def test_hostile_whatsapp_bodies_never_get_a_5xx(site: tuple[Any, Any]) -> None:
    app, telegram = site
    answers = fuzz_whatsapp(app, SEED, 300)
    assert not [status for status in answers if status >= 500], answers
    assert answers[200] > 50 and answers[400] > 10  # both kinds were really exercised
    assert still_alive(app, TelegramUser(telegram.api, 99), SECRET)


@pytest.mark.usefixtures("lexical_faq")
def test_hostile_telegram_bodies_never_get_a_5xx(site: tuple[Any, Any]) -> None:
    app, telegram = site
    answers = fuzz_telegram(app, SECRET, SEED, 300)
    assert not [status for status in answers if status >= 500], answers
    assert answers[200] > 50 and answers[400] > 50
    assert still_alive(app, TelegramUser(telegram.api, 99), SECRET)


def test_every_kind_of_hostile_text_through_the_real_model(site: tuple[Any, Any]) -> None:
    """The model itself on what the fuzzed bodies carry: each nasty text alone and all of them
    in one message, random code points (lone surrogates as Twilio cannot send them, percent-
    encoded invalid UTF-8), and a body over the 4,096-character cut."""
    from bot.understanding.resources import knowledge_base

    app, telegram = site
    assert knowledge_base().semantic_index() is not None  # the real model, not lexical only
    rng = random.Random(SEED)
    texts = [*NASTY_TEXTS, "".join(NASTY_TEXTS),
             "".join(chr(rng.randrange(0x20, 0xD800)) for _ in range(40)), "x" * 4097]
    bodies = [urlencode({"Body": text}, encoding="utf-8", errors="surrogatepass")
              for text in texts]
    bodies += ["Body=%ED%A0%80%FF%FE%C0%AFhello", "Body=%F4%90%80%80%00"]
    client = app.test_client()
    statuses = []
    for n, body in enumerate(bodies):
        raw = f"MessageSid=SM{n:032x}&AccountSid=AC{'0' * 32}&From=whatsapp%3A%2B447911100001" \
              f"&To={quote(SENDER)}&NumMedia=0&{body}".encode()
        statuses.append(client.post("/webhooks/whatsapp", data=raw, content_type=FORM,
                                    headers={"X-Twilio-Signature": signed(
                                        app, "/webhooks/whatsapp", raw)}).status_code)
    assert statuses == [200] * len(bodies)
    assert still_alive(app, TelegramUser(telegram.api, 99), SECRET)

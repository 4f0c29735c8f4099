"""Long polling against a local fake Bot API reached through TELEGRAM_API_BASE_URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.engine import Bot
from bot.i18n import Translator
from channels.telegram.polling import start
from channels.telegram.service import TelegramService, service_for
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.fixtures import close_runtime, runtime_for

en = Translator("en")


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
def runtime(database_url: str, clock: ManualClock,
            server: FakeTelegramServer) -> Iterator[Runtime]:
    rt = runtime_for(
        database_url=database_url, data_encryption_key=new_key(), telegram_bot_token=TOKEN,
        telegram_api_base_url=server.base_url, clock=clock)
    yield rt
    close_runtime(rt)


def test_the_bot_polls_and_answers(server: FakeTelegramServer, runtime: Runtime) -> None:
    api = server.api
    bot = Bot(runtime)
    stop = start(runtime, bot, {})
    assert stop is not None
    try:
        assert service_for(runtime, bot).wait_started(10) == "consult_test_bot"
        assert api.calls_to("deleteWebhook")  # polling makes sure no webhook is set
        assert set(api.commands) == {"", "ru"}

        user = TelegramUser(api, 8001)
        api.push_update(user.message("/start"))
        assert api.wait_for(lambda: bool(user.keyboards()), 10)
        assert en("welcome.privacy") in api.sent(8001)[0]["text"]

        api.push_update(user.press(en("welcome.keep_language")))
        assert api.wait_for(lambda: len(api.sent(8001)) == 2, 10)
        assert api.sent(8001)[1]["text"] == en("menu.prompt")
        assert len(api.calls_to("answerCallbackQuery")) == 1
    finally:
        stop()
    polls = api.calls_to("getUpdates")
    assert polls[0].params["allowed_updates"] == ["message", "callback_query"]
    assert polls[-1].params["offset"] > 1000  # the last update was confirmed on the way out


def test_an_update_fetched_again_after_a_restart_is_not_answered_again(
        server: FakeTelegramServer, runtime: Runtime) -> None:
    api = server.api
    bot = Bot(runtime)
    user = TelegramUser(api, 8002)
    first = TelegramService(runtime, bot, mode="polling")
    first.start()
    try:
        first.wait_started(10)
        update = api.push_update(user.message("/start"))
        assert api.wait_for(lambda: bool(api.sent(8002)), 10)
    finally:
        first.stop()
    sent_before = len(api.sent(8002))

    api.redeliver(update)  # as if the process died before confirming it
    later = user.message("/help")
    api.push_update(later)
    second = TelegramService(runtime, bot, mode="polling")
    second.start()
    try:
        second.wait_started(10)
        assert api.wait_for(lambda: len(api.sent(8002)) > sent_before, 10)
        second.wait_idle()
    finally:
        second.stop()
    answered = api.sent(8002)[sent_before:]
    assert len(answered) == 1 and en("help.text") in answered[0]["text"]


def test_a_rejected_token_stops_start_up_without_showing_the_token(
        server: FakeTelegramServer, database_url: str, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    runtime = runtime_for(
        database_url=database_url, data_encryption_key=new_key(),
        telegram_bot_token="999:wrong-token", telegram_api_base_url=server.base_url, clock=clock)
    service = TelegramService(runtime, Bot(runtime), mode="polling")
    service.start()
    try:
        with pytest.raises(Exception, match="rejected TELEGRAM_BOT_TOKEN"):
            service.wait_started(10)
    finally:
        service.stop()
        close_runtime(runtime)
    assert "wrong-token" not in caplog.text


def test_start_up_waits_out_an_unreachable_api(server: FakeTelegramServer,
                                               runtime: Runtime) -> None:
    server.api.fail_next("getMe", 502, "Bad Gateway")
    service = TelegramService(runtime, Bot(runtime), mode="polling", retry_delays=(0,))
    service.start()
    try:
        assert service.wait_started(10) == "consult_test_bot"
    finally:
        service.stop()
    assert len(server.api.calls_to("getMe")) == 2


class NotStoredOnce(Bot):
    """The core whose database does not take the first message it is given."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, sleep=lambda seconds: None)
        self.refused = 0

    def receive(self, inbound):  # type: ignore[no-untyped-def]
        from bot.engine import NotStored

        if not self.refused:
            self.refused += 1
            raise NotStored([])
        return super().receive(inbound)


def test_an_update_the_database_did_not_take_is_not_confirmed(
        server: FakeTelegramServer, runtime: Runtime) -> None:
    api = server.api
    bot = NotStoredOnce(runtime)
    user = TelegramUser(api, 8003)
    service = TelegramService(runtime, bot, mode="polling", retry_delays=(0,))
    service.start()
    try:
        service.wait_started(10)
        update = api.push_update(user.message("/start"))
        assert api.wait_for(lambda: bool(api.sent(8003)), 10)  # answered on the second fetch
        service.wait_idle()
    finally:
        service.stop()
    offsets = [c.params.get("offset") for c in api.calls_to("getUpdates")]
    confirmed_at = offsets.index(update["update_id"] + 1)
    # Fetched (no offset: from the oldest unconfirmed), refused, fetched again unconfirmed,
    # handled: only then confirmed.
    assert offsets[:confirmed_at].count(None) >= 2
    assert all(o in (None, update["update_id"]) for o in offsets[:confirmed_at])
    assert bot.refused == 1
    assert len([m for m in api.sent(8003) if m.get("reply_markup")]) == 1  # answered once

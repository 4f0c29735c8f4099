"""``consultbot telegram``: the bot alone, by long polling."""

from __future__ import annotations

import argparse
import threading

import pytest

from bot.engine import Bot
from channels.telegram.polling import poll_until_stopped
from consultbot.commands import telegram as command
from consultbot.runtime import build_runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser


@pytest.mark.parametrize(("env", "message"), [
    ({}, "set TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MODE": "webhook"}, "Set TELEGRAM_MODE=polling"),
])
def test_the_command_says_what_is_missing(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], database_url: str,
                                          env: dict[str, str], message: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert command.run(argparse.Namespace()) == 2
    assert message in capsys.readouterr().err


def test_polling_alone_answers_until_stopped(database_url: str, clock: ManualClock) -> None:
    with FakeTelegramServer() as server:
        runtime = build_runtime(load_settings(
            database_url=database_url, data_encryption_key=new_key(), telegram_bot_token=TOKEN,
            telegram_api_base_url=server.base_url), clock=clock)
        stop, started = threading.Event(), threading.Event()
        names: list[str] = []

        def on_started(username: str) -> None:
            names.append(username)
            started.set()

        thread = threading.Thread(target=poll_until_stopped,
                                  args=(runtime, Bot(runtime), stop),
                                  kwargs={"on_started": on_started})
        thread.start()
        try:
            assert started.wait(10)
            user = TelegramUser(server.api, 4242)
            server.api.push_update(user.message("/start"))
            assert server.api.wait_for(lambda: bool(server.api.sent(4242)), 10)
        finally:
            stop.set()
            thread.join(15)
            runtime.db.dispose()
        assert not thread.is_alive()
        assert names == ["consult_test_bot"]

"""Runs the Telegram channel's PTB application in-process against the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.engine import Bot
from channels.telegram.application import TelegramConversations, build_application
from consultbot.runtime import Runtime
from tests.channels.fake_telegram import FakeBotApi, FakeRequest, TelegramUser


class Harness:
    """One application on its own event loop; :meth:`feed` handles one update completely."""

    def __init__(self, runtime: Runtime, api: FakeBotApi | None = None,
                 bot: Bot | None = None) -> None:
        self.api = api or FakeBotApi()
        self.bot = bot or Bot(runtime)
        self.waits: list[float] = []
        self.errors: list[BaseException] = []
        self.pressed: list[str] = []  # callback query ids fed, in order
        self.conversations = TelegramConversations(runtime, self.bot, sleep=self._sleep)
        self.app = build_application(runtime, self.bot, webhook=True,
                                     request=FakeRequest(self.api),
                                     conversations=self.conversations)
        self.app.add_error_handler(self._record_error)
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.app.initialize())

    async def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def _record_error(self, update: object, context: Any) -> None:
        self.errors.append(context.error)

    def user(self, chat_id: int = 5001, **kwargs: Any) -> TelegramUser:
        return TelegramUser(self.api, chat_id, **kwargs)

    def update(self, data: dict[str, Any]) -> Update:
        """The wire data as python-telegram-bot's ``Update``, bound to the application's bot."""
        return Update.de_json(data, self.app.bot)

    def feed(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Process one update through the application; return the messages it sent."""
        before = {key for key in self.api.messages}
        if "callback_query" in data:
            self.pressed.append(data["callback_query"]["id"])
        self.loop.run_until_complete(self.app.process_update(self.update(data)))
        if self.errors:
            raise self.errors[0]
        return [m for key, m in sorted(self.api.messages.items(), key=lambda kv: kv[0][1])
                if key not in before]

    def close(self) -> None:
        self.loop.run_until_complete(self.app.shutdown())
        self.loop.close()


def texts(messages: list[dict[str, Any]]) -> str:
    """Everything the messages say, for assertions."""
    return "\n".join(m.get("text") or m.get("caption") or "" for m in messages)

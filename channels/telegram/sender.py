"""Messages the service sends first (reminders, a Zoom link, a staff reply) through the outbox.

Paced within Telegram's limits; ``RetryAfter`` becomes ``DeliveryFailed(retry_after=…)`` and
pauses the sender; a person who blocked the bot is marked unreachable and not retried. When a
delivery of several messages fails part-way, its retry continues after the last one sent.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot as TelegramBot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.request import BaseRequest

from channels.delivery import Delivery, DeliveryFailed
from channels.progress import DeliveryProgress
from channels.telegram.application import api_urls
from channels.telegram.limits import RateLimiter, retry_seconds
from channels.telegram.loop import LoopThread
from channels.telegram.render import CallbackCodec, Outgoing, plan_messages, send_outgoing
from channels.telegram.store import mark_unreachable
from plumbing.runtime import Runtime

_SEND_TIMEOUT = 60.0


class TelegramSender:
    """The outbox's :class:`~channels.delivery.Sender` for Telegram; thread-safe."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        request: BaseRequest | None = None,
        limiter: RateLimiter | None = None,
        codec: CallbackCodec | None = None,
    ) -> None:
        token = runtime.settings.telegram_bot_token
        if token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        base_url, base_file_url = api_urls(runtime.settings.telegram_api_base_url)
        self.runtime = runtime
        self.limiter = limiter or RateLimiter()
        self.codec = codec or CallbackCodec()
        self._bot = TelegramBot(token.get_secret_value(), base_url=base_url,
                                base_file_url=base_file_url, request=request)
        self._loop = LoopThread("telegram-sender")
        self.progress = DeliveryProgress()

    def send(self, delivery: Delivery) -> str | None:
        """Send every message of ``delivery``; return the id of the last one."""
        try:
            chat_id = int(delivery.recipient)
        except ValueError as exc:
            raise DeliveryFailed("not a Telegram chat id", permanent=True) from exc
        planned = plan_messages(delivery.replies)
        if not planned:
            raise DeliveryFailed("nothing to send", permanent=True)
        return self.progress.send_all(delivery.key, planned,
                                      lambda item: self._send_one(chat_id, item))

    def _send_one(self, chat_id: int, item: Outgoing) -> str:
        self.limiter.wait(chat_id)
        try:
            message = self._loop.run(self._call(chat_id, item), timeout=_SEND_TIMEOUT)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            self.limiter.pause(seconds)
            raise DeliveryFailed(f"Telegram asked to wait {seconds:.0f} s",
                                 retry_after=seconds) from exc
        except Forbidden as exc:
            mark_unreachable(self.runtime, chat_id)
            raise DeliveryFailed("the person blocked the bot", unreachable=True) from exc
        except (BadRequest, ChatMigrated) as exc:
            raise DeliveryFailed(f"Telegram refused the message: {exc}", permanent=True) from exc
        except InvalidToken as exc:
            raise DeliveryFailed("Telegram rejected TELEGRAM_BOT_TOKEN") from exc
        except (TelegramError, TimeoutError) as exc:
            raise DeliveryFailed(f"Telegram unreachable: {type(exc).__name__}") from exc
        return str(message.message_id)

    async def _call(self, chat_id: int, item: Outgoing) -> Any:
        await self._bot.initialize()  # getMe on first use; afterwards it returns at once
        return await send_outgoing(self._bot, chat_id, item, self.codec)

    def close(self) -> None:
        """Release the connection pool and the loop thread."""
        self._loop.run(self._bot.shutdown(), timeout=_SEND_TIMEOUT)
        self._loop.close()


def build_sender(runtime: Runtime) -> TelegramSender | None:
    """The outbox's sender factory: None without a bot token."""
    return TelegramSender(runtime) if runtime.settings.telegram_enabled else None

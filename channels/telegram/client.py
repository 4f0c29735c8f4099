"""The one way consultbot talks to the Bot API: one event-loop thread per runtime, one bot
for the messages sent first (outbox and staff alerts), one reading of Telegram's errors.

Chat replies go out through the PTB application, which runs on the same loop thread
(:func:`loop_for`) and reads refusals with the same :func:`delivery_failure`; every message,
whichever path it takes, is sent by :func:`~channels.telegram.render.send_outgoing`.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from telegram import Bot as TelegramBot
from telegram import Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.request import BaseRequest, HTTPXRequest

from channels.delivery import DeliveryFailed
from channels.telegram.limits import retry_seconds
from channels.telegram.loop import LoopThread
from channels.telegram.render import CallbackCodec, Outgoing, send_outgoing
from plumbing.runtime import Runtime, Slot

T = TypeVar("T")

SEND_TIMEOUT = 60.0
#: Connections the bot keeps: the outbox's worker threads and staff alerts share them.
_POOL_SIZE = 8
_DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"

LOOP: Slot[LoopThread] = Slot("telegram loop")
CLIENT: Slot[TelegramClient] = Slot("telegram client")


def api_urls(base_url: str) -> tuple[str, str]:
    """Bot API and file URLs (the token is appended to both) for ``TELEGRAM_API_BASE_URL``
    (``https://api.telegram.org/bot``, or a local Bot API server's ``…/bot``)."""
    trimmed = base_url.rstrip("/")
    if trimmed.endswith("/bot"):
        return trimmed, trimmed.removesuffix("/bot") + "/file/bot"
    return base_url, _DEFAULT_FILE_URL


def delivery_failure(exc: BaseException, *, staff_chat: bool = False) -> DeliveryFailed:
    """What a failed Bot API call means for a message: wait (``retry_after``), the person
    blocked the bot (``unreachable``), never deliverable (``permanent``), or try again later.

    For the staff chat (``staff_chat``) a refusal is a setting to fix, shown with Telegram's
    reason, never a person to mark; so is a rejected token. The text never quotes a network
    error (its request carries the token in the URL).
    """
    if isinstance(exc, RetryAfter):
        seconds = retry_seconds(exc)
        return DeliveryFailed(f"Telegram asked to wait {seconds:.0f} s", retry_after=seconds)
    if isinstance(exc, InvalidToken):
        return DeliveryFailed("Telegram rejected TELEGRAM_BOT_TOKEN", permanent=staff_chat)
    if staff_chat and isinstance(exc, Forbidden | BadRequest | ChatMigrated):
        return DeliveryFailed(f"the staff chat refused the alert: {str(exc)[:200]} "
                              "(check TELEGRAM_STAFF_CHAT_ID and that the bot is in it)",
                              permanent=True)
    if isinstance(exc, Forbidden):
        return DeliveryFailed("the person blocked the bot", unreachable=True)
    if isinstance(exc, BadRequest | ChatMigrated):
        return DeliveryFailed(f"Telegram refused the message: {exc}", permanent=True)
    cause = exc.__cause__
    if isinstance(exc, NetworkError) and cause is None:  # an error status, e.g. 502
        return DeliveryFailed(f"Telegram answered {str(exc)[:200]}")
    named = cause if isinstance(cause, httpx.HTTPError) else exc
    return DeliveryFailed(f"Telegram unreachable: {type(named).__name__}")


class TelegramClient:
    """A bot on an event-loop thread, called from ordinary (worker, web) threads."""

    def __init__(self, token: str, base_url: str, *, request: BaseRequest | None = None,
                 loop: LoopThread | None = None) -> None:
        bot_url, file_url = api_urls(base_url)
        self.bot = TelegramBot(token, base_url=bot_url, base_file_url=file_url,
                               request=request or HTTPXRequest(connection_pool_size=_POOL_SIZE))
        self._owns_loop = loop is None
        self.loop = loop or LoopThread("telegram")

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = SEND_TIMEOUT) -> T:
        """Run ``coroutine`` on the loop thread and wait for its result."""
        return self.loop.run(coroutine, timeout)

    def send(self, chat_id: int | str, item: Outgoing,
             codec: CallbackCodec | None = None) -> Message:
        """Send one planned message; raises what the Bot API raised (or ``TimeoutError``)."""
        return self.run(self._send(chat_id, item, codec or CallbackCodec()))

    async def _send(self, chat_id: int | str, item: Outgoing, codec: CallbackCodec) -> Message:
        await self.bot.initialize()  # getMe on first use; afterwards it returns at once
        return await send_outgoing(self.bot, chat_id, item, codec)

    def close(self) -> None:
        """Release the connection pool (and the loop thread, if it is this client's own)."""
        self.loop.run(self.bot.shutdown(), timeout=SEND_TIMEOUT)
        if self._owns_loop:
            self.loop.close()


def loop_for(runtime: Runtime) -> LoopThread:
    """The runtime's one Telegram event-loop thread (started on first use)."""
    return runtime.services.get(LOOP, lambda: LoopThread("telegram"))


def client_for(runtime: Runtime) -> TelegramClient:
    """The runtime's bot for messages sent first; needs ``TELEGRAM_BOT_TOKEN``."""
    settings = runtime.settings
    token = settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    secret = token.get_secret_value()
    return runtime.services.get(CLIENT, lambda: TelegramClient(
        secret, settings.telegram_api_base_url, loop=loop_for(runtime)))

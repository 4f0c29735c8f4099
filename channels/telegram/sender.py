"""Messages the service sends first (reminders, a Zoom link, a staff reply) through the outbox.

Paced within Telegram's limits; ``RetryAfter`` becomes ``DeliveryFailed(retry_after=…)`` and
pauses the sender; a person who blocked the bot is marked unreachable and not retried. When a
delivery of several messages fails part-way, its retry continues after the last one sent.
Sent through the runtime's :class:`~channels.telegram.client.TelegramClient`.
"""

from __future__ import annotations

from telegram.error import TelegramError
from telegram.request import BaseRequest

from channels.delivery import Delivery, DeliveryFailed
from channels.progress import DeliveryProgress
from channels.telegram.client import TelegramClient, client_for, delivery_failure
from channels.telegram.limits import RateLimiter
from channels.telegram.render import CallbackCodec, Outgoing, plan_messages
from channels.telegram.store import mark_unreachable
from plumbing.runtime import Runtime


class TelegramSender:
    """The outbox's :class:`~channels.delivery.Sender` for Telegram; thread-safe.

    ``request`` (tests: a fake Bot API) gives the sender a client of its own.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        request: BaseRequest | None = None,
        limiter: RateLimiter | None = None,
        codec: CallbackCodec | None = None,
    ) -> None:
        self.runtime = runtime
        self.limiter = limiter or RateLimiter()
        self.codec = codec or CallbackCodec()
        self._own_client: TelegramClient | None = None
        if request is None:
            self.client = client_for(runtime)
        else:
            token = runtime.settings.telegram_bot_token
            if token is None:
                raise ValueError("TELEGRAM_BOT_TOKEN is not set")
            self.client = self._own_client = TelegramClient(
                token.get_secret_value(), runtime.settings.telegram_api_base_url,
                request=request)
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
            message = self.client.send(chat_id, item, self.codec)
        except (TelegramError, TimeoutError) as exc:
            failed = delivery_failure(exc)
            if failed.retry_after is not None:
                self.limiter.pause(failed.retry_after)
            if failed.unreachable:
                mark_unreachable(self.runtime, chat_id)
            raise failed from None
        return str(message.message_id)

    def close(self) -> None:
        """Release a client of the sender's own (the runtime's closes with the runtime)."""
        if self._own_client is not None:
            self._own_client.close()


def build_sender(runtime: Runtime) -> TelegramSender | None:
    """The outbox's sender factory: None without a bot token."""
    return TelegramSender(runtime) if runtime.settings.telegram_enabled else None

"""Staff alerts to a Telegram chat (``TELEGRAM_STAFF_CHAT_ID``) through the bot's token.

Plain text within Telegram's 4096, no link preview, sent by the runtime's
:class:`~channels.telegram.client.TelegramClient` (the one the outbox's Telegram sender
uses). A refusal by the staff chat (the bot was removed, the chat id is wrong) is a setting
to fix, not a person to mark unreachable: it fails the alert with Telegram's reason, which
the dashboard shows.
"""

from __future__ import annotations

from telegram.error import TelegramError

from bot.messages import reply_plain_text
from channels.delivery import Delivery, DeliveryFailed
from channels.telegram.client import TelegramClient, client_for, delivery_failure
from channels.telegram.render import Outgoing
from channels.text import prefix_within
from plumbing.runtime import Runtime

TEXT_MAX = 4096  # UTF-16 units, as Telegram counts


class StaffTelegramSender:
    """Sends staff alerts as plain messages; thread-safe.

    Without ``client`` it makes one of its own for ``base_url`` and ``token``.
    """

    def __init__(self, base_url: str, token: str, *,
                 client: TelegramClient | None = None) -> None:
        self._own_client: TelegramClient | None = None
        if client is None:
            client = self._own_client = TelegramClient(token, base_url)
        self._client = client

    def send(self, delivery: Delivery) -> str | None:
        text = "\n\n".join(reply_plain_text(r) for r in delivery.replies).strip()
        if not text:
            raise DeliveryFailed("nothing to send", permanent=True)
        item = Outgoing(text=prefix_within(text, TEXT_MAX), link_preview=False)
        try:
            message = self._client.send(delivery.recipient, item)
        except (TelegramError, TimeoutError) as exc:
            raise delivery_failure(exc, staff_chat=True) from None
        return str(message.message_id)

    def close(self) -> None:
        """Release a client of the sender's own (the runtime's closes with the runtime)."""
        if self._own_client is not None:
            self._own_client.close()


def build_sender(runtime: Runtime) -> StaffTelegramSender | None:
    """The outbox's sender factory: needs the bot token."""
    settings = runtime.settings
    if settings.telegram_bot_token is None or not settings.telegram_staff_chat_id:
        return None
    return StaffTelegramSender(settings.telegram_api_base_url,
                               settings.telegram_bot_token.get_secret_value(),
                               client=client_for(runtime))

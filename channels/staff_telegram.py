"""Staff alerts to a Telegram chat (``TELEGRAM_STAFF_CHAT_ID``) through the bot's token.

Plain text only, so one Bot API call (``sendMessage``) over httpx is all it takes; the
person-facing Telegram channel keeps its own sender. A refusal by the staff chat (the bot
was removed, the chat id is wrong) is a setting to fix, not a person to mark unreachable:
it fails the alert with Telegram's reason, which the dashboard shows.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.messages import reply_plain_text
from channels.delivery import Delivery, DeliveryFailed
from channels.text import prefix_within
from plumbing.runtime import Runtime

TEXT_MAX = 4096  # UTF-16 units, as Telegram counts
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def method_url(base_url: str, token: str, method: str) -> str:
    """``TELEGRAM_API_BASE_URL`` (``https://api.telegram.org/bot``) + token + method."""
    trimmed = base_url.rstrip("/")
    base = trimmed if trimmed.endswith("/bot") else base_url
    return f"{base}{token}/{method}"


class StaffTelegramSender:
    """Sends staff alerts as plain messages; thread-safe (httpx clients are)."""

    def __init__(self, base_url: str, token: str, *, client: httpx.Client | None = None) -> None:
        self._url = method_url(base_url, token, "sendMessage")
        self._client = client or httpx.Client(timeout=TIMEOUT)

    def send(self, delivery: Delivery) -> str | None:
        text = "\n\n".join(reply_plain_text(r) for r in delivery.replies).strip()
        if not text:
            raise DeliveryFailed("nothing to send", permanent=True)
        body = {"chat_id": delivery.recipient, "text": prefix_within(text, TEXT_MAX),
                "disable_web_page_preview": True}
        try:
            response = self._client.post(self._url, json=body)
        except httpx.HTTPError as exc:  # never str(exc): the URL holds the bot token
            raise DeliveryFailed(f"Telegram unreachable: {type(exc).__name__}") from None
        answer = _json(response)
        if response.status_code == 200 and answer.get("ok"):
            return str(answer.get("result", {}).get("message_id", "")) or None
        description = str(answer.get("description") or f"HTTP {response.status_code}")[:200]
        if response.status_code == 429:
            retry_after = answer.get("parameters", {}).get("retry_after")
            raise DeliveryFailed(f"Telegram asked to wait: {description}",
                                 retry_after=float(retry_after) if retry_after else None)
        if response.status_code in (401, 404):
            raise DeliveryFailed("Telegram rejected TELEGRAM_BOT_TOKEN", permanent=True)
        if response.status_code in (400, 403):
            raise DeliveryFailed(f"the staff chat refused the alert: {description} "
                                 "(check TELEGRAM_STAFF_CHAT_ID and that the bot is in it)",
                                 permanent=True)
        raise DeliveryFailed(f"Telegram answered {description}")

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def build_sender(runtime: Runtime) -> StaffTelegramSender | None:
    """The outbox's sender factory: needs the bot token."""
    settings = runtime.settings
    if settings.telegram_bot_token is None or not settings.telegram_staff_chat_id:
        return None
    return StaffTelegramSender(settings.telegram_api_base_url,
                               settings.telegram_bot_token.get_secret_value())

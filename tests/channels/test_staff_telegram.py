"""Staff alerts to a Telegram chat, against the local fake of the Bot API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.messages import Text
from channels.delivery import Delivery
from channels.staff_telegram import StaffTelegramSender
from channels.text import utf16_len
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer

STAFF_CHAT = "-1001234567890"


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


def test_an_overlong_alert_is_cut_to_what_telegram_counts_as_4096(
        telegram: FakeTelegramServer) -> None:
    # Telegram counts UTF-16 units: 3,000 emoji are 6,000 of them, though 3,000 characters.
    alert = Delivery(key="staff:x:telegram:1", kind="staff_alert", recipient=STAFF_CHAT,
                     replies=(Text("Handoff: " + "🙏" * 3000),))
    sender = StaffTelegramSender(telegram.base_url, TOKEN)
    try:
        assert sender.send(alert) is not None
    finally:
        sender.close()
    [sent] = telegram.api.sent(int(STAFF_CHAT))
    assert sent["text"].startswith("Handoff: 🙏")
    assert 4094 <= utf16_len(sent["text"]) <= 4096

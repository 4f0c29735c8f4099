"""Telegram webhook bodies that crashed or looped before: each answered 4xx, or handled."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlmodel import select

from bot.models import InboundMessage
from channels.telegram.webhook import SECRET_HEADER
from tests.channels.fake_telegram import TelegramUser
from tests.reliability.test_fuzz_webhooks import SECRET, site  # noqa: F401


def post(app: Any, raw: bytes) -> int:
    return app.test_client().post("/webhooks/telegram", data=raw, content_type="application/json",
                                  headers={SECRET_HEADER: SECRET}).status_code


@pytest.mark.parametrize("raw", [
    b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # RecursionError
    b'{"update_id": 1, "x": ' + b'{"a":' * 50 + b"1" + b"}" * 50 + b"}",  # deep, parses
    b'{"update_id": 5, "message": {"message_id": 1, "date": 99999999999999999999, '
    b'"chat": {"id": 1, "type": "private"}, "text": "hi"}}',  # OverflowError in de_json
    b'{"update_id": 6, "message": {"message_id": 1, "date": -100000000000, '
    b'"chat": {"id": 1, "type": "private"}, "text": "hi"}}',
    b'{"update_id": 7, "message": {"message_id": 1, "date": 1, '
    b'"chat": {"id": "x", "type": "private"}, "text": "hi"}}',  # chat id not a number
    b'{"update_id": 8, "message": {"message_id": 1, "date": 1, '
    b'"chat": {"id": 1, "type": "private"}, "text": 42}}',  # text not a string
    b'{"update_id": 9, "message": "not an object"}',
    b"\xff\xfe not json", b'{"update_id": true}', b'{"update_id": ' + b"9" * 5000 + b"}",
])
def test_unreadable_bodies_get_400_and_a_log_line_without_content(
        site: tuple[Any, Any], raw: bytes, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    app, _ = site
    with caplog.at_level(logging.WARNING):
        assert post(app, raw) == 400
    assert "bad request" in caplog.text or "not a readable update" in caplog.text
    assert "hi" not in caplog.text.replace("hint", "")


def test_a_lone_surrogate_and_control_characters_are_cleaned_and_handled_once(
        site: tuple[Any, Any]) -> None:  # noqa: F811
    app, telegram = site
    user = TelegramUser(telegram.api, 4711, first_name="Am\ud800ina\x00")
    update = user.message("hello \ud800 there\x00\x07")
    raw = json.dumps(update).encode()  # json escapes the surrogate as \\ud800
    assert post(app, raw) == 200
    assert post(app, raw) == 200  # a redelivery: not a 503 loop, and not answered twice
    runtime = app.extensions["consultbot.runtime"]
    with runtime.db.transaction() as session:
        [stored] = session.exec(select(InboundMessage).where(
            InboundMessage.platform_message_id == f"u{update['update_id']}")).all()
    assert runtime.cipher.decrypt(stored.text_enc) == "hello \ufffd there"

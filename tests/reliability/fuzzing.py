"""Posting hostile bodies to the real app (Flask test client) and counting the answers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask, request
from twilio.request_validator import RequestValidator

from channels.telegram.webhook import SECRET_HEADER
from tests.channels.fake_twilio import AUTH_TOKEN, PUBLIC_BASE_URL, SENDER
from tests.reliability.hostile import telegram_bodies, whatsapp_bodies

FORM = "application/x-www-form-urlencoded"


def signed(app: Flask, path: str, raw: bytes) -> str:
    """Twilio's signature for ``raw`` as this app will read it (decoding included)."""
    with app.test_request_context(path, method="POST", data=raw, content_type=FORM):
        return RequestValidator(AUTH_TOKEN).compute_signature(
            f"{PUBLIC_BASE_URL}{path}", request.form)


def fuzz_whatsapp(app: Flask, seed: int, count: int) -> Counter[int]:
    """Answers (status -> how many) to ``count`` signed hostile WhatsApp messages."""
    client, answers = app.test_client(), Counter[int]()
    for _sid, raw in whatsapp_bodies(seed, count, SENDER):
        response = client.post("/webhooks/whatsapp", data=raw, content_type=FORM,
                               headers={"X-Twilio-Signature": signed(app, "/webhooks/whatsapp",
                                                                     raw)})
        answers[response.status_code] += 1
    return answers


def fuzz_telegram(app: Flask, secret: str, seed: int, count: int) -> Counter[int]:
    """Answers (status -> how many) to ``count`` hostile Telegram webhook bodies."""
    client, answers = app.test_client(), Counter[int]()
    for raw in telegram_bodies(seed, count):
        response = client.post("/webhooks/telegram", data=raw,
                               content_type="application/json", headers={SECRET_HEADER: secret})
        answers[response.status_code] += 1
    return answers


def still_alive(app: Flask, telegram_user: Any, secret: str) -> bool:
    """Health is ok and a plain message on each webhook is answered 200."""
    from tests.channels.fake_twilio import TwilioWebhooks, new_sid

    client = app.test_client()
    if "database" in client.get("/readyz").get_json()["failed"]:
        return False
    twilio = TwilioWebhooks(client, AUTH_TOKEN, PUBLIC_BASE_URL)
    whatsapp = twilio.message("+447911999999", "Hello", sid=new_sid()).status_code
    telegram = client.post("/webhooks/telegram", json=telegram_user.message("Hello"),
                           headers={SECRET_HEADER: secret}).status_code
    return whatsapp == 200 and telegram == 200

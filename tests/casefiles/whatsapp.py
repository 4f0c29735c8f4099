"""The person on WhatsApp in the case-file tests: sending files through signed webhooks,
and what Twilio was asked to send back to them."""

from __future__ import annotations

import base64
from datetime import timedelta

from plumbing.clock import ManualClock
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilioApi,
    TwilioWebhooks,
    twiml_bodies,
)

ANNA = "+4915123456789"
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def send_file(webhooks: TwilioWebhooks, url: str, media_type: str, caption: str = "") -> str:
    response = webhooks.post("/webhooks/whatsapp", webhooks.message_fields(
        ANNA, caption, media=[url], media_types=[media_type]))
    assert response.status_code == 200, response.data
    return "\n".join(twiml_bodies(response.data))


def started(webhooks: TwilioWebhooks, clock: ManualClock) -> None:
    webhooks.message(ANNA, "Hello")
    clock.advance(timedelta(seconds=30))


def sent_to_anna(twilio: FakeTwilioApi) -> list[str]:
    return [m.get("Body", "") for m in twilio.messages if m["To"] == f"whatsapp:{ANNA}"]

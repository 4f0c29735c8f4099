"""Logs: text or JSON lines with a request id, an access line per request, never content."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest

from consultbot.access import incoming_id, loggable_path
from consultbot.runtime import Runtime
from consultbot.web import create_app
from plumbing.logs import configure_logging
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    TwilioWebhooks,
)

ANNA = "+447911123456"
CASE_TEXT = "My husband was arrested in Tehran on 3 May"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


@pytest.fixture
def wa_runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                        twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL)


def converse(runtime: Runtime) -> list[str]:
    """A WhatsApp conversation with the case text, a forged request and a status check."""
    client = create_app(runtime).test_client()
    twilio = TwilioWebhooks(client, AUTH_TOKEN, PUBLIC_BASE_URL)
    for text in ("Hello", "1", CASE_TEXT, CASE_TEXT):
        assert twilio.message(ANNA, text).status_code == 200
    forged = twilio.post("/webhooks/whatsapp", twilio.message_fields(ANNA, CASE_TEXT),
                         signature="bm90IGEgcmVhbCBzaWduYXR1cmU=")
    assert forged.status_code == 403
    response = client.get(f"/healthz?who={ANNA}", headers={"X-Request-ID": "lb-check-42"})
    assert response.headers["X-Request-ID"] == "lb-check-42"
    return [response.headers["X-Request-ID"]]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_content_in_either_format_and_every_request_has_an_access_line(
        log_format: str, wa_runtime: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", log_format)
    converse(wa_runtime)
    logged = capsys.readouterr().err
    assert logged.strip()
    for secret in (CASE_TEXT, "Tehran", ANNA, ANNA.lstrip("+"), "Anna", "who="):
        assert secret not in logged
    lines = logged.strip().splitlines()
    if log_format == "json":
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        assert all(set(r) >= {"time", "level", "logger", "message", "request_id"}
                   for r in records)
        access = [r for r in records if r["logger"] == "consultbot.access"]
        assert [a["message"].split()[:3] for a in access][-2:] == [
            ["POST", "/webhooks/whatsapp", "403"], ["GET", "/healthz", "200"]]
        assert access[-1]["request_id"] == "lb-check-42"
        refused = [r for r in records if "refused" in r["message"]]
        assert refused and refused[0]["request_id"] == access[-2]["request_id"]
        assert len({a["request_id"] for a in access}) == len(access) == 6
    else:
        access = [line for line in lines if " consultbot.access [" in line]
        assert len(access) == 6
        assert "[lb-check-42]: GET /healthz 200 " in access[-1]
        assert access[-1].endswith("ms")


def test_a_request_id_is_taken_only_when_it_looks_like_one() -> None:
    assert incoming_id("abc-123_x.y:z") == "abc-123_x.y:z"
    for bad in (None, "", "x" * 65, "has space", "new\nline", "<script>"):
        made = incoming_id(bad)
        assert made != bad and len(made) == 32


def test_the_logged_path_has_no_query_and_no_tokens() -> None:
    token = "Zm9vYmFyYmF6cXV4cXV1eA-_0123"
    assert loggable_path({"PATH_INFO": f"/calendar/{token}.ics"}) == f"/calendar/{token}.ics"
    assert loggable_path({"PATH_INFO": f"/files/{token}/report.pdf"}) == "/files/…/report.pdf"
    assert loggable_path({"PATH_INFO": "/bookings/12", "QUERY_STRING": "q=x"}) == "/bookings/12"
    assert loggable_path({"PATH_INFO": "/" + "a/" * 300}).__len__() == 200

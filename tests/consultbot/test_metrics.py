"""``/metrics``: off without METRICS_TOKEN, bearer-protected, counting what really happened."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from consultbot.runtime import Runtime
from consultbot.web import create_app
from plumbing.clock import ManualClock
from plumbing.metrics import REGISTRY
from plumbing.outbox import enqueue
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    TwilioWebhooks,
)

TOKEN = "metrics-token-for-tests"
ANNA = "+447911123456"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_off_without_a_token(runtime: Runtime) -> None:
    app = create_app(runtime)
    assert app.test_client().get("/metrics").status_code == 404
    assert app.config["AREAS"]["metrics"].startswith("off")


def test_a_scrape_needs_the_bearer_token(make_runtime: Callable[..., Runtime]) -> None:
    client = create_app(make_runtime(metrics_token=TOKEN)).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert (wrong.status_code, wrong.headers["WWW-Authenticate"]) == (401, "Bearer")
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401


def test_counts_messages_turns_rejections_and_reads_the_outbox(
        make_runtime: Callable[..., Runtime], clock: ManualClock) -> None:
    runtime = make_runtime(metrics_token=TOKEN, twilio_account_sid=ACCOUNT_SID,
                           twilio_auth_token=AUTH_TOKEN, twilio_whatsapp_from=SENDER,
                           public_base_url=PUBLIC_BASE_URL)
    client = create_app(runtime).test_client()
    twilio = TwilioWebhooks(client, AUTH_TOKEN, PUBLIC_BASE_URL)
    before = {
        "handled": counted("consultbot_messages_handled_total", channel="whatsapp",
                           outcome="handled"),
        "repeated": counted("consultbot_messages_handled_total", channel="whatsapp",
                            outcome="repeated"),
        "turns": counted("consultbot_turn_seconds_count", channel="whatsapp"),
        "forged": counted("consultbot_webhook_rejections_total", channel="whatsapp",
                          reason="signature"),
        "malformed": counted("consultbot_webhook_rejections_total", channel="whatsapp",
                             reason="malformed"),
    }
    first = twilio.message_fields(ANNA, "Hello", sid="SM" + "1" * 32)
    assert twilio.post("/webhooks/whatsapp", first).status_code == 200
    assert twilio.post("/webhooks/whatsapp", first).status_code == 200  # Twilio's retry
    assert twilio.message(ANNA, "1").status_code == 200
    assert twilio.post("/webhooks/whatsapp", first, signature="Zm9yZ2Vk").status_code == 403
    assert twilio.post("/webhooks/whatsapp", {"From": "nobody"}).status_code == 400
    with runtime.db.transaction() as session:
        enqueue(session, runtime.cipher, key="k1", kind="notice", channel="nowhere",
                recipient="x", replies=[], now=clock())

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    got = samples(response.get_data(as_text=True))
    wa = (("channel", "whatsapp"),)
    assert got[("consultbot_messages_handled_total", (*wa, ("outcome", "handled")))] == \
        before["handled"] + 2
    assert got[("consultbot_messages_handled_total", (*wa, ("outcome", "repeated")))] == \
        before["repeated"] + 1
    assert got[("consultbot_turn_seconds_count", wa)] == before["turns"] + 3
    assert got[("consultbot_webhook_rejections_total", (*wa, ("reason", "signature")))] == \
        before["forged"] + 1
    assert got[("consultbot_webhook_rejections_total", (*wa, ("reason", "malformed")))] == \
        before["malformed"] + 1
    # From the database, so every process reports the same.
    assert got[("consultbot_outbox_due", ())] == 1
    assert got[("consultbot_outbox_messages", (("kind", "notice"), ("status", "pending")))] == 1
    assert ("consultbot_outbox_oldest_due_seconds", ()) in got
    assert ANNA.lstrip("+") not in response.get_data(as_text=True)

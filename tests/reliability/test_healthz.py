"""``/healthz``: the database, the outbox worker's last round and the backlog."""

from __future__ import annotations

from datetime import timedelta

from consultbot.runtime import Runtime
from consultbot.web import create_app
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.outbox import enqueue


def test_reports_backlog_and_the_worker_round(runtime: Runtime, clock: ManualClock) -> None:
    client = create_app(runtime).test_client()
    body = client.get("/healthz").get_json()
    assert body["worker"] == {"state": "not in this process"}
    assert body["outbox"] == {"due": 0, "oldest_due_seconds": None}

    with runtime.db.transaction() as session:
        for n in range(3):
            enqueue(session, runtime.cipher, key=f"k{n}", kind="notice", channel="nowhere",
                    recipient="x", replies=[], now=clock())
    clock.advance(timedelta(seconds=90))
    body = client.get("/healthz").get_json()
    assert body["outbox"] == {"due": 3, "oldest_due_seconds": 90.0}

    class Once:  # the worker's loop, for exactly one round
        def __init__(self) -> None:
            self.waited = False

        def is_set(self) -> bool:
            return self.waited

        def wait(self, seconds: float) -> None:
            self.waited = True

    Worker(runtime, senders={}).run_forever(Once())  # type: ignore[arg-type]
    body = client.get("/healthz").get_json()
    assert body["worker"] == {"state": "ok", "last_round_seconds_ago": 0.0}
    assert body["outbox"]["due"] == 0  # failed as not configured, no longer waiting
    clock.advance(timedelta(minutes=5))
    assert client.get("/healthz").get_json()["worker"]["state"] == "stalled"

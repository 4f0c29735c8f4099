"""``/healthz`` (liveness) and ``/readyz`` (database, key, worker heartbeat, outbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from consultbot.keys import check_keys
from consultbot.runtime import Runtime
from consultbot.web import create_app
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.crypto import Cipher, new_key
from plumbing.outbox import enqueue


class Once:
    """The worker loop's stop event, for exactly one round."""

    def __init__(self) -> None:
        self.waited = False

    def is_set(self) -> bool:
        return self.waited

    def wait(self, seconds: float) -> None:
        self.waited = True


def test_liveness_looks_at_nothing_readiness_names_the_database(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_app(runtime).test_client()
    monkeypatch.setattr(runtime.db, "engine", create_engine("sqlite:////nonexistent/dir/x.db"))
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failing", "failed": ["database"],
                                   "database": "unreachable"}


def test_ready_names_the_worker_and_the_outbox_until_they_are_fine(
        runtime: Runtime, clock: ManualClock) -> None:
    client = create_app(runtime).test_client()
    check_keys(runtime.db, runtime.cipher, clock)
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["failed"] == ["worker"]  # no worker ever finished a round
    assert body["key"] == "ok" and body["database"] == "ok"
    assert body["worker"] == {"state": "never ran", "last_round_seconds_ago": None}

    with runtime.db.transaction() as session:
        for n in range(3):
            enqueue(session, runtime.cipher, key=f"k{n}", kind="notice", channel="nowhere",
                    recipient="x", replies=[], now=clock())
    clock.advance(timedelta(minutes=16))
    body = client.get("/readyz").get_json()
    assert body["failed"] == ["worker", "outbox"]
    assert body["outbox"] == {"state": "behind", "due": 3, "oldest_due_seconds": 960.0,
                              "failed": 0}

    # A worker in another runtime (another process, as `serve --role worker` would be).
    other = Runtime(settings=runtime.settings, db=runtime.db, clock=clock,
                    cipher=runtime.cipher)
    Worker(other, senders={}).run_forever(Once())  # type: ignore[arg-type]
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["failed"] == [] and body["status"] == "ok"
    assert body["worker"] == {"state": "ok", "last_round_seconds_ago": 0.0}
    assert body["outbox"] == {"state": "ok", "due": 0, "oldest_due_seconds": None,
                              "failed": 3}  # failed as "channel not configured"

    clock.advance(timedelta(minutes=3))
    body = client.get("/readyz").get_json()
    assert body["failed"] == ["worker"] and body["worker"]["state"] == "stalled"


def test_a_key_that_cannot_read_the_canary_fails_readiness(
        runtime: Runtime, clock: ManualClock) -> None:
    check_keys(runtime.db, runtime.cipher, clock)
    Worker(runtime, senders={}).run_forever(Once())  # type: ignore[arg-type]
    wrong = Runtime(settings=runtime.settings, db=runtime.db, clock=clock,
                    cipher=Cipher(new_key()))
    response = create_app(wrong).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["key"]


def test_heartbeats_of_long_gone_workers_are_forgotten(runtime: Runtime,
                                                       clock: ManualClock) -> None:
    from sqlalchemy import select

    from plumbing.heartbeat import WorkerHeartbeat, beat

    beat(runtime.db, "old-host:1", clock())
    clock.advance(timedelta(days=8))
    beat(runtime.db, "new-host:2", clock())
    beat(runtime.db, "new-host:2", clock())
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    with runtime.db.engine.connect() as connection:
        assert connection.execute(select(table.c.name)).scalars().all() == ["new-host:2"]

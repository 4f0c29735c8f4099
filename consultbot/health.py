"""``/healthz`` (liveness) and ``/readyz`` (readiness) for load balancers and monitors.

``/healthz`` answers without touching anything: the process is up and serving requests.
``/readyz`` checks what this process needs to do its work, cheaply (a monitor calls it every
few seconds): the database (one connection, aggregates over indexed rows), that the
configured key decrypts the database's key canary, that some outbox worker finished a round
recently (any process: heartbeats are stored, see ``plumbing.heartbeat``), and that the
outbox is not falling behind, and that this process has loaded what turns read
(``consultbot.warmup``). Any failed check makes it ``503`` and names the check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from consultbot.keys import CANARY_TEXT, KeyCanary
from plumbing.crypto import Undecryptable
from plumbing.heartbeat import latest_beat
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.runtime import Runtime

#: A worker round older than this (seconds) makes the worker check fail ("stalled").
STALLED_AFTER = 120.0
#: A message due for longer than this (seconds) makes the outbox check fail ("behind").
BEHIND_AFTER = 900.0


def liveness() -> dict[str, Any]:
    """The process is up (nothing else is looked at)."""
    return {"status": "ok"}


def _key_state(runtime: Runtime, connection: Connection) -> str:
    canary = KeyCanary.__table__  # type: ignore[attr-defined]
    token = connection.execute(select(canary.c.token).limit(1)).scalar()
    if token is None:
        return "unchecked"  # no canary yet: written by the first start's key check
    try:
        return "ok" if runtime.cipher.decrypt(token) == CANARY_TEXT else "wrong"
    except Undecryptable:
        return "wrong"


def readiness(runtime: Runtime, warm_up: str = "ok") -> tuple[bool, dict[str, Any]]:
    """(ready, the JSON body); the body's ``failed`` lists the checks that failed.
    ``warm_up`` is the state of this process's warm-up (``loading``, ``ok``, ``failed``)."""
    now = runtime.clock()
    table = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    due = (select(func.count(), func.min(table.due_at))
           .where(table.status == OutboxStatus.PENDING, table.due_at <= now))
    failed_count = select(func.count()).where(table.status == OutboxStatus.FAILED)
    try:
        with runtime.db.engine.connect() as connection:
            waiting, oldest = connection.execute(due).one()
            failed = connection.execute(failed_count).scalar_one()
            key = _key_state(runtime, connection)
        last = latest_beat(runtime.db)
    except Exception:
        return False, {"status": "failing", "failed": ["database"], "database": "unreachable"}
    oldest_age = round((now - oldest).total_seconds(), 1) if oldest is not None else None
    worker: dict[str, Any] = {"state": "never ran", "last_round_seconds_ago": None}
    if last is not None:
        age = (now - last).total_seconds()
        worker = {"state": "stalled" if age > STALLED_AFTER else "ok",
                  "last_round_seconds_ago": round(age, 1)}
    outbox = {"state": "behind" if oldest_age is not None and oldest_age > BEHIND_AFTER
              else "ok", "due": int(waiting), "oldest_due_seconds": oldest_age,
              "failed": int(failed)}
    failures = [name for name, bad in (("warm_up", warm_up != "ok"), ("key", key == "wrong"),
                                       ("worker", worker["state"] != "ok"),
                                       ("outbox", outbox["state"] != "ok")) if bad]
    return not failures, {"status": "failing" if failures else "ok", "failed": failures,
                          "database": "ok", "warm_up": warm_up, "key": key, "worker": worker,
                          "outbox": outbox}

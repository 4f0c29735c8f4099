"""What ``/healthz`` reports: the database, the outbox worker's last round, the backlog.

Cheap on purpose (a load balancer calls it every few seconds): one connection, one
aggregate over the indexed pending rows, and an in-memory time stamp the worker writes.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from consultbot.runtime import Runtime
from plumbing.outbox import OutboxMessage, OutboxStatus

#: A worker round older than this (seconds) makes the report say "stalled".
STALLED_AFTER = 120.0

_ROUNDS: dict[int, datetime] = {}
_LOCK = threading.Lock()


def record_round(runtime: Runtime, at: datetime) -> None:
    """Called by the worker after each round (only rounds in this process are known)."""
    with _LOCK:
        _ROUNDS[id(runtime)] = at


def last_round(runtime: Runtime) -> datetime | None:
    """When this process's worker last finished a round, if it runs here."""
    with _LOCK:
        return _ROUNDS.get(id(runtime))


def report(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    """(healthy, the JSON body): unhealthy only when the database cannot be reached."""
    now = runtime.clock()
    table = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    backlog = (select(func.count(), func.min(table.due_at))
               .where(table.status == OutboxStatus.PENDING, table.due_at <= now))
    try:
        with runtime.db.engine.connect() as connection:
            waiting, oldest = connection.execute(backlog).one()
    except Exception:
        return False, {"status": "error", "database": "unreachable"}
    if oldest is not None and oldest.tzinfo is None:  # SQLite returns it naive (UTC)
        oldest = oldest.replace(tzinfo=now.tzinfo)
    worker: dict[str, Any] = {"state": "not in this process"}
    last = last_round(runtime)
    if last is not None:
        age = (now - last).total_seconds()
        worker = {"state": "stalled" if age > STALLED_AFTER else "ok",
                  "last_round_seconds_ago": round(age, 1)}
    return True, {
        "status": "ok", "database": "ok", "worker": worker,
        "outbox": {"due": int(waiting),
                   "oldest_due_seconds": round((now - oldest).total_seconds(), 1)
                   if oldest is not None else None},
    }

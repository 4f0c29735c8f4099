"""New messages for open pages: Server-Sent Events, and long polls for browsers without.

A stream or poll waits on an in-process :class:`Notifier` (woken when this process stores a
message for the session) and looks at the database every ``poll_seconds`` as well, so a
message stored by a separate ``consultbot worker`` process arrives within a second. Streams
end after ``WEBCHAT_STREAM_SECONDS``; the browser reconnects with ``Last-Event-ID``, so a
request thread is never held for long.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

Fetch = Callable[[int], list[dict[str, Any]]]


class Notifier:
    """Wakes the streams of a session when a message for it is stored."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: dict[int, int] = {}

    def version(self, session_id: int) -> int:
        with self._condition:
            return self._versions.get(session_id, 0)

    def notify(self, session_id: int) -> None:
        with self._condition:
            self._versions[session_id] = self._versions.get(session_id, 0) + 1
            self._condition.notify_all()

    def wait(self, session_id: int, seen: int, timeout: float) -> None:
        """Until the session's version passes ``seen`` or ``timeout`` seconds pass."""
        with self._condition:
            self._condition.wait_for(lambda: self._versions.get(session_id, 0) != seen,
                                     timeout=timeout)


def event(message: dict[str, Any]) -> str:
    """One SSE event; the message id is the event id (``Last-Event-ID`` on reconnect)."""
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return f"id: {message['id']}\nevent: message\ndata: {data}\n\n"


def wait_for(fetch: Fetch, notifier: Notifier, session_id: int, last_id: int, *,
             seconds: float, poll_seconds: float = 1.0) -> Iterator[list[dict[str, Any]]]:
    """Batches of messages after ``last_id`` as they come, for ``seconds`` at most."""
    deadline = time.monotonic() + seconds
    while True:
        seen = notifier.version(session_id)
        batch = fetch(last_id)
        if batch:
            last_id = int(batch[-1]["id"])
            yield batch
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        notifier.wait(session_id, seen, min(poll_seconds, remaining))


def sse(fetch: Fetch, notifier: Notifier, session_id: int, last_id: int, *,
        seconds: float) -> Iterator[str]:
    """The body of one event stream."""
    yield "retry: 2000\n\n"
    for batch in wait_for(fetch, notifier, session_id, last_id, seconds=seconds):
        for message in batch:
            yield event(message)
    yield ": reconnect\n\n"

"""How far a delivery of several messages got, so that the outbox's retry goes on from there.

A delivery (a reminder with its calendar file, a long text) may become several platform
messages. If the second one fails for a while (a rate limit, an outage), the retry must not
send the first one again. Kept in this process's memory: after a restart a delivery starts
over, which is the outbox's at-least-once window anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from channels.delivery import DeliveryFailed

T = TypeVar("T")


class DeliveryProgress:
    """Per outbox key, how many of its messages went out; thread-safe."""

    def __init__(self) -> None:
        self._sent: dict[str, int] = {}
        self._lock = threading.Lock()

    def sent_before(self, key: str, planned: int) -> int:
        """How many of the ``planned`` messages an earlier attempt sent (0 if the plan changed)."""
        with self._lock:
            sent = self._sent.get(key, 0)
        return sent if sent < planned else 0

    def record(self, key: str, sent: int) -> None:
        """``sent`` messages of this delivery have gone out."""
        with self._lock:
            if sent:
                self._sent[key] = sent
            else:
                self._sent.pop(key, None)

    def forget(self, key: str) -> None:
        """The delivery is over: sent, or failed for good."""
        with self._lock:
            self._sent.pop(key, None)

    def send_all(self, key: str, messages: Sequence[T], send_one: Callable[[T], str]
                 ) -> str | None:
        """Send ``messages`` in order from where an earlier attempt stopped; return the last
        message's id. A :class:`DeliveryFailed` worth retrying keeps the place."""
        last_id: str | None = None
        for index in range(self.sent_before(key, len(messages)), len(messages)):
            try:
                last_id = send_one(messages[index])
            except DeliveryFailed as failed:
                if failed.permanent:
                    self.forget(key)
                else:
                    self.record(key, index)
                raise
            self.record(key, index + 1)
        self.forget(key)
        return last_id

"""Telegram's sending limits: about 30 messages a second overall, one a second per chat, and
the pause a ``RetryAfter`` asks for."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


def retry_seconds(exc: RetryAfter) -> float:
    """The pause Telegram asked for, in seconds (an int or a timedelta, by PTB setting)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class RateLimiter:
    """Spaces messages out: ``per_second`` overall, ``chat_interval`` seconds within one chat.

    Thread-safe: each caller reserves the next free instant and sleeps until it, so the
    outbox's worker threads share one budget. ``clock`` and ``sleep`` are injectable.
    """

    def __init__(
        self,
        *,
        per_second: float = 30.0,
        chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._spacing = 1.0 / per_second
        self._chat_interval = chat_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_any = 0.0
        self._next_chat: dict[str, float] = {}

    def wait(self, chat_id: int | str) -> float:
        """Block until a message to ``chat_id`` may go; return how long that was."""
        key = str(chat_id)
        with self._lock:
            now = self._clock()
            start = max(now, self._next_any, self._next_chat.get(key, now))
            self._next_any = start + self._spacing
            self._next_chat[key] = start + self._chat_interval
            if len(self._next_chat) > 10_000:
                self._next_chat = {k: t for k, t in self._next_chat.items() if t > now}
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay

    def pause(self, seconds: float, chat_id: int | str | None = None) -> None:
        """Hold everything (or one chat) back for ``seconds``, as a ``RetryAfter`` asks."""
        with self._lock:
            until = self._clock() + seconds
            if chat_id is None:
                self._next_any = max(self._next_any, until)
            else:
                key = str(chat_id)
                self._next_chat[key] = max(self._next_chat.get(key, 0.0), until)

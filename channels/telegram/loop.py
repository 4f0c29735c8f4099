"""An asyncio event loop running in a background thread, for python-telegram-bot's coroutines
in a program (Flask, the outbox worker) whose own code is synchronous."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """One event loop in one daemon thread; coroutines are handed to it from any thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def ensure_started(self) -> None:
        """Start the thread if it is not running yet."""
        with self._lock:
            if not self._thread.is_alive() and not self.loop.is_closed():
                self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule ``coroutine`` on the loop and return a future for its result."""
        self.ensure_started()
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        return self.submit(coroutine).result(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the loop, wait for the thread and release the loop."""
        with self._lock:
            if self._thread.is_alive():
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(timeout)
            if not self.loop.is_running() and not self.loop.is_closed():
                self.loop.close()

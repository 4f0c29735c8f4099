"""Lets the webhook answer Telegram only once an update has been handled.

Each webhook request registers a future under its update id before queueing the update. A
:class:`~telegram.ext.TypeHandler` in a group after the conversation handlers resolves the
update's futures with True once those handlers have returned; an error handler resolves them
with False first if one of them raised (python-telegram-bot still runs the later groups after
an error). Every update passes the later group, whether or not a conversation handler took
it (group chats, edited messages), so no future waits for an update that is never handled.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

#: The handler group that runs after the conversation handlers (group 0).
DONE_GROUP = 1


class UpdateWaiters:
    """Futures kept per update id, resolved on the application's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, list[Future[bool]]] = {}

    def attach(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Resolve this object's futures from ``application``'s handling."""
        application.add_handler(TypeHandler(Update, self._on_done), group=DONE_GROUP)
        application.add_error_handler(self._on_error)

    def expect(self, update_id: int) -> Future[bool]:
        """A future for ``update_id``: True once handled, False if a handler failed."""
        future: Future[bool] = Future()
        with self._lock:
            self._waiting.setdefault(update_id, []).append(future)
        return future

    def forget(self, update_id: int, future: Future[bool]) -> None:
        """Stop keeping ``future`` (called whether it resolved, timed out or failed)."""
        with self._lock:
            futures = self._waiting.get(update_id)
            if futures is not None and future in futures:
                futures.remove(future)
                if not futures:
                    del self._waiting[update_id]

    def fail_all(self, error: BaseException) -> None:
        """Resolve every waiting future with ``error`` (the channel stopped)."""
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for futures in waiting.values():
            for future in futures:
                if not future.done():
                    future.set_exception(error)

    def __len__(self) -> int:
        """How many futures are kept."""
        with self._lock:
            return sum(len(futures) for futures in self._waiting.values())

    def _resolve(self, update_id: int, handled: bool) -> None:
        with self._lock:
            futures = self._waiting.pop(update_id, [])
        for future in futures:
            if not future.done():
                future.set_result(handled)

    async def _on_done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._resolve(update.update_id, True)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            self._resolve(update.update_id, False)

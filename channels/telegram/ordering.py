"""Updates of one chat one after another, in the order they arrived; chats side by side."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

#: Large enough that python-telegram-bot's own semaphore never makes an update wait: the order
#: of arrival is fixed by :meth:`PerChatUpdateProcessor.do_process_update` before any await.
_ADMISSION = 100_000


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Chains each update behind the previous update of its chat; ``workers`` run at once.

    The application starts one task per update in queue order; each reaches
    :meth:`do_process_update` without suspending, so each chat's chain is in arrival order.
    A waiting update does not hold a worker, so a slow chat never blocks the others.
    """

    def __init__(self, workers: int = 8) -> None:
        super().__init__(_ADMISSION)
        self._workers_count = workers
        self._workers: asyncio.Semaphore | None = None
        self._tails: dict[int, asyncio.Future[None]] = {}

    async def initialize(self) -> None:
        self._workers = asyncio.Semaphore(self._workers_count)

    async def shutdown(self) -> None:
        self._tails.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        previous = self._tails.get(key) if key is not None else None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if key is not None:
            self._tails[key] = done
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)
            if self._workers is None:
                self._workers = asyncio.Semaphore(self._workers_count)
            async with self._workers:
                started = True
                await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting its turn
            done.set_result(None)
            if key is not None and self._tails.get(key) is done:
                del self._tails[key]


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None

"""One chat's updates in order, different chats side by side, through the application's
update queue as polling and the webhook feed it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from bot.engine import Bot, Handled
from bot.messages import Inbound
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from tests.channels.fake_telegram import TOKEN
from tests.channels.telegram_harness import Harness
from tests.fixtures import close_runtime, runtime_for


class GatedBot(Bot):
    """The real core, except that one person's first message waits for a gate."""

    def __init__(self, runtime: Runtime, held_user: str) -> None:
        super().__init__(runtime)
        self.held_user = held_user
        self.gate = threading.Event()
        self.order: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    def receive(self, inbound: Inbound) -> Handled:
        with self._lock:
            self.order.append((inbound.user_id, inbound.text))
        if inbound.user_id == self.held_user and inbound.text == "first":
            assert self.gate.wait(10)
        return super().receive(inbound)


@pytest.fixture
def runtime(any_database_url: str, clock: ManualClock) -> Iterator[Runtime]:
    """SQLite, and the local PostgreSQL when TEST_POSTGRES_URL is set."""
    rt = runtime_for(database_url=any_database_url, data_encryption_key=new_key(),
                                     telegram_bot_token=TOKEN, clock=clock)
    yield rt
    close_runtime(rt)


def test_one_chat_in_order_while_another_chat_goes_ahead(runtime: Runtime) -> None:
    bot = GatedBot(runtime, held_user="7001")
    harness = Harness(runtime, bot=bot)
    slow, quick = harness.user(7001), harness.user(7002)
    updates = [harness.update(slow.message(text)) for text in ("first", "second", "third")]
    updates.append(harness.update(quick.message("/start")))
    app, api = harness.app, harness.api

    async def scenario() -> None:
        await app.start()
        for update in updates:
            await app.update_queue.put(update)
        # The quick chat is answered while the slow chat's first message is still held.
        answered = await asyncio.to_thread(api.wait_for, lambda: bool(api.sent(7002)), 10)
        assert answered
        assert [text for user, text in bot.order if user == "7001"] == ["first"]
        assert api.sent(7001) == []
        bot.gate.set()
        await asyncio.wait_for(app.update_queue.join(), 10)
        await app.stop()

    try:
        harness.loop.run_until_complete(scenario())
    finally:
        harness.close()
    assert [text for user, text in bot.order if user == "7001"] == ["first", "second", "third"]
    assert harness.errors == []


def test_the_same_update_twice_in_the_queue_is_answered_once(runtime: Runtime) -> None:
    harness = Harness(runtime)
    user = harness.user(7003)
    data = user.message("/start")
    app = harness.app

    async def scenario() -> None:
        await app.start()
        await app.update_queue.put(harness.update(data))
        await app.update_queue.put(harness.update(data))  # a webhook retry, arriving at once
        await asyncio.wait_for(app.update_queue.join(), 10)
        await app.stop()

    try:
        harness.loop.run_until_complete(scenario())
    finally:
        harness.close()
    assert len(harness.api.sent(7003)) == 1
    assert harness.errors == []

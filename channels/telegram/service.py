"""The Telegram channel while it runs: the PTB application on its own event-loop thread,
fed by long polling or by the webhook endpoint.

Start-up (``getMe``, ``setMyCommands``, then polling or ``setWebhook``) runs in the
background and retries while Telegram is unreachable, so ``consultbot serve`` starts
at once. Stopping processes the updates already taken in; a webhook request still waiting
then (its update dropped, or stuck) is told the channel is not running.

In webhook mode :meth:`TelegramService.submit` returns only once the update has been handled
(stored by the core and its replies sent), so Telegram's POST is answered after that.

Long polling confirms an update (``getUpdates`` with a higher ``offset``) only once it has
been handled the same way: the updates of one batch are handled (in order per chat), then
the offset moves past the handled ones up to the first that failed (the database did not
take it, say). That one and the later ones are fetched again after a pause (back-off with
jitter); those already handled are recognised by their update id and not answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.engine import Bot
from channels.telegram import ALLOWED_UPDATES
from channels.telegram.application import TelegramConversations, build_application
from channels.telegram.client import loop_for
from channels.telegram.commands import register_commands
from channels.telegram.waiters import UpdateWaiters
from plumbing.runtime import Runtime, Slot

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: How long a webhook request waits for its update to be handled before asking for a retry.
ANSWER_WITHIN = 25.0


class NotRunning(Exception):
    """The channel has not finished starting, or has stopped."""


class BadUpdate(ValueError):
    """The body passed the webhook's checks but python-telegram-bot cannot read it."""


class NotHandled(Exception):
    """An update was taken in but not handled in time, or its handling failed.

    Telegram should deliver it again: the core's de-duplication by update id makes a second
    delivery of an update already handled change nothing and send nothing.
    """


class TelegramService:
    """One running Telegram channel (``mode`` polling or webhook) for one runtime."""

    def __init__(
        self,
        runtime: Runtime,
        bot: Bot,
        *,
        mode: str | None = None,
        request: BaseRequest | None = None,
        conversations: TelegramConversations | None = None,
        retry_delays: Sequence[float] = _RETRY_DELAYS,
        poll_timeout: float = 10.0,
        answer_within: float = ANSWER_WITHIN,
    ) -> None:
        self.runtime = runtime
        self.bot = bot
        self.mode = mode or runtime.settings.telegram_mode
        self._request = request
        token = runtime.settings.telegram_bot_token
        self._token = token.get_secret_value() if token else ""
        self._conversations = conversations
        self._retry_delays = tuple(retry_delays)
        self._poll_timeout = poll_timeout
        #: Seconds :meth:`submit` waits for an update to be handled.
        self.answer_within = answer_within
        self.waiters = UpdateWaiters()
        self._loop = loop_for(runtime)  # shared with the runtime's other Telegram sends
        self._stop_event = asyncio.Event()
        self._ready: Future[str] = Future()
        self._main: Future[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        #: The next ``getUpdates`` offset: every update below it has been handled.
        self.offset = 0
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None

    # -- life cycle, called from ordinary threads ------------------------------------------

    def start(self) -> None:
        """Begin starting in the background; :meth:`wait_started` waits for it."""
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token
        if self._main is None:
            self._main = self._loop.submit(self._run())

    def wait_started(self, timeout: float | None = None) -> str:
        """Wait until updates are being taken in; return the bot's username."""
        return self._ready.result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking updates, finish the ones taken, and release the application (the
        loop thread stays: it is the runtime's)."""
        if self._main is not None:
            self._loop.loop.call_soon_threadsafe(self._stop_event.set)
            with contextlib.suppress(Exception):  # already logged by _run
                self._main.result(timeout)
        self.runtime.services.discard(SERVICE, self)

    @property
    def running(self) -> bool:
        """Whether updates are being taken in."""
        return self.application is not None and self.application.running

    def submit(self, data: dict[str, Any]) -> None:
        """Hand an update received by the webhook to the application and wait until it has
        been handled: the core's transaction committed and the replies sent.

        Raises :class:`NotRunning` if the channel is not (or no longer) running and
        :class:`NotHandled` if handling failed or took longer than :attr:`answer_within`
        seconds (the update may still be handled later; a redelivery then changes nothing).
        """
        application = self.application
        if application is None or not application.running:
            raise NotRunning("the Telegram channel is not running")
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:  # PTB raises whatever the field's parser raises
            raise BadUpdate(f"update {data.get('update_id')} is not readable") from exc
        waiter = self.waiters.expect(update.update_id)
        try:
            self._loop.run(application.update_queue.put(update), timeout=10)
            handled = waiter.result(self.answer_within)
        except TimeoutError:
            raise NotHandled(f"update {update.update_id} not handled in time") from None
        finally:
            self.waiters.forget(update.update_id, waiter)
        if not handled:
            raise NotHandled(f"update {update.update_id} failed")

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every update taken in so far has been handled (tests, shutdown)."""
        application = self.application
        if application is not None:
            self._loop.run(asyncio.wait_for(application.update_queue.join(), timeout))

    # -- on the loop thread ----------------------------------------------------------------

    async def _run(self) -> None:
        application = None
        try:
            application = await self._start_application()
            if application is not None:
                self.application = application
                self._ready.set_result(application.bot.username)
                await self._stop_event.wait()
        except Exception as exc:
            log.error("Telegram channel stopped: %s", _describe(exc, self._token))
            if not self._ready.done():
                self._ready.set_exception(exc)
        finally:
            if application is not None:
                await self._stop_application(application)
            self.application = None
            self.waiters.fail_all(NotRunning("the Telegram channel stopped"))
            if not self._ready.done():
                self._ready.set_exception(NotRunning("stopped before it started"))

    async def _start_application(self) -> Application[Any, Any, Any, Any, Any, Any] | None:
        webhook = self.mode == "webhook"
        application = build_application(  # no PTB updater: it confirms before handling
            self.runtime, self.bot, webhook=True, request=self._request,
            conversations=self._conversations)
        self.waiters.attach(application)
        if not await self._retrying("connect", application.initialize):
            return None
        try:
            await register_commands(application.bot)
        except TelegramError as exc:
            log.warning("could not register the command menu: %s", _describe(exc, self._token))
        await application.start()
        if webhook:
            started = await self._retrying("set the webhook",
                                           lambda: self._set_webhook(application))
        else:
            started = await self._retrying("start polling", lambda: self._poll(application))
        if not started:
            await application.stop()
            await application.shutdown()
            return None
        log.info("Telegram channel on (%s) as @%s", self.mode, application.bot.username)
        return application

    async def _set_webhook(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        settings = self.runtime.settings
        secret = settings.telegram_webhook_secret
        await application.bot.set_webhook(
            webhook_url(settings.public_base_url or ""),
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=list(ALLOWED_UPDATES),
        )

    async def _poll(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await application.bot.delete_webhook(drop_pending_updates=False)
        self._poller = asyncio.create_task(self._poll_loop(application))

    async def _poll_loop(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Fetch, handle, then confirm: an update is confirmed only once it was handled."""
        failures = 0
        while not self._stop_event.is_set():
            try:
                updates = await application.bot.get_updates(
                    offset=self.offset or None, timeout=int(self._poll_timeout),
                    allowed_updates=list(ALLOWED_UPDATES))
            except TelegramError as exc:
                failures += 1
                log.warning("getUpdates failed (%s)", _describe(exc, self._token))
                await self._pause(failures)
                continue
            if not updates:
                continue
            handled = await self._handle_batch(application, updates)
            done = next((n for n, ok in enumerate(handled) if not ok), len(updates))
            if done:
                self.offset = updates[done - 1].update_id + 1
            if done < len(updates):
                failures += 1
                log.warning("telegram update %s not handled; fetched again later",
                            updates[done].update_id)
                await self._pause(failures)
            else:
                failures = 0

    async def _handle_batch(self, application: Application[Any, Any, Any, Any, Any, Any],
                            updates: Sequence[Update]) -> list[bool]:
        """Queue the updates and wait for each: True once handled, False if it failed."""
        expected = [(u.update_id, self.waiters.expect(u.update_id)) for u in updates]
        for update in updates:
            await application.update_queue.put(update)
        results = []
        for update_id, waiter in expected:
            try:
                results.append(await asyncio.wait_for(asyncio.wrap_future(waiter),
                                                      self.answer_within))
            except (TimeoutError, NotRunning):
                results.append(False)
            finally:
                self.waiters.forget(update_id, waiter)
        return results

    async def _pause(self, failures: int) -> None:
        """Back off before fetching again: the retry delays, with jitter, until stopped."""
        delay = self._retry_delays[min(failures - 1, len(self._retry_delays) - 1)]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), delay * random.uniform(0.5, 1.0))

    async def _retrying(self, what: str, action: Callable[[], Awaitable[Any]]) -> bool:
        """Run ``action``, retrying network failures until it works or stop is asked for."""
        attempt = 0
        while not self._stop_event.is_set():
            try:
                await action()
                return True
            except InvalidToken:
                raise InvalidToken("Telegram rejected TELEGRAM_BOT_TOKEN") from None
            except TelegramError as exc:
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                log.warning("could not %s (%s); retrying in %.0f s", what,
                            _describe(exc, self._token), delay)
                attempt += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_event.wait(), delay)
        return False

    async def _stop_application(
        self, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
            if self.offset:  # confirm what was handled, fetching nothing new
                with contextlib.suppress(TelegramError):
                    await application.bot.get_updates(offset=self.offset, timeout=0, limit=1,
                                                      allowed_updates=list(ALLOWED_UPDATES))
        if application.running:
            await application.stop()
        await application.shutdown()


def webhook_url(public_base_url: str) -> str:
    """Where Telegram posts updates."""
    return public_base_url.rstrip("/") + WEBHOOK_PATH


def _describe(exc: BaseException, token: str = "") -> str:
    """An error for the log, without the token (PTB puts it into some messages)."""
    if isinstance(exc, InvalidToken):
        return type(exc).__name__
    text = f"{type(exc).__name__}: {exc}"
    return text.replace(token, "<token>") if token else text


# -- one service per runtime, shared by the webhook endpoint and ``consultbot serve`` -------

SERVICE: Slot[TelegramService] = Slot("telegram service")


def service_for(runtime: Runtime, bot: Bot) -> TelegramService:
    """The runtime's Telegram service, created (not started) on first use."""
    return runtime.services.get(SERVICE, lambda: TelegramService(runtime, bot))

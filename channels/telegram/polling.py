"""Starting the Telegram channel: beside the web app (``consultbot serve``) or on its own
(``consultbot telegram``, long polling only)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.engine import Bot
from channels.telegram.service import TelegramService, service_for
from channels.telegram.webhook import webhook_problem
from plumbing.runtime import Runtime


def start(runtime: Runtime, bot: Bot, areas: dict[str, str]) -> Callable[[], None] | None:
    """``consultbot serve``'s background service: poll, or set the webhook the app serves."""
    settings = runtime.settings
    if not settings.telegram_enabled:
        return None
    if settings.telegram_mode == "webhook" and webhook_problem(settings) is not None:
        return None  # the web area already says what is missing
    service = service_for(runtime, bot)
    service.start()
    return service.stop


def poll_until_stopped(
    runtime: Runtime,
    bot: Bot,
    stop: threading.Event,
    *,
    on_started: Callable[[str], None] = lambda username: None,
    started_within: float = 60.0,
) -> None:
    """Long-poll until ``stop`` is set; ``on_started`` gets the bot's username.

    Raises what kept the channel from starting (e.g. a rejected token).
    """
    service = TelegramService(runtime, bot, mode="polling")
    service.start()
    try:
        on_started(service.wait_started(started_within))
        stop.wait()
    finally:
        service.stop()

"""Starting the Telegram channel: beside the web app (``consultbot serve``) or on its own
(``consultbot telegram``, long polling only). The Telegram library is imported only once the
channel is on."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.engine import Bot
from channels.telegram.webhook import webhook_problem
from plumbing.runtime import Runtime


def start(runtime: Runtime, bot: Bot, areas: dict[str, str]) -> Callable[[], None] | None:
    """Both parts in one process (``consultbot serve --role all``): whichever the mode needs."""
    return start_webhook(runtime, bot, areas) or start_polling(runtime, bot, areas)


def start_webhook(runtime: Runtime, bot: Bot, areas: dict[str, str]
                  ) -> Callable[[], None] | None:
    """Every web process's part in webhook mode: the service the webhook hands updates to
    (each sets the same webhook at start, which Telegram takes as one)."""
    settings = runtime.settings
    if not settings.telegram_enabled or settings.telegram_mode != "webhook" or \
            webhook_problem(settings) is not None:  # the web area already says what is missing
        return None
    from channels.telegram.service import service_for

    service = service_for(runtime, bot)
    service.start()
    return service.stop


def start_polling(runtime: Runtime, bot: Bot, areas: dict[str, str]
                  ) -> Callable[[], None] | None:
    """The poller, in one process only (two would take each other's updates away)."""
    settings = runtime.settings
    if not settings.telegram_enabled or settings.telegram_mode != "polling":
        return None
    from channels.telegram.service import service_for

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
    from channels.telegram.service import TelegramService

    service = TelegramService(runtime, bot, mode="polling")
    service.start()
    try:
        on_started(service.wait_started(started_within))
        stop.wait()
    finally:
        service.stop()

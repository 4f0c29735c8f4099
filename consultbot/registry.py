"""Every channel and web area the composition root wires in, as real imports.

A channel contributes up to three things: a webhook (``attach(app, runtime, bot)``), a
sender for messages sent first (``build_sender(runtime) -> Sender | None``) and background
services (``start(runtime, bot, areas)`` returning a function that stops it, or None when
its settings leave it off): one that every web process runs beside its webhook, and a poller
that one process of the deployment runs (``consultbot serve --role all|telegram``). Adding a
channel is one entry in :data:`CHANNELS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from flask import Flask

import channels.email_sender
import channels.files
import channels.telegram.polling
import channels.telegram.webhook
import channels.webchat.sender
import channels.webchat.web
import channels.whatsapp.media
import channels.whatsapp.questions
import channels.whatsapp.sender
import channels.whatsapp.webhook
import dashboard.web
from bot.casefiles.fetching import Fetcher
from bot.engine import Bot
from channels.delivery import Sender
from consultbot.metrics import MeasuredBot
from plumbing.runtime import Runtime

if TYPE_CHECKING:
    from channels.staff_telegram import StaffTelegramSender
    from channels.telegram.media import TelegramFiles
    from channels.telegram.sender import TelegramSender

T = TypeVar("T")
AttachArea = Callable[[Flask, Runtime, Bot], None]
SenderFactory = Callable[[Runtime], Sender | None]
StartBackground = Callable[[Runtime, Bot, dict[str, str]], Callable[[], None] | None]


@dataclass(frozen=True)
class Channel:
    """What one channel plugs into the app, the outbox worker and ``serve``."""

    name: str
    webhook: AttachArea | None = None
    sender: SenderFactory | None = None
    background: StartBackground | None = None
    #: Fetches the platform's updates itself; one per deployment.
    poller: StartBackground | None = None
    #: Housekeeping the outbox worker runs every round, e.g. dropping old records.
    periodic: Callable[[Runtime], object] | None = None
    #: Fetches the files people send (``bot.casefiles.fetching.Fetcher``), when configured.
    fetcher: Callable[[Runtime], Fetcher | None] | None = None


# Without a bot token nothing of Telegram's is built, and its library (0.15 s, 19 MiB) is
# not even imported: its factories below import their modules only when a token is set.

def _telegram_sender(runtime: Runtime) -> TelegramSender | None:
    if runtime.settings.telegram_bot_token is None:
        return None
    import channels.telegram.sender
    return channels.telegram.sender.build_sender(runtime)


def _telegram_fetcher(runtime: Runtime) -> TelegramFiles | None:
    if runtime.settings.telegram_bot_token is None:
        return None
    import channels.telegram.media
    return channels.telegram.media.build_fetcher(runtime)


def _staff_telegram_sender(runtime: Runtime) -> StaffTelegramSender | None:
    if runtime.settings.telegram_bot_token is None:
        return None
    import channels.staff_telegram
    return channels.staff_telegram.build_sender(runtime)


CHANNELS: tuple[Channel, ...] = (
    Channel("whatsapp", webhook=channels.whatsapp.webhook.attach,
            sender=channels.whatsapp.sender.build_sender,
            periodic=channels.whatsapp.questions.forget_old,
            fetcher=channels.whatsapp.media.build_fetcher),
    Channel("telegram", webhook=channels.telegram.webhook.attach,
            sender=_telegram_sender,
            background=channels.telegram.polling.start_webhook,
            poller=channels.telegram.polling.start_polling,
            fetcher=_telegram_fetcher),
    Channel("staff_telegram", sender=_staff_telegram_sender),
    Channel("email", sender=channels.email_sender.build_sender),
    Channel("webchat", webhook=channels.webchat.web.attach,
            sender=channels.webchat.sender.build_sender),
)

#: Web areas that are not channels: the staff dashboard and the published files.
WEB_AREAS: tuple[AttachArea, ...] = (dashboard.web.attach, channels.files.attach)


def build_bot(runtime: Runtime) -> Bot:
    """The flow the channels share, with the web chat's linking codes (web chat <->
    WhatsApp/Telegram) recognised before it (``channels.webchat.linking``), measured for
    ``/metrics``."""
    return MeasuredBot(runtime)


def web_areas() -> list[AttachArea]:
    """Every area to attach to the web app: the channels' webhooks, then the others."""
    return [c.webhook for c in CHANNELS if c.webhook is not None] + list(WEB_AREAS)


def _configured(runtime: Runtime, factories: dict[str, Callable[[Runtime], T | None]]
                ) -> dict[str, T]:
    """What each factory builds with these settings, by channel; ``None`` (not configured)
    left out."""
    built = {name: factory(runtime) for name, factory in factories.items()}
    return {name: thing for name, thing in built.items() if thing is not None}


def build_senders(runtime: Runtime) -> dict[str, Sender]:
    """A sender for every channel whose settings are complete."""
    return _configured(runtime, {c.name: c.sender for c in CHANNELS if c.sender is not None})


def periodic_jobs() -> list[tuple[str, Callable[[Runtime], object]]]:
    """The channels' housekeeping for each worker round, named for the log."""
    return [(f"{c.name} housekeeping", c.periodic) for c in CHANNELS if c.periodic is not None]


def build_fetchers(runtime: Runtime) -> dict[str, Fetcher]:
    """A file fetcher for every channel that receives files and is configured."""
    return _configured(runtime, {c.name: c.fetcher for c in CHANNELS if c.fetcher is not None})


def backgrounds() -> list[StartBackground]:
    """The channels' services every web process runs beside its webhooks."""
    return [c.background for c in CHANNELS if c.background is not None]


def pollers() -> list[StartBackground]:
    """The channels' pollers, for the one process that polls."""
    return [c.poller for c in CHANNELS if c.poller is not None]

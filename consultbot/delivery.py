"""How proactive messages reach a platform: one ``Sender`` per channel.

Channels provide a factory ``fn(runtime) -> Sender | None`` (None when their settings
leave them off) and list it in :data:`SENDER_FACTORIES`; the outbox worker uses them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.messages import Reply
    from consultbot.runtime import Runtime

#: channel name -> "module:factory"
SENDER_FACTORIES: dict[str, str] = {
    "whatsapp": "channels.whatsapp.sender:build_sender",
    "staff_telegram": "channels.staff_telegram:build_sender",
    "email": "channels.email_sender:build_sender",
    "telegram": "channels.telegram.sender:build_sender",
    "webchat": "channels.webchat.sender:build_sender",
}


@dataclass(frozen=True)
class Template:
    """A pre-approved message for channels with a messaging window (WhatsApp's 24 hours).

    ``name`` is a template kind (``reminder``, ``notice``); ``variables`` fill it in order.
    """

    name: str
    variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """One stored outbox message, ready to send."""

    key: str
    kind: str
    recipient: str
    replies: tuple[Reply, ...]
    template: Template | None = None
    last_inbound_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DeliveryFailed(Exception):
    """Sending did not work. ``permanent`` ends the retries; ``unreachable`` marks the person
    (they blocked the bot); ``retry_after`` (seconds) is the platform's requested pause."""

    def __init__(self, reason: str, *, permanent: bool = False, unreachable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent or unreachable
        self.unreachable = unreachable
        self.retry_after = retry_after


class Sender(Protocol):
    """Sends deliveries on one channel; returns the platform's message id if it gives one."""

    def send(self, delivery: Delivery) -> str | None: ...


def build_senders(runtime: Runtime) -> dict[str, Sender]:
    """A sender for every channel whose settings are complete."""
    senders: dict[str, Sender] = {}
    for channel, dotted in SENDER_FACTORIES.items():
        module_name, _, function = dotted.partition(":")
        sender = getattr(importlib.import_module(module_name), function)(runtime)
        if sender is not None:
            senders[channel] = sender
    return senders

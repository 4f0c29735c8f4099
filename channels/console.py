"""The terminal channel: talk to the bot as on a phone, choices as numbered lines."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from bot.engine import Bot
from bot.messages import Document, Inbound, Reply, reply_plain_text

CHANNEL = "console"


def render(replies: Iterable[Reply]) -> str:
    """Replies as terminal text: numbered choices, documents by name or link."""
    parts = []
    for reply in replies:
        if isinstance(reply, Document) and reply.url is None:
            parts.append(f"{reply.caption} [{reply.filename}, {len(reply.content or b'')} bytes]")
        else:
            parts.append(reply_plain_text(reply))
    return "\n\n".join(parts)


class ConsoleChannel:
    """One person at the terminal; their conversation persists between runs."""

    def __init__(self, bot: Bot, user_id: str = "local", *, language_hint: str | None = None):
        self.bot = bot
        self.user_id = user_id
        self.language_hint = language_hint

    def send(self, text: str, *, message_id: str | None = None) -> str:
        """Deliver one line the person typed and return the bot's answer as text."""
        inbound = Inbound(
            channel=CHANNEL,
            user_id=self.user_id,
            message_id=message_id or uuid.uuid4().hex,
            text=text,
            language_hint=self.language_hint,
        )
        return render(self.bot.handle(inbound))

    def run(self, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
        """Read lines until end of input or ``/quit``, printing each answer."""
        write(self.send("/start") if self._is_new() else self.send("/menu"))
        while True:
            try:
                line = read("> ")
            except (EOFError, KeyboardInterrupt):
                write("")
                return
            if line.strip() in {"/quit", "/exit"}:
                return
            if line.strip():
                write(self.send(line))

    def _is_new(self) -> bool:
        from bot.identifiers import find_conversation

        with self.bot.runtime.db.transaction() as session:
            found = find_conversation(session, self.bot.runtime.cipher, CHANNEL, self.user_id)
        return found is None

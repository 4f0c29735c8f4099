"""What the Telegram channel reads and marks in the conversation tables."""

from __future__ import annotations

from bot.identifiers import find_conversation
from channels.telegram import CHANNEL
from plumbing.runtime import Runtime


def message_id(update_id: int) -> str:
    """The engine's message id for an update: a redelivered update keeps it."""
    return f"u{update_id}"


def mark_unreachable(runtime: Runtime, chat_id: int | str) -> bool:
    """Note that the person blocked the bot; False if we have no conversation with them."""
    with runtime.db.transaction() as session:
        conversation = find_conversation(session, runtime.cipher, CHANNEL, str(chat_id))
        if conversation is None:
            return False
        conversation.unreachable = True
        session.add(conversation)
    return True

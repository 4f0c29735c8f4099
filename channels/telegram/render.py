"""Replies as Telegram messages: texts within 4096 characters, choices as inline keyboards,
documents through ``sendDocument``.

Consecutive texts are joined into one message (fewer messages, within Telegram's per-chat
pace) and a question's keyboard goes on the last part of its text.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message

from bot.messages import Choice, Choices, Document, Reply, Text
from channels.text import split_text as text_parts
from channels.text import utf16_len as telegram_length

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
_CALLBACK = re.compile(r"^([0-9a-f]*)([:#])(.*)$", re.DOTALL)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut ``text`` into parts within ``limit``, preferring paragraph, line and word breaks."""
    return text_parts(text, limit)


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: text (with an optional keyboard) or a document."""

    text: str = ""
    choices: Choices | None = None
    document: Document | None = None
    #: False: no preview of the first link (staff alerts, whose link is the dashboard's).
    link_preview: bool = True


def plan_messages(replies: Sequence[Reply]) -> list[Outgoing]:
    """The messages that carry ``replies``, in order."""
    planned: list[Outgoing] = []
    pending: list[str] = []

    def flush_texts(limit: int = TEXT_LIMIT) -> None:
        if pending:
            planned.extend(Outgoing(text=part) for part in split_text("\n\n".join(pending), limit))
            pending.clear()

    for reply in replies:
        if isinstance(reply, Text):
            if reply.text.strip():
                pending.append(reply.text)
        elif isinstance(reply, Choices):
            if reply.text.strip():
                pending.append(reply.text)
            if not reply.choices:
                continue
            parts = split_text("\n\n".join(pending)) or ["…"]
            pending.clear()
            planned.extend(Outgoing(text=part) for part in parts[:-1])
            planned.append(Outgoing(text=parts[-1], choices=reply))
        else:
            flush_texts()
            if reply.url is None and reply.content is None:
                pending.append(reply.caption)
                continue
            if telegram_length(reply.caption) > CAPTION_LIMIT:
                planned.extend(Outgoing(text=part) for part in split_text(reply.caption))
                reply = Document(reply.filename, "", reply.media_type, reply.url, reply.content)
            planned.append(Outgoing(document=reply))
    flush_texts()
    return planned


class CallbackCodec:
    """Button data ``<token>:<choice id>`` within Telegram's 64 bytes.

    A choice id too long for that is sent as ``<token>#<index>`` and remembered here (per chat
    and question) to map it back; after a restart such a button reads as stale, and the core
    then politely asks the current question again.
    """

    def __init__(self, remembered: int = 10_000) -> None:
        self._long: OrderedDict[tuple[int, str], tuple[str, ...]] = OrderedDict()
        self._remembered = remembered

    def encode(self, chat_id: int, choices: Choices) -> list[str]:
        """The callback data of each choice, in order."""
        data = [f"{choices.token}:{choice.id}" for choice in choices.choices]
        if all(len(item.encode()) <= CALLBACK_DATA_LIMIT for item in data):
            return data
        self._long[(chat_id, choices.token)] = tuple(c.id for c in choices.choices)
        self._long.move_to_end((chat_id, choices.token))
        while len(self._long) > self._remembered:
            self._long.popitem(last=False)
        return [
            item if len(item.encode()) <= CALLBACK_DATA_LIMIT else f"{choices.token}#{index}"
            for index, item in enumerate(data)
        ]

    def decode(self, chat_id: int, data: str | None) -> tuple[str | None, str]:
        """``(token, choice id)`` of a pressed button; unknown data gives an id no question has."""
        match = _CALLBACK.match(data or "")
        if match is None:
            return "stale", data or ""
        token, kind, rest = match.groups()
        if kind == "#":
            ids = self._long.get((chat_id, token), ())
            index = int(rest) if rest.isascii() and rest.isdigit() else -1
            rest = ids[index] if 0 <= index < len(ids) else f"#{rest}"
        return token or None, rest


def keyboard(chat_id: int, choices: Choices, codec: CallbackCodec) -> InlineKeyboardMarkup:
    """One button per row, so long labels stay readable."""
    data = codec.encode(chat_id, choices)
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(_label(choice), callback_data=item)]
        for choice, item in zip(choices.choices, data, strict=True)
    ])


def _label(choice: Choice) -> str:
    return choice.label.strip() or choice.id


async def send_outgoing(bot: Bot, chat_id: int | str, item: Outgoing,
                        codec: CallbackCodec) -> Message:
    """Send one planned message (replies, outbox messages and staff alerts alike)."""
    if item.document is not None:
        doc = item.document
        if doc.url:
            return await bot.send_document(chat_id, doc.url, caption=doc.caption or None)
        return await bot.send_document(chat_id, doc.content or b"", filename=doc.filename,
                                       caption=doc.caption or None)
    markup = keyboard(int(chat_id), item.choices, codec) if item.choices else None
    if not item.link_preview:
        return await bot.send_message(chat_id, item.text, reply_markup=markup,
                                      link_preview_options=LinkPreviewOptions(is_disabled=True))
    return await bot.send_message(chat_id, item.text, reply_markup=markup)

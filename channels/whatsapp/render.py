"""Replies as WhatsApp messages: texts packed and split at Twilio's limit, choices as
numbered lines or, when Content templates are configured, as buttons or a list.

The webhook answers with TwiML for the texts; an interactive message needs the REST API
(``ContentSid``), so it goes through the outbox (see ``webhook``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.messages import Choices, Document, Reply, reply_plain_text
from channels.text import split_text as text_parts
from channels.text import utf16_len
from channels.whatsapp.content import (
    BODY_MAX,
    BUTTON_TITLE_MAX,
    ID_MAX,
    LIST_ITEM_MAX,
    ContentTemplates,
)
from channels.whatsapp.parsing import choice_payload

#: Twilio refuses a WhatsApp body over 1,600 characters (error 21617); counted here in
#: UTF-16 units, as an emoji takes two.
MAX_BODY = 1600
_PARAGRAPH_GAP = "\n\n"
#: Characters XML 1.0 forbids even escaped: one of them (a control character pasted into a
#: name the flow repeats) would make Twilio refuse the whole TwiML answer.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class TextMessage:
    """One WhatsApp message with a body and perhaps one media URL."""

    body: str
    media_url: str | None = None


@dataclass(frozen=True)
class ContentMessage:
    """A Content template message; ``fallback`` is the same as numbered text."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)
    fallback: str = ""

    @property
    def variables_json(self) -> str:
        """The ``ContentVariables`` field."""
        return json.dumps(self.variables, ensure_ascii=False, separators=(",", ":"))


Outgoing = TextMessage | ContentMessage


def split_text(text: str, limit: int = MAX_BODY) -> list[str]:
    """Split at paragraph, line or word boundaries into parts of at most ``limit``."""
    return text_parts(text, limit)


def interactive(choices: Choices, templates: ContentTemplates) -> ContentMessage | None:
    """Buttons or a list for ``choices`` when a template of that size fits, else None."""
    if not templates.buttons and not templates.lists:  # none configured: numbered text
        return None
    count = len(choices.choices)
    text = choices.text.strip()
    if not count or not text or utf16_len(text) > BODY_MAX:
        return None
    payloads = [choice_payload(choices.token, c.id) for c in choices.choices]
    if any(len(p) > ID_MAX for p in payloads):
        return None
    longest = max(utf16_len(c.label) for c in choices.choices)
    sid = templates.buttons.get(count) if longest <= BUTTON_TITLE_MAX else None
    if sid is None and longest <= LIST_ITEM_MAX:
        sid = templates.lists.get(count)
    if sid is None:
        return None
    variables = {"1": text}
    for n, (choice, payload) in enumerate(zip(choices.choices, payloads, strict=True)):
        variables[str(2 + 2 * n)] = choice.label
        variables[str(3 + 2 * n)] = payload
    return ContentMessage(sid, variables, reply_plain_text(choices))


def render_reply(reply: Reply, templates: ContentTemplates) -> list[Outgoing]:
    """One reply as WhatsApp messages (before packing)."""
    if isinstance(reply, Choices):
        content = interactive(reply, templates)
        if content is not None:
            return [content]
    if isinstance(reply, Document):
        if reply.url:
            return [TextMessage(part, reply.url if n == 0 else None)
                    for n, part in enumerate(split_text(reply.caption) or [""])]
        # WhatsApp takes media only by public URL: the webhook and the sender publish a file
        # held as bytes first (see ``documents``); one still unpublished gets its caption.
        return [TextMessage(part) for part in split_text(reply.caption)]
    return [TextMessage(part) for part in split_text(reply_plain_text(reply))]


def pack(messages: Iterable[Outgoing], limit: int = MAX_BODY) -> list[Outgoing]:
    """Join neighbouring plain texts into as few messages as fit, keeping their order.

    Fewer messages arrive in order more reliably, and a failed send repeats fewer.
    """
    packed: list[Outgoing] = []
    for message in messages:
        previous = packed[-1] if packed else None
        if (isinstance(message, TextMessage) and message.media_url is None
                and isinstance(previous, TextMessage) and previous.media_url is None):
            joined = previous.body + _PARAGRAPH_GAP + message.body
            if utf16_len(joined) <= limit:
                packed[-1] = TextMessage(joined)
                continue
        packed.append(message)
    return packed


def plan(replies: Sequence[Reply], templates: ContentTemplates) -> list[Outgoing]:
    """All replies as the WhatsApp messages to send, in order."""
    return pack(m for reply in replies for m in render_reply(reply, templates))


def first_interactive(replies: Sequence[Reply], templates: ContentTemplates) -> int | None:
    """Index of the first reply that becomes a Content template message, if any."""
    for index, reply in enumerate(replies):
        if isinstance(reply, Choices) and interactive(reply, templates) is not None:
            return index
    return None


def to_twiml(messages: Iterable[Outgoing], action: str | None = None) -> str:
    """A TwiML ``<Response>`` with one ``<Message>`` per text (Content messages excluded);
    ``action`` is the URL Twilio reports each message's SID and status to.

    Written as text, not built with twilio's ``MessagingResponse`` (an ElementTree per
    answer, most of the rendering's time); the same bytes, escaped as ElementTree escapes
    (``tests/channels/test_whatsapp_render.py`` compares the two)."""
    opening = f'<Message action="{_escape_attribute(action)}"' if action else "<Message"
    parts = ['<?xml version="1.0" encoding="UTF-8"?><Response>']
    for message in messages:
        if not isinstance(message, TextMessage):
            raise TypeError("Content template messages cannot be sent as TwiML")
        body = _escape_text(_NOT_XML.sub("", message.body))
        media = f"<Media>{_escape_text(message.media_url)}</Media>" if message.media_url \
            else ""
        parts.append(f"{opening}>{body}{media}</Message>" if body or media
                     else f"{opening} />")
    if len(parts) == 1:
        return '<?xml version="1.0" encoding="UTF-8"?><Response />'
    parts.append("</Response>")
    return "".join(parts)


def _escape_text(text: str) -> str:
    """Character data escaped as ElementTree does."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    """An attribute value escaped as ElementTree does."""
    return (_escape_text(value).replace('"', "&quot;").replace("\r", "&#13;")
            .replace("\n", "&#10;").replace("\t", "&#09;"))

"""Channel-neutral messages: what a channel hands the bot, and what the bot answers."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Media:
    """A file attached to a message, as the platform describes it (nothing here is trusted:
    the content decides what it is, and a host is checked before anything is fetched)."""

    #: Where to fetch it: a Twilio media URL, a Telegram ``file_id``.
    source: str
    #: document, photo, voice, audio, video
    kind: str = "document"
    media_type: str = ""
    filename: str | None = None
    size: int | None = None
    duration: float | None = None


@dataclass(frozen=True)
class Inbound:
    """One message from a person, as every channel describes it."""

    channel: str
    user_id: str
    message_id: str
    text: str | None = None
    choice_id: str | None = None
    display_name: str | None = None
    phone: str | None = None
    language_hint: str | None = None
    attachments: int = 0
    #: The ``token`` of the question a pressed button belonged to, when the channel knows it;
    #: a button from an older question is then recognised as stale.
    choice_token: str | None = None
    #: For a typed answer quoting one of our messages: the token of the question that
    #: message asked, when the channel knows it (a quoted earlier question is stale).
    replied_token: str | None = None
    #: Files the message carries (its text, if any, is their caption).
    media: tuple[Media, ...] = ()


@dataclass(frozen=True)
class Choice:
    """One option the person can pick; ``id`` is stable, ``label`` is shown."""

    id: str
    label: str


@dataclass(frozen=True)
class Text:
    """Plain text."""

    text: str


@dataclass(frozen=True)
class Choices:
    """A question with options; channels render buttons, lists or numbered lines.

    ``token`` names this question; button channels send it back with the chosen id.
    """

    text: str
    choices: tuple[Choice, ...]
    token: str = ""


@dataclass(frozen=True)
class Document:
    """A file to send: by URL, or with its bytes (e.g. a calendar file)."""

    filename: str
    caption: str
    media_type: str = "application/octet-stream"
    url: str | None = None
    content: bytes | None = field(default=None, repr=False)


Reply = Text | Choices | Document


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for storage (de-duplication, transcripts, the outbox)."""
    if isinstance(reply, Text):
        return {"kind": "text", "text": reply.text}
    if isinstance(reply, Choices):
        return {
            "kind": "choices",
            "text": reply.text,
            "choices": [[c.id, c.label] for c in reply.choices],
            "token": reply.token,
        }
    return {
        "kind": "document",
        "filename": reply.filename,
        "caption": reply.caption,
        "media_type": reply.media_type,
        "url": reply.url,
        "content": base64.b64encode(reply.content).decode() if reply.content else None,
    }


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Inverse of :func:`reply_to_dict`."""
    kind = data["kind"]
    if kind == "text":
        return Text(data["text"])
    if kind == "choices":
        choices = tuple(Choice(i, label) for i, label in data["choices"])
        return Choices(data["text"], choices, data.get("token", ""))
    if kind == "document":
        content = data.get("content")
        return Document(
            filename=data["filename"],
            caption=data["caption"],
            media_type=data.get("media_type", "application/octet-stream"),
            url=data.get("url"),
            content=base64.b64decode(content) if content else None,
        )
    raise ValueError(f"unknown reply kind {kind!r}")


def reply_plain_text(reply: Reply) -> str:
    """The reply as plain text, for channels and logs without rich messages."""
    if isinstance(reply, Text):
        return reply.text
    if isinstance(reply, Choices):
        lines = [reply.text, ""] if reply.text else []
        lines += [f"{n}. {c.label}" for n, c in enumerate(reply.choices, start=1)]
        return "\n".join(lines)
    return f"{reply.caption}\n{reply.url}" if reply.url else reply.caption

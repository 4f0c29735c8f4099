"""Documents the bot holds as bytes (a calendar file, a local sample report), made sendable.

Twilio sends WhatsApp media only by public URL, which it fetches from us; so such a
document is first published (:mod:`channels.files`). WhatsApp takes as media only the
types Twilio documents for it (images, audio, video, PDF and Office documents, vCards):
a PDF goes as media with its caption as the body. Anything else (``text/calendar`` is not
among them) goes as its caption with the link on the next line; the person taps it and
the phone opens the file, e.g. in its calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.messages import Document, Reply, Text
from channels.files import MAX_BYTES, media_type_of

#: Publishes a document's bytes and returns the public URL that serves them.
Publish = Callable[[Document], str]

#: The media types WhatsApp accepts through Twilio
#: (https://www.twilio.com/docs/whatsapp/guidance-whatsapp-media-messages).
WHATSAPP_MEDIA_TYPES = frozenset({
    "image/jpeg", "image/jpg", "image/png",
    "audio/ogg", "audio/amr", "audio/3gpp", "audio/aac", "audio/mpeg", "audio/mp4",
    "video/mp4",
    "application/pdf", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/vcard", "text/x-vcard",
})
#: WhatsApp's limit for images; other media may have up to 16 MB.
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def as_media(document: Document) -> bool:
    """Whether WhatsApp takes ``document``'s bytes as media (type and size)."""
    media_type = media_type_of(document)
    limit = MAX_IMAGE_BYTES if media_type.startswith("image/") else MAX_BYTES
    return media_type in WHATSAPP_MEDIA_TYPES and len(document.content or b"") <= limit


def needs_publishing(reply: Reply) -> bool:
    """A document we hold only as bytes."""
    return isinstance(reply, Document) and reply.url is None and reply.content is not None


def publish_documents(replies: Sequence[Reply], publish: Publish | None) -> list[Reply]:
    """``replies`` with each byte document replaced by one with a URL (sent as media) or by
    its caption and link as text. Without ``publish``, or for a file too large to publish,
    the document stays as it is and only its caption is sent."""
    published: list[Reply] = []
    for reply in replies:
        if not needs_publishing(reply) or publish is None:
            published.append(reply)
            continue
        assert isinstance(reply, Document)
        if len(reply.content or b"") > MAX_BYTES:
            published.append(reply)
            continue
        url = publish(reply)
        if as_media(reply):
            published.append(Document(reply.filename, reply.caption, reply.media_type, url=url))
        else:
            published.append(Text(f"{reply.caption}\n{url}" if reply.caption else url))
    return published

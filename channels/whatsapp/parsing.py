"""Twilio's webhook form fields, read into channel-neutral messages and status reports.

Twilio posts ``application/x-www-form-urlencoded`` fields. For a WhatsApp message:
``From``/``To`` (``whatsapp:+E.164``), ``Body``, ``MessageSid``, ``ProfileName``,
``WaId``, ``NumMedia`` with ``MediaUrl0…``, and for a tapped button ``ButtonPayload`` /
``ButtonText`` (a list item: ``ListId`` / ``ListTitle``). A status callback carries
``MessageSid``, ``MessageStatus`` and, when it failed, ``ErrorCode``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.messages import Inbound, Media
from bot.validation.phones import phone_language
from channels.whatsapp import CHANNEL

_ADDRESS = re.compile(r"^whatsapp:(\+[1-9][0-9]{6,14})$")
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_STATUS = re.compile(r"^[a-z_]{3,32}$")
#: Button ids this channel gives its own choices: ``cb:<question token>:<choice id>``.
PAYLOAD_PREFIX = "cb:"
MAX_MEDIA = 10


class MalformedRequest(ValueError):
    """The request is not a webhook this endpoint understands; ``reason`` names the field
    (never its value, which may be personal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StatusReport:
    """Twilio's report on a message we sent."""

    message_sid: str
    status: str
    error_code: str | None


def whatsapp_number(address: str) -> str | None:
    """The E.164 number of a ``whatsapp:+…`` address, or None if it is not one."""
    match = _ADDRESS.match(address.strip())
    return match.group(1) if match else None


def whatsapp_address(recipient: str) -> str:
    """``whatsapp:+E.164`` for a recipient given as ``+E.164`` or already as an address."""
    text = recipient.strip()
    number = whatsapp_number(text) or whatsapp_number(f"whatsapp:{text}")
    if number is None:
        raise ValueError("recipient is not an E.164 number")
    return f"whatsapp:{number}"


def pseudonym(number: str, key: str) -> str:
    """A short keyed hash of a phone number, to tell people apart in logs without naming them."""
    digest = hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()
    return f"wa-{digest[:10]}"


def choice_payload(token: str, choice_id: str) -> str:
    """The button id for one of our choices; it names the question it belongs to."""
    return f"{PAYLOAD_PREFIX}{token}:{choice_id}"


def _is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also says yes to ``²`` and ``٣``."""
    return text.isascii() and text.isdigit()


def _field(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _media_count(form: Mapping[str, str]) -> int:
    raw = _field(form, "NumMedia").strip() or "0"
    if not _is_number(raw) or int(raw) > MAX_MEDIA:
        raise MalformedRequest("NumMedia is not a count")
    return int(raw)


def _media(form: Mapping[str, str], count: int) -> tuple[Media, ...]:
    """The attached files (``MediaUrl{i}``, ``MediaContentType{i}``); their URLs are checked
    before anything is fetched (see ``channels.whatsapp.media``)."""
    found = []
    for n in range(count):
        url = _field(form, f"MediaUrl{n}").strip()
        if not url:
            raise MalformedRequest(f"MediaUrl{n} missing")
        declared = _field(form, f"MediaContentType{n}").strip().lower()[:100]
        family = declared.partition("/")[0]
        kind = {"image": "photo", "audio": "voice", "video": "video"}.get(family, "document")
        found.append(Media(source=url[:2000], kind=kind, media_type=declared))
    return tuple(found)


def _choice(form: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(choice_id, choice_token, text) for a tapped button or list item."""
    payload = _field(form, "ButtonPayload") or _field(form, "ListId")
    title = _field(form, "ButtonText") or _field(form, "ListTitle")
    if payload.startswith(PAYLOAD_PREFIX):
        token, separator, choice_id = payload.removeprefix(PAYLOAD_PREFIX).partition(":")
        if separator and choice_id:
            return choice_id, token or None, None
    # A button of an approved template (e.g. a reminder's "Reschedule") carries the
    # template's own payload: hand over what the person saw, as if typed.
    return None, None, title or payload or None


def parse_inbound(form: Mapping[str, str]) -> Inbound:
    """The message a WhatsApp webhook carries; :class:`MalformedRequest` if it is not one."""
    message_sid = _field(form, "MessageSid").strip()
    if not _SID.match(message_sid):
        raise MalformedRequest("MessageSid missing or malformed")
    number = whatsapp_number(_field(form, "From"))
    if number is None:
        raise MalformedRequest("From is not a whatsapp:+E.164 address")
    attachments = _media_count(form)
    media = _media(form, attachments)
    choice_id, choice_token, button_text = _choice(form)
    body = _field(form, "Body")
    text = body if body.strip() else button_text
    return Inbound(
        channel=CHANNEL,
        user_id=number,
        message_id=message_sid,
        text=text if choice_id is None else None,
        choice_id=choice_id,
        display_name=_field(form, "ProfileName").strip() or None,
        phone=number,
        language_hint=phone_language(number),
        attachments=attachments,
        choice_token=choice_token,
        media=media,
    )


def quoted_sid(form: Mapping[str, str]) -> str | None:
    """The SID of the message a reply quotes (``OriginalRepliedMessageSid``), if valid."""
    sid = _field(form, "OriginalRepliedMessageSid").strip()
    return sid if _SID.match(sid) else None


def parse_status(form: Mapping[str, str]) -> StatusReport:
    """The delivery report a status callback carries."""
    message_sid = (_field(form, "MessageSid") or _field(form, "SmsSid")).strip()
    if not _SID.match(message_sid):
        raise MalformedRequest("MessageSid missing or malformed")
    # A TwiML <Message action> report may name the status in SmsStatus only.
    status = (_field(form, "MessageStatus") or _field(form, "SmsStatus")).strip().lower()
    if not _STATUS.match(status):
        raise MalformedRequest("MessageStatus missing or malformed")
    error_code = _field(form, "ErrorCode").strip()
    if error_code and not _is_number(error_code):
        raise MalformedRequest("ErrorCode is not a number")
    return StatusReport(message_sid, status, error_code or None)

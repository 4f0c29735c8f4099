"""The outbox's message keys: one place that builds them and one that reads them back.

A key makes a message unique (the same key is queued once) and names what it is about,
so the dashboard can link a failed message to its booking or hand-off request and a
change of booking can withdraw what is still waiting for it. Forms::

    meeting-link:<booking>:<meeting id>     the Zoom link and calendar file
    meeting-failed:<booking>                "the team will send the link"
    reminder:<booking>:<start>:<hours>h     one reminder of one booking at its start
    cancellation:<booking>                  the staff's cancellation notice
    staff:<alert>:<subject>:<channel>:<to>  a staff alert about a booking or hand-off
    staff_reply:<request>:<nonce>           a staff member's answer to a hand-off
    staff-message:<booking>:<nonce>         a message (or meeting link) staff sent by hand
    whatsapp:reply:<message sid>            a chat reply WhatsApp could not take at once
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

REMINDER_START_FORMAT = "%Y%m%dT%H%MZ"


class KeyKind(StrEnum):
    """The first part of a key."""

    MEETING_LINK = "meeting-link"
    MEETING_FAILED = "meeting-failed"
    REMINDER = "reminder"
    CANCELLATION = "cancellation"
    STAFF_ALERT = "staff"
    STAFF_REPLY = "staff_reply"
    STAFF_MESSAGE = "staff-message"
    CHAT_REPLY = "whatsapp"
    OTHER = ""


#: Kinds whose second part is a booking id.
BOOKING_KINDS = frozenset({KeyKind.MEETING_LINK, KeyKind.MEETING_FAILED, KeyKind.REMINDER,
                           KeyKind.CANCELLATION, KeyKind.STAFF_MESSAGE})


@dataclass(frozen=True)
class OutboxKey:
    """What a key names; ids are None where the key has none."""

    kind: KeyKind
    booking_id: int | None = None
    request_id: int | None = None
    conversation_id: int | None = None
    alert: str | None = None  # a staff alert's kind, e.g. ``booking_confirmed``
    reminder_start: str | None = None  # a reminder's booking start, REMINDER_START_FORMAT


def _id(value: int | None) -> int:
    """A row's id; a row not yet stored has none, and a key naming None would be wrong."""
    if value is None:
        raise ValueError("an outbox key needs a stored row's id")
    return value


def meeting_link(booking_id: int | None, meeting_id: str | None) -> str:
    return f"{KeyKind.MEETING_LINK}:{_id(booking_id)}:{meeting_id}"


def meeting_failed(booking_id: int | None) -> str:
    return f"{KeyKind.MEETING_FAILED}:{_id(booking_id)}"


def reminder(booking_id: int | None, start: datetime, hours: float) -> str:
    return f"{KeyKind.REMINDER}:{_id(booking_id)}:{start:{REMINDER_START_FORMAT}}:{hours:g}h"


def cancellation(booking_id: int | None) -> str:
    return f"{KeyKind.CANCELLATION}:{_id(booking_id)}"


def staff_alert(alert: str, subject_id: int | None, channel: str, target: str, *,
                instance: str | None = None) -> str:
    """``subject_id`` is the booking's id, or the conversation's for a hand-off alert;
    ``instance`` tells apart alerts that may repeat (each hand-off request)."""
    subject = f"{alert}:{subject_id}" + (f":{instance}" if instance else "")
    return f"{KeyKind.STAFF_ALERT}:{subject}:{channel}:{target}"


def staff_reply(request_id: int, nonce: str) -> str:
    return f"{KeyKind.STAFF_REPLY}:{request_id}:{nonce[:64]}"


def staff_message(booking_id: int | None, nonce: str) -> str:
    return f"{KeyKind.STAFF_MESSAGE}:{_id(booking_id)}:{nonce[:64]}"


def chat_reply(message_id: str) -> str:
    return f"{KeyKind.CHAT_REPLY}:reply:{message_id}"


def prefix(kind: KeyKind, booking_id: int | None) -> str:
    """What every key of ``kind`` about this booking starts with (to withdraw them)."""
    return f"{kind}:{_id(booking_id)}:"


def parse(key: str, *, handoff_alert: str = "handoff") -> OutboxKey:
    """Read a key back; an unknown form is ``KeyKind.OTHER`` with no ids."""
    parts = key.split(":")
    try:
        kind = KeyKind(parts[0])
    except ValueError:
        return OutboxKey(KeyKind.OTHER)

    def number(index: int) -> int | None:
        text = parts[index] if len(parts) > index else ""
        return int(text) if text.isascii() and text.isdecimal() else None

    if kind in BOOKING_KINDS:
        start = parts[2] if kind is KeyKind.REMINDER and len(parts) == 4 else None
        return OutboxKey(kind, booking_id=number(1), reminder_start=start)
    if kind is KeyKind.STAFF_REPLY:
        return OutboxKey(kind, request_id=number(1))
    if kind is KeyKind.STAFF_ALERT and len(parts) > 1:
        if parts[1] == handoff_alert:
            return OutboxKey(kind, conversation_id=number(2), alert=parts[1])
        return OutboxKey(kind, booking_id=number(2), alert=parts[1])
    return OutboxKey(kind)

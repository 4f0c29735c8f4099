"""Reading a Telegram webhook body safely: bounded, type-checked and cleaned before use.

Anything that is not a plausible Telegram update is refused (the caller answers 400 and logs
no content): JSON that does not parse or nests deeper than :data:`MAX_DEPTH` (measured
before parsing: see :mod:`channels.json_body`), too many values, fields of the wrong type,
integers beyond 64 bits, a ``date`` outside 1970–2100 (``Update.de_json`` raises
``OverflowError``). Every string is cleaned of lone surrogates and control characters (see
:mod:`bot.bounds`); the text's length is bounded later, by the core, which tells the person.
"""

from __future__ import annotations

import json
from typing import Any

from bot.bounds import clean_text
from channels.json_body import nests_deeper_than

MAX_DEPTH = 32
MAX_VALUES = 20_000
_MAX_INT = 2**63
_LAST_DATE = 4_102_444_800  # 2100-01-01
_STRINGS = {"text", "caption", "type", "data", "first_name", "last_name", "username",
            "language_code", "phone_number", "title", "file_id", "file_unique_id",
            "mime_type", "file_name", "inline_message_id", "chat_instance"}
_INTEGERS = {"update_id", "message_id", "user_id", "date", "offset", "length",
             "file_size", "width", "height", "duration"}
_OBJECTS = {"message", "edited_message", "callback_query", "chat", "from", "contact",
            "reply_to_message", "my_chat_member", "sender_chat"}
_LISTS = {"entities", "caption_entities", "photo"}
#: Objects whose ``id`` is a number (a callback query's is a string).
_NUMBERED = {"chat", "from", "sender_chat", "user"}


class BadBody(ValueError):
    """The body is not a readable Telegram update; ``reason`` names what (no content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_update(raw: bytes) -> dict[str, Any]:
    """The update in ``raw``, checked and cleaned; :class:`BadBody` if it is not one."""
    if nests_deeper_than(raw, MAX_DEPTH):
        raise BadBody("JSON nested too deeply")
    try:
        data = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError and over-long integers
        raise BadBody("not JSON") from None
    if not isinstance(data, dict):
        raise BadBody("not a JSON object")
    cleaned = _checked(data)
    if not _is_int(cleaned.get("update_id")):
        raise BadBody("no update_id")
    return cleaned


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_MAX_INT < value < _MAX_INT


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """A cleaned copy of ``data``, walked without recursion."""
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any, int, str]] = [(data, root, 0, "")]
    values = 0
    while stack:
        source, target, depth, parent = stack.pop()
        if depth > MAX_DEPTH:
            raise BadBody("nested too deeply")
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            values += 1
            if values > MAX_VALUES:
                raise BadBody("too many values")
            if isinstance(key, str):
                key = clean_text(key)
                _check_field(key, value)
                if key == "id" and parent in _NUMBERED and not _is_int(value):
                    raise BadBody(f"{parent}.id is not an integer")
            if isinstance(value, dict | list):
                copy: Any = {} if isinstance(value, dict) else []
                stack.append((value, copy, depth + 1, key if isinstance(key, str) else parent))
                value = copy
            elif isinstance(value, str):
                value = clean_text(value)
            elif isinstance(value, int) and not isinstance(value, bool) and not _is_int(value):
                raise BadBody("integer out of range")
            if isinstance(target, dict):
                target[key] = value
            else:
                target.append(value)
    return root


def _check_field(key: str, value: Any) -> None:
    if value is None:
        return
    if key in _STRINGS and not isinstance(value, str):
        raise BadBody(f"{key} is not a string")
    if key in _INTEGERS and not _is_int(value):
        raise BadBody(f"{key} is not an integer")
    if key == "date" and not 0 <= value < _LAST_DATE:
        raise BadBody("date out of range")
    if key in _OBJECTS and not isinstance(value, dict):
        raise BadBody(f"{key} is not an object")
    if key in _LISTS and not isinstance(value, list):
        raise BadBody(f"{key} is not a list")

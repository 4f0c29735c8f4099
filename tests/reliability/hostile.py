"""Hostile webhook bodies, reproducible from a seed: for the fuzz test and the fuzz bench.

Telegram bodies are raw bytes (JSON or not); WhatsApp bodies are raw form-encoded bytes,
so invalid UTF-8 and odd encodings reach the app as a platform (or an attacker) could
send them. Each kind of body is one small function; :func:`telegram_bodies` and
:func:`whatsapp_bodies` pick among them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from urllib.parse import quote

NASTY_TEXTS = [
    "\ud800", "a\udfffb", "\x00\x01\x02", "\u202e\u2066hidden", "\ufeff", "\x7f\x85\x9f",
    "🙂" * 50, "\r\n\r\n", "' OR 1=1 --", "<Message>x</Message>]]>", "{{1}}", "%s%n",
    "\u0000" * 10, "1", "menu", "/start", "/start@other_bot", "cb:1:yes", "..", "\t",
]


def _text(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice(NASTY_TEXTS)
    if kind == 1:
        return "".join(chr(rng.randrange(0x20, 0x110000)) for _ in range(rng.randrange(1, 40))
                       ).encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    if kind == 2:
        return "x" * rng.choice([4095, 4096, 4097, 20_000, 200_000])
    if kind == 3:
        return "".join(rng.choice(NASTY_TEXTS) for _ in range(rng.randrange(2, 20)))
    if kind == 4:
        return str(rng.randrange(-5, 20))
    return rng.choice(["Hello", "Привет", "مرحبا", "I need a report", "human", "back"])


# -- Telegram ------------------------------------------------------------------------------

def _value(rng: random.Random) -> object:
    return rng.choice([None, True, -1, 0, 2**64, 1e308, "x", "", [], {}, [1, [2]],
                       {"a": None}, _text(rng)])


def _update(rng: random.Random, update_id: int) -> dict[str, object]:
    chat = rng.randrange(1, 40)
    message: dict[str, object] = {
        "message_id": rng.randrange(1, 10**6), "date": 1_767_000_000,
        "chat": {"id": chat, "type": "private", "first_name": _text(rng)},
        "from": {"id": chat, "is_bot": False, "first_name": _text(rng),
                 "language_code": rng.choice(["en", "ru", "xx", "", _text(rng)])},
        "text": _text(rng)}
    if rng.random() < 0.3:
        message["caption"] = _text(rng)
        del message["text"]
    if rng.random() < 0.2:
        message["entities"] = [{"type": "bot_command", "offset": rng.randrange(-3, 9),
                                "length": rng.randrange(-3, 9)}]
    if rng.random() < 0.15:
        return {"update_id": update_id, "callback_query": {
            "id": str(rng.randrange(10**9)), "chat_instance": "1",
            "from": message["from"], "data": _text(rng)[:64],
            "message": {**message, "from": {"id": 1, "is_bot": True, "first_name": "b"}}}}
    return {"update_id": update_id, rng.choice(["message", "message", "edited_message",
                                                "channel_post"]): message}


def _corrupt(rng: random.Random, update: dict[str, object]) -> dict[str, object]:
    """One field of a plausible update replaced by something of the wrong kind."""
    target: dict[str, object] = update
    for key in ("message", "chat", "from"):
        inner = target.get(key)
        if isinstance(inner, dict) and rng.random() < 0.6:
            target = inner
    key = rng.choice([*target, "date", "text", "id", "type", "update_id", "extra"])
    target[key] = _value(rng) if rng.random() < 0.8 else rng.choice(
        [2**40, -2**40, 10**20, -1, 1.5, "2026-01-01"])
    return update


def _deep(rng: random.Random) -> bytes:
    depth = rng.choice([40, 100, 1_000, 100_000])
    if rng.random() < 0.5:
        return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"
    return b'{"update_id": 1, "x": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


def _junk(rng: random.Random) -> bytes:
    return rng.choice([
        b"", b"null", b"[]", b"1", b'"x"', b"{", b'{"update_id": 1', b'{"update_id": NaN}',
        b'{"update_id": 1e999}', b'{"update_id": "1"}', b'{"update_id": true}',
        b'{"update_id": ' + b"9" * 5000 + b"}", bytes(rng.randrange(256) for _ in range(64)),
        b'{"update_id": 1, "message": {"text": "\\ud800"}}', b"\xff\xfe{}",
        b'{"update_id": 1, "message": {"date": 99999999999999999999}}',
    ])


def telegram_bodies(seed: int, count: int) -> Iterator[bytes]:
    """``count`` hostile Telegram webhook bodies."""
    rng = random.Random(seed)
    makers: list[Callable[[int], bytes]] = [
        lambda n: json.dumps(_update(rng, n)).encode(),
        lambda n: json.dumps(_corrupt(rng, _update(rng, n))).encode(),
        lambda n: json.dumps(_corrupt(rng, _corrupt(rng, _update(rng, n)))).encode(),
        lambda n: _deep(rng),
        lambda n: _junk(rng),
    ]
    for n in range(count):
        yield rng.choice(makers)(10_000 + n)


# -- WhatsApp ------------------------------------------------------------------------------

def _encoded(rng: random.Random, value: str) -> str:
    if rng.random() < 0.15:  # invalid UTF-8 and lone surrogates, percent-encoded
        return rng.choice(["%ED%A0%80", "%FF%FE", "%C0%AF", "%F4%90%80%80", "%00"]) + \
            quote(value[:100].encode("utf-8", "surrogatepass"), safe="")
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def whatsapp_form(rng: random.Random, sid: str, sender: str, business: str) -> bytes:
    """One hostile incoming-message form, as raw ``application/x-www-form-urlencoded``."""
    fields: list[tuple[str, str]] = [
        ("MessageSid", sid), ("AccountSid", "AC" + "0" * 32), ("From", sender),
        ("To", business), ("Body", _text(rng)), ("NumMedia", "0"), ("ProfileName", _text(rng))]
    for _ in range(rng.randrange(0, 4)):
        name = rng.choice(["MessageSid", "From", "Body", "NumMedia", "ButtonPayload",
                           "ButtonText", "ListId", "OriginalRepliedMessageSid", "WaId",
                           "MediaUrl0", "ProfileName", "Junk"])
        value = rng.choice([_text(rng), "", "cb:", "cb::", "cb:zz:" + _text(rng)[:20], "999",
                            "-1", "whatsapp:+1", "whatsapp:" + _text(rng)[:20], "SM" + "g" * 32])
        if rng.random() < 0.5:
            fields = [(k, v) for k, v in fields if k != name]
        fields.append((name, value))
    return "&".join(f"{quote(k)}={_encoded(rng, v)}" for k, v in fields).encode()


def whatsapp_bodies(seed: int, count: int, business: str) -> Iterator[tuple[str, bytes]]:
    """``count`` (MessageSid, raw form) pairs from 40 senders."""
    rng = random.Random(seed)
    for n in range(count):
        sid = f"SM{n:032x}"
        sender = f"whatsapp:+4479111{rng.randrange(40):05d}"
        yield sid, whatsapp_form(rng, sid, sender, business)

"""Bounds and cleaning applied to every inbound message before the flow sees it.

Done before the person's lock is taken, in time linear in the input: text is cut to the
platforms' own limit (4,096 characters), lone surrogates (which cannot be encoded, so
cannot be encrypted) become U+FFFD, and control characters other than tab and new line are
dropped (PostgreSQL refuses NUL; the rest only hide text).
"""

from __future__ import annotations

import dataclasses
import re

from bot.messages import Inbound

#: WhatsApp's and Telegram's own limit for one text message.
MAX_TEXT = 4096
#: Generous limits for the short fields (names, ids, hints).
MAX_SHORT = 256

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced and control characters (not \\t, \\n) removed;
    a CR becomes a new line."""
    text = _SURROGATES.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def bounded_text(text: str, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """The cleaned text cut to ``limit`` characters, and whether anything was cut.

    The cut happens first (a 1 MB body is not scanned whole)."""
    cut = len(text) > limit
    return clean_text(text[:limit]), cut


def bounded_inbound(inbound: Inbound) -> tuple[Inbound, bool]:
    """The message with every text field cleaned and bounded, and whether its text was cut."""
    changes: dict[str, object] = {}
    cut = False
    if inbound.text is not None:
        text, cut = bounded_text(inbound.text)
        changes["text"] = text
    for name in ("user_id", "message_id", "choice_id", "display_name", "phone",
                 "language_hint", "choice_token", "replied_token"):
        value = getattr(inbound, name)
        if value is not None:
            changes[name] = bounded_text(value, MAX_SHORT)[0]
    changed = {k: v for k, v in changes.items() if v != getattr(inbound, k)}
    return (dataclasses.replace(inbound, **changed) if changed else inbound), cut  # type: ignore[arg-type]

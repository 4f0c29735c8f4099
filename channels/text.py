"""Message lengths as the platforms count them (UTF-16 code units: an emoji takes two) and
long texts cut into parts within a limit, shared by the WhatsApp and Telegram channels."""

from __future__ import annotations

#: Where a text is best cut, in order of preference.
_BREAKS = ("\n\n", "\n", ". ", " ")


def utf16_len(text: str) -> int:
    """Length as Twilio and Telegram count it."""
    return len(text.encode("utf-16-le")) // 2


def prefix_within(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-16 length is at most ``limit``."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def split_text(text: str, limit: int) -> list[str]:
    """Cut ``text`` into parts of at most ``limit``, at a paragraph, line, sentence or word
    break in the last two thirds of each part, else hard; nothing but spaces is lost."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        window = prefix_within(rest, limit) or rest[:1]  # a limit below one emoji: one char
        cut = 0
        for separator in _BREAKS:
            found = window.rfind(separator)
            if found >= len(window) // 3:
                cut = found + (1 if separator == ". " else 0)
                break
        cut = cut or len(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts

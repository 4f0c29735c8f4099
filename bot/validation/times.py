"""A time of day as people type it: "3pm", "15h", "15:00", "в 3 часа дня", "٣ عصرًا",
"ساعت ۳ بعدازظهر", "a las 3", "à 15h".

The words around the number (morning or afternoon markers, "at", "o'clock", "часа",
"الساعة", "ساعت"…) are the catalogs' ``time.am``, ``time.pm`` and ``time.filler`` of every
language, so mixed languages work and a new language is data. Digits in any script are read.
Anything else in the text means it is not (only) a time, and nothing is read.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from bot.i18n import catalog, languages, latin_digits
from bot.validation.countries import fold

_CLOCK = re.compile(r"(?<!\d)(\d{1,2})(?:\s*[:.hH]\s*(\d{2}))?(?!\d)")


@cache
def _words() -> dict[str, tuple[str, ...]]:
    """Folded marker and filler phrases of every catalog, longest first."""
    found: dict[str, set[str]] = {"am": set(), "pm": set(), "filler": set()}
    for lang in languages():
        for kind in found:
            found[kind].update(fold(w) for w in catalog(lang).get(f"time.{kind}", []))
    return {kind: tuple(sorted(words - {""}, key=len, reverse=True))
            for kind, words in found.items()}


def _remove(phrase: str, text: str) -> tuple[str, bool]:
    padded = f" {text} "
    if f" {phrase} " not in padded:
        return text, False
    return " ".join(padded.replace(f" {phrase} ", " ", 1).split()), True


def parse_times(text: str) -> list[tuple[int, int]]:
    """The (hour, minute) the text may mean, likelier first; [] when it is not a time.

    Without a morning or afternoon marker, 1 to 11 may be either: (3, 0) then (15, 0).
    """
    text = latin_digits(unicodedata.normalize("NFKC", text or "")).strip()
    if not text or len(text) > 60:
        return []
    clocks = list(_CLOCK.finditer(text))
    if len(clocks) != 1:
        return []
    found = clocks[0]
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    rest = fold(text[:found.start()] + " " + text[found.end():])
    words = _words()
    half = None
    for kind in ("am", "pm"):
        for phrase in words[kind]:
            rest, removed = _remove(phrase, rest)
            if removed:
                if half not in (None, kind):
                    return []
                half = kind
    for phrase in words["filler"]:
        while True:
            rest, removed = _remove(phrase, rest)
            if not removed:
                break
    if rest or minute >= 60 or hour > 24 or (half and not 1 <= hour <= 12):
        return []
    if hour == 24:
        hour = 0
    if half == "am":
        return [(hour % 12, minute)]
    if half == "pm":
        return [(hour % 12 + 12, minute)]
    return [(hour, minute), (hour + 12, minute)] if 1 <= hour <= 11 else [(hour, minute)]

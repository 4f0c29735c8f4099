"""Read a deadline ("15 марта", "next Friday", "15.03.2027") as a calendar date.

dateparser does the work, limited to the user's language plus English and anchored
on the ``today`` the caller passes (never the real clock). Ambiguous numeric dates
are read day first, except for US English. Text that names only a month or a year
("May 2027") gives None: a deadline needs a day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

MAX_LENGTH = 80
# Relative phrases ("in a month") keep the base's time of day; absolute dates get midnight.
_BASE_TIME = time(12, 34, 56)

_LEADING_WORDS = re.compile(
    r"^(?:no later than|not later than|by|before|until|till|on|"
    r"не позднее|не позже|до|к|ко|в|во|на)\s+",
    re.IGNORECASE,
)
_RU_ORDINAL = re.compile(r"\b(\d{1,2})(?:-?го|-?е|\s+числа)\b", re.IGNORECASE)
_RU_NEXT = re.compile(r"\b(?:следующ|ближайш|эт)\w*\s+(?=\w)", re.IGNORECASE)
_RU_WEEKDAYS = (
    (re.compile(r"\bпонедельник\w*", re.IGNORECASE), "понедельник"),
    (re.compile(r"\bвторник\w*", re.IGNORECASE), "вторник"),
    (re.compile(r"\bсред[аыуе]\b", re.IGNORECASE), "среду"),
    (re.compile(r"\bчетверг\w*", re.IGNORECASE), "четверг"),
    (re.compile(r"\bпятниц\w*", re.IGNORECASE), "пятницу"),
    (re.compile(r"\bсуббот\w*", re.IGNORECASE), "субботу"),
    (re.compile(r"\bвоскресень\w*", re.IGNORECASE), "воскресенье"),
)


def _base_language(lang: str) -> str:
    return re.split(r"[-_]", lang or "en")[0].lower()


def _is_us(lang: str) -> bool:
    return (lang or "").replace("_", "-").lower() == "en-us"


@lru_cache(maxsize=1)
def _supported_languages() -> frozenset[str]:
    from dateparser.languages.loader import default_loader  # on first use: 40 ms at import

    return frozenset(default_loader.get_locale_map())


@lru_cache(maxsize=64)
def _parser(lang: str, us: bool, day_rule: str, base: datetime) -> DateDataParser:
    from dateparser.date import DateDataParser

    wanted = _base_language(lang)
    languages = [wanted, "en"] if wanted != "en" and wanted in _supported_languages() else ["en"]
    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "MDY" if us else "DMY",
        "PREFER_DAY_OF_MONTH": day_rule,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    return DateDataParser(languages=languages, settings=settings)


def _variants(text: str) -> list[str]:
    """The text as typed, then with deadline prepositions and Russian case forms smoothed."""
    variants = [text]
    smoothed = text
    while True:
        stripped = _LEADING_WORDS.sub("", smoothed, count=1)
        if stripped == smoothed:
            break
        smoothed = stripped
    smoothed = _RU_ORDINAL.sub(r"\1", smoothed)
    smoothed = _RU_NEXT.sub("", smoothed)
    for pattern, replacement in _RU_WEEKDAYS:
        smoothed = pattern.sub(replacement, smoothed)
    if smoothed != text:
        variants.append(smoothed)
    return variants


def _parse(text: str, lang: str, base: datetime, day_rule: str) -> datetime | None:
    parser = _parser(lang, _is_us(lang), day_rule, base)
    return parser.get_date_data(text).date_obj


def parse_deadline(text: str, lang: str, today: date) -> date | None:
    """The date ``text`` names, read in ``lang`` or English relative to ``today``.

    Dates before ``today`` come back unchanged; deciding what to do with them is the caller's.
    """
    text = " ".join(text.split())
    if not text or len(text) > MAX_LENGTH:
        return None
    base = datetime.combine(today, _BASE_TIME)
    for variant in _variants(text):
        found = _parse(variant, lang, base, "current")
        if found is None:
            continue
        if found.time() == _BASE_TIME:  # relative to today: "tomorrow", "in a month"
            return found.date()
        first = _parse(variant, lang, base, "first")
        last = _parse(variant, lang, base, "last")
        if first == last:  # the text fixed the day of the month
            return found.date()
        return None
    return None

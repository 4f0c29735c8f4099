"""What a phone number tells us: its E.164 form, country, likely language and time zones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from babel.languages import get_territory_language_info
from phonenumbers import timezone as phone_timezone

from bot.validation.countries import BOT_LANGUAGES
from bot.validation.timezones import canonical_zone

_CHANNEL_PREFIX = re.compile(r"^\s*(?:whatsapp|tel|telegram|sms|viber)\s*:\s*", re.IGNORECASE)
_OFFICIAL = frozenset({"official", "de_facto_official"})
MAX_LENGTH = 40


@dataclass(frozen=True)
class PhoneHints:
    """Facts derived from a valid phone number."""

    e164: str
    country_code: str | None  # ISO 3166-1 alpha-2; None for non-geographic numbers
    language: str | None  # best guess among the bot's languages
    timezones: tuple[str, ...]  # IANA zones the number's area may use


@lru_cache(maxsize=512)
def language_for_country(code: str) -> str:
    """The bot language most likely to suit someone from country ``code``.

    From CLDR's territory data: the most widely spoken of the country's official
    languages the bot speaks, or English when English is spoken more widely than
    those (as in Israel) or when the bot speaks none of them.
    """
    info = get_territory_language_info(code.upper())
    candidates = [
        (data.get("population_percent", 0.0), language != "en", language)
        for language, data in info.items()
        if language in BOT_LANGUAGES
        and (language == "en" or data.get("official_status") in _OFFICIAL)
    ]
    return max(candidates)[2] if candidates else "en"


def phone_hints(raw: str, *, default_region: str | None = None) -> PhoneHints | None:
    """Hints from ``raw`` ("+7 912 ...", "whatsapp:+44...", "0044 ..."), or None if invalid.

    Numbers without an international prefix need ``default_region`` (e.g. "GB"). Parsed
    once per number and process (a WhatsApp message asks for its sender's every time).
    """
    return _hints(raw or "", default_region)


def phone_language(raw: str) -> str | None:
    """``phone_hints(raw).language`` (None for an invalid number), without the time zones
    and the E.164 form, which cost about as much again as the parse: every WhatsApp
    message asks for its sender's language, few for the rest."""
    parsed = _parsed(raw or "", None)
    return language_for_country(parsed[1]) if parsed is not None and parsed[1] else None


@lru_cache(maxsize=4096)
def _parsed(raw: str, default_region: str | None) -> tuple[phonenumbers.PhoneNumber,
                                                           str | None] | None:
    """The valid number ``raw`` names and its country (None: non-geographic), or None."""
    text = _CHANNEL_PREFIX.sub("", raw, count=1).strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    region = phonenumbers.region_code_for_number(number)
    geographic = region and region not in (phonenumbers.UNKNOWN_REGION, "001")
    return number, region if geographic else None


@lru_cache(maxsize=4096)
def _hints(raw: str, default_region: str | None) -> PhoneHints | None:
    parsed = _parsed(raw, default_region)
    if parsed is None:
        return None
    number, country = parsed
    zones = tuple(dict.fromkeys(
        zone
        for zone in map(canonical_zone, phone_timezone.time_zones_for_number(number))
        if zone is not None
    ))
    return PhoneHints(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country_code=country,
        language=language_for_country(country) if country else None,
        timezones=zones,
    )

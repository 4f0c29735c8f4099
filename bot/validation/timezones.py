"""Time zones: guess one from what we know, read one from what a person typed, label one.

Cities come from GeoNames (:mod:`bot.validation.gazetteer`). Zones come from the tz
database shipped with the ``tzdata`` package (``zone.tab``: which
zones each country uses) and from CLDR via babel (localised city names, legacy zone
aliases, and the zones Windows treats as representative). Zones are compared by the
rules they will follow from now on, read from each zone's far-future offsets (the
POSIX rule at the end of its tz file), so no real clock is consulted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global
from babel.dates import get_timezone_location
from rapidfuzz import fuzz, process

from bot.validation import cldr
from bot.validation.countries import (
    BOT_LANGUAGES,
    FILLER_WORDS,
    babel_locale,
    fold,
    key_forms,
    known_codes,
    named_country,
    resolve_country,
    shared,
    words,
)
from bot.validation.gazetteer import city_zones

MAX_RESULTS = 5
CITY_TYPO_SCORE = 86.0
_FAR_FUTURE = (datetime(2100, 1, 15, 12, tzinfo=UTC), datetime(2100, 7, 15, 12, tzinfo=UTC))
_CONTINENTS = words(
    "Africa America Antarctica Arctic Asia Atlantic Australia Europe Indian Pacific"
)
_OFFSET = re.compile(
    r"^(?P<base>utc|gmt|msk|мск)?\s*(?:(?P<sign>[+\-−–])\s*(?P<hours>\d{1,2})"
    r"(?:\s*[:.]?\s*(?P<minutes>\d{2}))?)?\s*(?:h|ч|час|часа|часов)?$",
    re.IGNORECASE,
)
_MOSCOW_OFFSET = timedelta(hours=3)
# Big cities the tz database has no zone for, which the bot's users often name.
_CITY_ALIASES: Mapping[str, str] = {
    "saint petersburg": "Europe/Moscow", "st petersburg": "Europe/Moscow",
    "petersburg": "Europe/Moscow", "санкт петербург": "Europe/Moscow",
    "петербург": "Europe/Moscow", "питер": "Europe/Moscow", "спб": "Europe/Moscow",
    "astana": "Asia/Almaty", "nur sultan": "Asia/Almaty", "астана": "Asia/Almaty",
    "kharkiv": "Europe/Kyiv", "харьков": "Europe/Kyiv", "odesa": "Europe/Kyiv",
    "odessa": "Europe/Kyiv", "одесса": "Europe/Kyiv", "lviv": "Europe/Kyiv",
    "львов": "Europe/Kyiv", "dnipro": "Europe/Kyiv", "днепр": "Europe/Kyiv",
}
# Abbreviations people use for their time; the tz database's own "EST" or "MST" are
# fixed offsets that ignore daylight saving, which is not what people mean by them.
_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "et": ("America/New_York",), "est": ("America/New_York",), "edt": ("America/New_York",),
    "ct": ("America/Chicago",), "cdt": ("America/Chicago",),
    "mt": ("America/Denver",), "mst": ("America/Denver", "America/Phoenix"),
    "mdt": ("America/Denver",), "pt": ("America/Los_Angeles",),
    "pst": ("America/Los_Angeles",), "pdt": ("America/Los_Angeles",),
    "bst": ("Europe/London",), "cet": ("Europe/Paris", "Europe/Berlin"),
    "cest": ("Europe/Paris", "Europe/Berlin"), "eet": ("Europe/Kyiv", "Europe/Athens"),
    "eest": ("Europe/Kyiv", "Europe/Athens"),
    "cst": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "ist": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
}
# Words around a city name that do not change which city is meant.
_PLACE_FILLER = frozenset(fold(w) for w in FILLER_WORDS | words(
    "city town near time zone timezone here now currently г город городе рядом около время "
    "часовой пояс сейчас тут здесь місто місті зараз живу "
    "في انا أنا اعيش أعيش ساكن مدينة حاليا الآن "
    "در من هستم شهر ساکن زندگی می کنم الان "
    "vivo en ciudad estoy ahora "
    "je j habite vis suis à a ville actuellement"
))


@lru_cache(maxsize=1)
def _available() -> Mapping[str, str]:
    """Every zone name the system knows, keyed by its lower-case form."""
    return {name.lower(): name for name in available_timezones()}


def _read_tab(name: str) -> list[tuple[str, str]]:
    """(countries, zone) rows of one of the tz database's tables, in file order."""
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8")
    rows = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            rows.append((fields[0], fields[2]))
    return rows


@lru_cache(maxsize=1)
def _zone_tab() -> tuple[tuple[str, str], ...]:
    """(country code, zone) rows of zone.tab: every zone each country uses."""
    try:
        return tuple(_read_tab("zone.tab"))
    except (ModuleNotFoundError, FileNotFoundError):  # no tzdata package: CLDR's copy
        territory_zones = get_global("territory_zones")
        return tuple((c, z) for c, zones in sorted(territory_zones.items()) for z in zones)


@lru_cache(maxsize=1)
def _zone_owners() -> Mapping[str, tuple[str, ...]]:
    """zone1970.tab's countries per zone; the first listed is the zone's main country."""
    try:
        return {zone: tuple(codes.split(",")) for codes, zone in _read_tab("zone1970.tab")}
    except (ModuleNotFoundError, FileNotFoundError):
        return {}


def canonical_zone(name: str) -> str | None:
    """The current IANA name for zone ``name`` ("Europe/Kiev" → "Europe/Kyiv"), or None."""
    name = name.strip()
    found = _available().get(name.lower())
    if found is None:
        return None
    aliases = get_global("zone_aliases")
    current = aliases.get(found, found)
    return current if current.lower() in _available() else found


@lru_cache(maxsize=1)
def _positions() -> Mapping[str, int]:
    positions: dict[str, int] = {}
    for position, (_, zone) in enumerate(_zone_tab()):
        positions.setdefault(zone, position)
    return positions


def _ranked(zones: Iterable[str], country: str | None = None) -> list[str]:
    """``zones`` best first: zones whose main country this is (Kyiv before Simferopol for
    Ukraine, real zones before links like Europe/Guernsey), then in zone.tab order."""
    owners, positions = _zone_owners(), _positions()

    def key(zone: str) -> tuple[int, int, str]:
        codes = owners.get(zone)
        secondary = codes is None or (country is not None and codes[0] != country)
        return (int(secondary), positions.get(zone, len(positions)), zone)

    return sorted(dict.fromkeys(zones), key=key)


@lru_cache(maxsize=1024)
def _rules(zone: str) -> tuple[timedelta | None, ...]:
    """The zone's UTC offsets in a far-future January and July: its rules from now on."""
    tz = ZoneInfo(zone)
    return tuple(moment.astimezone(tz).utcoffset() for moment in _FAR_FUTURE)


def _distinct(zones: Iterable[str]) -> list[str]:
    """``zones`` with later zones that keep the same clock as an earlier one dropped."""
    seen: set[tuple[timedelta | None, ...]] = set()
    kept = []
    for zone in zones:
        rules = _rules(zone)
        if rules not in seen:
            seen.add(rules)
            kept.append(zone)
    return kept


@lru_cache(maxsize=512)
def _all_country_zones(code: str) -> tuple[str, ...]:
    return tuple(_ranked((zone for country, zone in _zone_tab() if country == code), code))


def country_zones(code: str) -> tuple[str, ...]:
    """One zone per distinct clock in country ``code``, most representative first."""
    return tuple(_distinct(_all_country_zones(code.upper())))


def _region_subtag(lang: str | None) -> str | None:
    parts = re.split(r"[-_]", lang or "")
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return region if region in known_codes() else None


def suggest_timezone(
    *,
    phone_timezones: Sequence[str] = (),
    country_code: str | None = None,
    lang: str | None = None,
) -> str | None:
    """A zone to propose, or None when what we know allows more than one clock.

    ``country_code`` (where the person lives) outweighs the phone's zones when they
    disagree, since people keep their home numbers abroad; when they agree, the
    phone narrows the country down. A region in ``lang`` ("en-GB") is used only when
    nothing else is known; a bare language says nothing about where someone is.
    """
    candidates = [z for z in map(canonical_zone, phone_timezones) if z is not None]
    country = country_code.strip().upper() if country_code else None
    in_country = _all_country_zones(country) if country else ()
    if in_country:
        both = [z for z in candidates if z in in_country]
        candidates = both or list(in_country)
    if not candidates:
        country = _region_subtag(lang)
        candidates = list(_all_country_zones(country)) if country else []
    if not candidates or len({_rules(z) for z in candidates}) != 1:
        return None
    return _ranked(candidates, country)[0]


def _gmt_zone(offset: timedelta) -> list[str]:
    minutes = int(offset.total_seconds()) // 60
    if minutes % 60 == 0 and -12 <= minutes // 60 <= 14:
        hours = minutes // 60
        # Etc/GMT names follow POSIX: "Etc/GMT-3" is three hours *ahead* of UTC.
        return ["Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"]
    # No Etc zone for half hours: offer the places whose clocks use that offset.
    places = [z for _, z in _zone_tab() if offset in _rules(z)]
    return _distinct(_ranked(places))[:MAX_RESULTS]


def _by_offset(text: str) -> list[str] | None:
    match = _OFFSET.match(text.strip())
    if not match or not (match["base"] or match["sign"]):
        return None
    base = (match["base"] or "").lower()
    if not match["sign"]:
        return {"utc": ["Etc/UTC"], "gmt": ["Etc/GMT"]}.get(base, ["Europe/Moscow"])
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if minutes >= 60:
        return []
    offset = timedelta(hours=hours, minutes=minutes)
    offset = -offset if match["sign"] != "+" else offset
    if base in ("msk", "мск"):
        offset += _MOSCOW_OFFSET
    if not timedelta(hours=-12) <= offset <= timedelta(hours=14):
        return []
    return _gmt_zone(offset)


def _content(text: str) -> str:
    """The folded text without the filler words around a place name."""
    return " ".join(w for w in fold(text).split() if w not in _PLACE_FILLER)


def _city_keys(name: str) -> set[str]:
    key = fold(name)
    return key_forms(key) if key else set()


@lru_cache(maxsize=16)
def _city_index(lang: str) -> Mapping[str, tuple[str, ...]]:
    """Folded city names (ids, CLDR names in the bot's languages, legacy ids) → zones."""
    table: dict[str, list[str]] = {}

    def add(name: str, zone: str) -> None:
        for key in _city_keys(name):
            table.setdefault(key, []).append(zone)

    zones = [zone for _, zone in _zone_tab()]
    languages = list(dict.fromkeys((*BOT_LANGUAGES, lang)))
    for zone in zones:
        add(zone.rsplit("/", 1)[-1].replace("_", " "), zone)
        for language in languages:
            add(city_name(zone, language), zone)
    for alias, zone in get_global("zone_aliases").items():
        area = alias.split("/", 1)[0]
        if "/" in alias and area in _CONTINENTS and zone in zones:
            add(alias.rsplit("/", 1)[-1].replace("_", " "), zone)
    for name, zone in _CITY_ALIASES.items():
        add(name, zone)
    return {key: tuple(_ranked(found)) for key, found in table.items()}


def _by_city(text: str, lang: str) -> list[str]:
    """Cities named in ``text``, alone or with filler words ("I live in London", "в Лондоне").

    The gazetteer (GeoNames) is asked first, then CLDR's zone cities and legacy zone ids.
    """
    index = _city_index(shared(lang))
    words = fold(text).split()
    for size in range(len(words), 0, -1):
        found: list[str] = []
        used: set[int] = set()
        for start in range(len(words) - size + 1):
            key = " ".join(words[start : start + size])
            if key in _PLACE_FILLER or not (len(key) >= 3 or size == len(words)):
                continue
            zones = city_zones(key) or list(index.get(key, ()))
            if zones:
                found.extend(zones)
                used.update(range(start, start + size))
        rest = [w for i, w in enumerate(words) if i not in used]
        if found and all(w in _PLACE_FILLER for w in rest):
            return _distinct(dict.fromkeys(found))
    return []


def _by_city_typo(text: str, lang: str) -> list[str]:
    key = fold(text)
    if len(key) < 5:
        return []
    index = _city_index(shared(lang))
    keys = list(index)
    matches = process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=CITY_TYPO_SCORE,
                              limit=MAX_RESULTS)
    return list(dict.fromkeys(z for name, _, _ in matches for z in index[name]))


def resolve_timezone(text: str, lang: str) -> list[str]:
    """IANA zones for a city, country, zone name or UTC offset, best first (at most five)."""
    text = " ".join((text or "").split())
    if not text or len(text) > 80:
        return []
    offset = _by_offset(text)
    if offset is not None:
        return offset
    abbreviation = _ABBREVIATIONS.get(text.lower())
    if abbreviation:
        return list(abbreviation)
    zone = canonical_zone(text.replace(" ", "_"))
    if zone is not None:
        return [zone]
    lang = lang or "en"
    # A country named exactly outranks a city of that name ("Armenia" is also in Colombia);
    # a city outranks a country guessed from a typo ("Cologne" is not "Pologne").
    country = named_country(_content(text), lang)
    found = list(country_zones(country.code)) if country else _by_city(text, lang)
    if not found:
        guess = resolve_country(text, lang)
        if guess.country is not None:
            found = list(country_zones(guess.country.code))
    if not found:
        found = _by_city_typo(text, lang)
    return list(dict.fromkeys(found))[:MAX_RESULTS]


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours:02d}:{minutes:02d}"


def zone_label(zone: str, lang: str, at: datetime) -> str:
    """ "London (GMT+01:00)": the zone's city in ``lang`` and its UTC offset at ``at``.

    A naive ``at`` is taken as UTC. Fixed-offset zones (Etc/…) show the offset alone.
    Raises ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone.
    """
    tz = ZoneInfo(zone)
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    offset = _format_offset(moment.astimezone(tz).utcoffset() or timedelta(0))
    area = zone.split("/", 1)[0]
    if "/" not in zone or area not in _CONTINENTS:
        return offset
    return f"{city_name(zone, lang)} ({offset})"


def city_name(zone: str, lang: str) -> str:
    """The zone's city in ``lang`` (CLDR), written out for the bot's languages
    (:mod:`bot.validation.cldr`)."""
    names = cldr.cities(lang)
    if names is not None and zone in names:
        return names[zone]
    return get_timezone_location(zone, locale=babel_locale(lang), return_city=True)

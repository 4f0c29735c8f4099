"""CLDR's country and city names in the bot's languages, written out from babel to
``data/cldr_names.json`` (160 KB): reading babel's locale data for seven languages to get
them costs ~16 MiB in every process. Run ``python -m bot.validation.cldr`` after upgrading
babel or tzdata; a test checks the file against babel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "cldr_names.json"


@cache
def _tables() -> dict[str, dict[str, dict[str, str]]]:
    return dict(json.loads(DATA.read_text("utf-8")))


def territories(lang: str) -> Mapping[str, str] | None:
    """Country (territory) names by code in ``lang``; None if ``lang`` is not written out."""
    return _tables()["territories"].get(lang)


def cities(lang: str) -> Mapping[str, str] | None:
    """Babel's ``get_timezone_location(zone, return_city=True)`` by zone (those of the tz
    database's zone table) in ``lang``; None if ``lang`` is not written out."""
    return _tables()["cities"].get(lang)


def from_babel() -> dict[str, Any]:
    """The tables as babel gives them now."""
    from babel.dates import get_timezone_location

    from bot.validation.countries import BOT_LANGUAGES, babel_locale
    from bot.validation.timezones import _zone_tab

    zones = sorted({zone for _, zone in _zone_tab()})
    locales = {lang: babel_locale(lang) for lang in BOT_LANGUAGES}
    return {
        "territories": {lang: dict(sorted(locale.territories.items()))
                        for lang, locale in locales.items()},
        "cities": {lang: {zone: get_timezone_location(zone, locale=locale, return_city=True)
                          for zone in zones} for lang, locale in locales.items()},
    }


if __name__ == "__main__":
    DATA.write_text(json.dumps(from_babel(), ensure_ascii=False, separators=(",", ":")) + "\n",
                    "utf-8")

"""Channel-neutral checks for what people type: countries, dates, emails, phones, time zones.

Each function takes the person's language code and falls back to English for
languages it has no data for. Data is loaded on first use and cached.
"""

from bot.validation.countries import Country, CountryGuess, resolve_country
from bot.validation.dates import parse_deadline
from bot.validation.emails import normalise_email
from bot.validation.phones import PhoneHints, language_for_country, phone_hints
from bot.validation.regions import REGIONS, Region, covered_region, region_name
from bot.validation.timezones import (
    country_zones,
    resolve_timezone,
    suggest_timezone,
    zone_label,
)

__all__ = [
    "REGIONS",
    "Country",
    "CountryGuess",
    "PhoneHints",
    "Region",
    "country_zones",
    "covered_region",
    "language_for_country",
    "normalise_email",
    "parse_deadline",
    "phone_hints",
    "region_name",
    "resolve_country",
    "resolve_timezone",
    "suggest_timezone",
    "zone_label",
]

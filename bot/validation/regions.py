"""The regions and countries the company's expert witnesses cover, as stated on its website.

Source: the "Our Expertise Covers a Wide Range of Regions and Countries" section of
the company site. Each region lists the ISO 3166-1 alpha-2 codes of its countries
(Kosovo as the user-assigned "XK", Palestine as "PS").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType


@dataclass(frozen=True)
class Region:
    """A covered region: a stable id, its name per language, and its countries."""

    id: str
    names: Mapping[str, str]
    codes: frozenset[str]


def _region(region_id: str, en: str, ru: str, codes: str) -> Region:
    return Region(region_id, MappingProxyType({"en": en, "ru": ru}), frozenset(codes.split()))


REGIONS: tuple[Region, ...] = (
    _region("east_africa", "East Africa", "Восточная Африка", "ER SD SS SO ET DJ KE UG"),
    _region(
        "south_central_asia", "South & Central Asia", "Южная и Центральная Азия",
        "PK AF BD IN NP LK BT",
    ),
    _region("middle_east", "Middle East", "Ближний Восток", "SY IQ YE IR SA LB JO PS"),
    _region("western_balkans", "Western Balkans", "Западные Балканы", "AL XK MK RS BA"),
    _region(
        "post_soviet", "Eastern Europe & Post-Soviet States",
        "Восточная Европа и постсоветские страны",
        "RU UA BY MD GE AM AZ KZ KG UZ TM TJ",
    ),
    _region(
        "latin_america", "Latin America & the Caribbean", "Латинская Америка и Карибский бассейн",
        "VE CU NI MX GT HN SV HT CO PE BO BR DO",
    ),
    _region("east_asia", "East Asia", "Восточная Азия", "CN KP MN VN MM"),
)


@lru_cache(maxsize=1)
def _region_of() -> Mapping[str, str]:
    table: dict[str, str] = {}
    for region in REGIONS:
        for code in region.codes:
            if code in table:
                raise ValueError(f"{code} is listed in two regions")
            table[code] = region.id
    return MappingProxyType(table)


@lru_cache(maxsize=1)
def _by_id() -> Mapping[str, Region]:
    return MappingProxyType({region.id: region for region in REGIONS})


def covered_region(code: str) -> str | None:
    """The id of the covered region containing country ``code``, or None if not covered."""
    return _region_of().get(code.strip().upper())


def covered_codes() -> frozenset[str]:
    """Every country code the company covers."""
    return frozenset(_region_of())


def region_name(region_id: str, lang: str) -> str:
    """The region's name in ``lang``; English for languages without a translation.

    Raises KeyError for an unknown region id.
    """
    region = _by_id()[region_id]
    base = re.split(r"[-_]", lang or "en")[0].lower()
    return region.names.get(base, region.names["en"])

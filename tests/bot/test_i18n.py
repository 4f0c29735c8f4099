"""Every catalog says the same things as the English one, with the same placeholders."""

from __future__ import annotations

import json
import string

import pytest

from bot.i18n import LOCALES, Translator, languages, supported

ENGLISH = json.loads((LOCALES / "en.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", [code for code in languages() if code != "en"])
def test_catalog_matches_english(lang: str) -> None:
    catalog = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    assert set(catalog) == set(ENGLISH), set(catalog) ^ set(ENGLISH)
    for key, english in ENGLISH.items():
        if isinstance(english, str):
            assert isinstance(catalog[key], str) and catalog[key].strip(), key
            assert placeholders(catalog[key]) == placeholders(english), key
        elif isinstance(english, dict):  # a plural entry: the forms this language has
            assert isinstance(catalog[key], dict) and "other" in catalog[key], key
            # Arabic writes "دقيقة واحدة", "دقيقتان" (one, two minutes) without the number.
            assert all(placeholders(text) <= {"n"} for text in catalog[key].values()), key
            assert placeholders(catalog[key]["other"]) == {"n"}, key
        else:
            assert isinstance(catalog[key], list), key


def test_language_hints_and_fallback() -> None:
    assert supported("ru-RU") == "ru"
    assert supported("pt-BR") is None
    assert Translator("xx").lang == "en"
    assert Translator("ru")("forget.done") != Translator("en")("forget.done")

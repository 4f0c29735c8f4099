"""Translation catalogs: one JSON file per language in ``bot/locales``; adding one is data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "en"


@cache
def catalog(lang: str) -> dict[str, Any]:
    """The parsed catalog of ``lang`` (empty when there is none)."""
    path = LOCALES / f"{lang}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def languages() -> tuple[str, ...]:
    """Codes of every language with a catalog, English first."""
    codes = sorted(p.stem for p in LOCALES.glob("*.json"))
    return tuple(sorted(codes, key=lambda code: code != FALLBACK))


def supported(lang: str | None) -> str | None:
    """The catalog language matching a platform hint such as ``ru-RU``, or None."""
    if not lang:
        return None
    code = lang.replace("_", "-").split("-")[0].lower()
    return code if code in languages() else None


def language_name(lang: str) -> str:
    """The language's own name for itself, e.g. ``Русский``."""
    return str(catalog(lang).get("language.name", lang))


class Translator:
    """Looks up message keys in one language, falling back to English."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in languages() else FALLBACK

    def raw(self, key: str) -> Any:
        """The catalog value of ``key`` (a string or a list)."""
        value = catalog(self.lang).get(key)
        if value is None:
            value = catalog(FALLBACK).get(key)
        if value is None:
            raise KeyError(f"no translation for {key!r}")
        return value

    def __call__(self, key: str, **values: Any) -> str:
        """The text of ``key`` with ``{placeholders}`` filled in."""
        text = self.raw(key)
        return text.format(**values) if values else text

    def words(self, key: str) -> tuple[str, ...]:
        """A list entry (e.g. command words) in this language and English, lower-cased."""
        found: list[str] = []
        for lang in dict.fromkeys((self.lang, FALLBACK)):
            found += [w.casefold() for w in catalog(lang).get(key, [])]
        return tuple(found)

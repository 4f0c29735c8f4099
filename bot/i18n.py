"""Translation catalogs: one JSON file per language in ``bot/locales``; adding one is data.

A catalog value is a string with ``{placeholders}``, a list (words such as commands), or a
plural entry: an object keyed by CLDR plural category (``one``, ``few``, ``many``…, and
always ``other``) whose texts use ``{n}``; :meth:`Translator.count` picks the form through
Babel's plural rules, so Russian says "1 минута, 3 минуты, 5 минут" and Arabic has its six.

Arabic and Persian readers expect their own digits (٠١٢ and ۰۱۲): their messages are
shaped so unless the translator is asked for Latin digits (the ``MESSAGE_DIGITS`` setting).
Values that are codes (a link, a passcode, the company's name) are never reshaped.
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "en"
LATIN = "latin"
NATIVE = "native"
#: The digits each language's readers expect, where they are not 0-9.
NATIVE_DIGITS = {"ar": "٠١٢٣٤٥٦٧٨٩", "fa": "۰۱۲۳۴۵۶۷۸۹"}
#: Placeholders whose values are codes to copy, never reshaped.
VERBATIM = frozenset({"url", "password", "company", "email"})
_FORMATTER = string.Formatter()
_TO_LATIN = str.maketrans({d: str(i) for digits in NATIVE_DIGITS.values()
                           for i, d in enumerate(digits)})


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


def latin_digits(text: str) -> str:
    """``text`` with Arabic-Indic and Persian digits written 0-9 (what parsers expect)."""
    return text.translate(_TO_LATIN)


@cache
def _digit_table(lang: str) -> dict[int, str]:
    digits = NATIVE_DIGITS[lang]
    table = {ord(str(i)): d for i, d in enumerate(digits)}
    # The other script's digits too: a Persian reader gets ۴, not the Arabic ٤.
    table.update({ord(d): digits[i] for other in NATIVE_DIGITS.values() if other != digits
                  for i, d in enumerate(other)})
    return table


@cache
def plural_rule(lang: str) -> Any:
    """Babel's plural rule of ``lang``: a callable from a number to its CLDR category."""
    return Locale.parse(lang).plural_form


class Translator:
    """Looks up message keys in one language, falling back to English.

    ``digits`` is ``"native"`` (Arabic and Persian get their own digits) or ``"latin"``.
    """

    def __init__(self, lang: str, *, digits: str = NATIVE) -> None:
        self.lang = lang if lang in languages() else FALLBACK
        self.digits = digits

    def raw(self, key: str) -> Any:
        """The catalog value of ``key`` (a string, a list or a plural entry)."""
        value = catalog(self.lang).get(key)
        if value is None:
            value = catalog(FALLBACK).get(key)
        if value is None:
            raise KeyError(f"no translation for {key!r}")
        return value

    def __call__(self, key: str, **values: Any) -> str:
        """The text of ``key`` with ``{placeholders}`` filled in, in the reader's digits."""
        text = self.raw(key)
        if not isinstance(text, str):
            raise TypeError(f"{key!r} is not a text (use count() for plural entries)")
        return self.fill(text, values) if values else self.shape(text)

    def fill(self, template: str, values: dict[str, Any]) -> str:
        """``template`` formatted; literal text and values (codes aside) in the reader's digits."""
        parts = []
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            parts.append(self.shape(literal))
            if name is None:
                continue
            value = _FORMATTER.convert_field(_FORMATTER.get_field(name, (), values)[0],
                                             conversion)
            formatted = format(value, spec or "")
            parts.append(formatted if name in VERBATIM else self.shape(formatted))
        return "".join(parts)

    def shape(self, text: str) -> str:
        """``text`` with its digits as this reader expects them."""
        if self.lang in NATIVE_DIGITS and self.digits != LATIN:
            return text.translate(_digit_table(self.lang))
        return latin_digits(text)

    def count(self, key: str, n: int) -> str:
        """The plural entry ``key`` for ``n`` ("5 минут"), its form chosen by CLDR's rules."""
        entry = catalog(self.lang).get(key)
        lang = self.lang
        if not isinstance(entry, dict):
            entry, lang = catalog(FALLBACK).get(key), FALLBACK
        if not isinstance(entry, dict):
            raise KeyError(f"no plural entry for {key!r}")
        form = plural_rule(lang)(n)
        return self.fill(str(entry.get(form, entry["other"])), {"n": n})

    def words(self, key: str) -> tuple[str, ...]:
        """A list entry (e.g. command words) in this language and English, lower-cased."""
        found: list[str] = []
        for lang in dict.fromkeys((self.lang, FALLBACK)):
            found += [w.casefold() for w in catalog(lang).get(key, [])]
        return tuple(found)

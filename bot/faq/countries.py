"""Find the country a FAQ question names ("can you help with a Syrian case?")."""

from __future__ import annotations

import re

from bot.validation.countries import Country, resolve_country

#: Longest run of words tried as a country name ("South Sudan", "Bosnia and Herzegovina").
MAX_COUNTRY_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{3,}(?:[-’'][^\W\d_]+)*")


def _is_code_like(word: str) -> bool:
    """Three Latin letters read as an ISO code ("ala" is the Åland Islands) far more often
    than they name a country in a question: Arabizi "3ala" (on), "per", "can"."""
    return len(word) <= 3 and word.isascii()


def country_in(question: str, lang: str) -> Country | None:
    """The one country ``question`` names (a name or its adjective, in ``lang`` or
    English), or None when it names none or several."""
    words = _WORD.findall(question)
    found: dict[str, Country] = {}
    taken: set[int] = set()
    for size in range(MAX_COUNTRY_WORDS, 0, -1):
        for start in range(len(words) - size + 1):
            span = set(range(start, start + size))
            if span & taken or (size == 1 and _is_code_like(words[start])):
                continue
            guess = resolve_country(" ".join(words[start:start + size]), lang)
            if guess.country is not None:
                found[guess.country.code] = guess.country
                taken |= span
    return next(iter(found.values())) if len(found) == 1 else None

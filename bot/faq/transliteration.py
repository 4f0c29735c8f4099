"""Latin-script Arabic, Persian, Russian and Ukrainian spelt back in their own script.

People type "ta2rir" for تقرير, "khabir" for خبير and "skolko stoit" for "сколько стоит"
when their keyboard has no Arabic or Cyrillic. The lexical matcher only knows each
language's own spellings, so :func:`native_spellings` gives it the question re-spelt with a
small rule table as well, for the lexical matcher alone (the model reads the original).

The tables are deliberately rough: Arabizi leaves most short vowels to guess, and a letter
or two wrong still matches as a typo. Digits stand for Arabic letters (3 ع, 7 ح, 2 ق or ء,
5 خ, 9 ق, 6 ط); the conversation's language picks the table, and Arabizi digits inside a
word pick Arabic whatever the conversation's language.
"""

from __future__ import annotations

import re

from bot.faq import arabizi

_ARABIC = arabizi.TABLE
#: Persian (Finglish) has its own letters for ch, g, p, zh and v.
_PERSIAN = (("ch", "چ"), ("zh", "ژ"), ("g", "گ"), ("p", "پ"), ("v", "و"), *_ARABIC)
_RUSSIAN = (
    ("shch", "щ"), ("sch", "щ"), ("tsya", "ться"), ("lk", "льк"), ("zh", "ж"), ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"), ("ts", "ц"), ("yu", "ю"), ("ju", "ю"), ("ya", "я"), ("ja", "я"),
    ("yo", "е"), ("jo", "е"), ("ye", "е"), ("je", "е"), ("4", "ч"), ("'", "ь"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"),
    ("z", "з"), ("i", "и"), ("j", "й"), ("k", "к"), ("q", "к"), ("l", "л"), ("m", "м"),
    ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("f", "ф"), ("h", "х"), ("x", "х"), ("c", "ц"), ("y", "ы"),
)
_UKRAINIAN = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"),
    ("ts", "ц"), ("yu", "ю"), ("ya", "я"), ("yi", "ї"), ("ye", "є"), ("'", "ь"),
    ("y", "и"), ("i", "і"), ("h", "г"), ("g", "г"), ("x", "х"), *_RUSSIAN,
)
_LANGUAGE_TABLES = {"ar": _ARABIC, "fa": _PERSIAN, "ru": _RUSSIAN, "uk": _UKRAINIAN}
_VOWELS = frozenset("aeiou")

_LATIN_WORD = re.compile(r"[a-z0-9']+")
_NATIVE_LETTER = re.compile("[\u0400-\u04ff\u0600-\u06ff]")
_LATIN_LETTER = re.compile("[a-z]")
#: An Arabizi digit, alone between or beside Latin letters: "ta2rir", "3ayez", "lujou2"
#: (not "12b" or "covid19").
_ARABIZI = re.compile(r"(?<=[a-z])[235679](?![0-9])|(?<![0-9])[235679](?=[a-z])")
#: The Arabizi article written apart ("el ta2rir"): joined to its noun as in Arabic.
_ARTICLE = re.compile(r"\b(?:el|al|il|l)[ -](?=[a-z0-9])")
#: A Russian or Ukrainian infinitive in -ать/-ять, whose soft sign Latin spellings leave
#: out ("delat"; "-it" is as often "-ит", "stoit").
_INFINITIVE = re.compile("(?<=..)[ая]т$")
#: A doubled consonant is one letter (its shadda is not written), and the single vowel
#: before it short: "sirri" سري, not سيري.
_DOUBLED = re.compile(r"([b-df-hj-np-tv-z])\1")
_SHORT_BEFORE_DOUBLED = re.compile(r"(?<![aeiou])[aeiou](?=([b-df-hj-np-tv-z])\1)")

def native_spellings(text: str, lang: str | None) -> tuple[str, ...]:
    """``text`` re-spelt in the native script of ``lang`` (and in Arabic when it has
    Arabizi digits), or nothing when ``text`` is not Latin-script."""
    lowered = text.casefold()
    if _NATIVE_LETTER.search(lowered) or not _LATIN_LETTER.search(lowered):
        return ()
    tables = []
    if _ARABIZI.search(lowered) and lang != "fa":
        tables.append("ar")
    if lang in _LANGUAGE_TABLES and lang not in tables:
        tables.append(lang)
    return tuple(transliterate(lowered, table) for table in tables)


def transliterate(text: str, lang: str) -> str:
    """Every Latin word of ``text`` spelt in the script of ``lang`` ("ar", "fa", "ru", "uk")."""
    table = _LANGUAGE_TABLES[lang]
    text = text.casefold()
    if lang == "ar":  # Arabic spelt closer to real Arabic words: see bot.faq.arabizi
        return _LATIN_WORD.sub(lambda found: arabizi.spell_word(found.group()),
                               arabizi.join_articles(text))
    if lang == "fa":
        text = _ARTICLE.sub("al", text)
        spell = _arabic_word
    else:
        spell = _cyrillic_word
    return _LATIN_WORD.sub(lambda found: spell(found.group(), table), text)


def _arabic_word(word: str, table: tuple[tuple[str, str], ...]) -> str:
    """An Arabizi word: a doubled consonant is one letter, a vowel opening the word an
    alef, a final "a" or "e" of a longer word the feminine ending, a final "2" a hamza;
    other single "a", "e" and "o" (mostly short vowels) are not written."""
    if word.isdigit():
        return word
    word = _DOUBLED.sub(r"\1", _SHORT_BEFORE_DOUBLED.sub("", word))
    head = "ا" if word[0] in _VOWELS else ""
    tail = ""
    if word[-1] == "2":
        word, tail = word[:-1], "ء"
    elif len(word) > 3 and word[-1] in "ae" and word[-2] not in _VOWELS:
        word, tail = word[:-1], "ه"
    body = word[1:] if head and word[:2] not in ("aa", "ee", "ii", "oo", "ou") else word
    if head and body is not word and body[:1] in _VOWELS:
        body = body[1:]
    return head + _spell(body, table, skip="aeo") + tail


def _cyrillic_word(word: str, table: tuple[tuple[str, str], ...]) -> str:
    """A Latin-script Russian or Ukrainian word: an opening "e" is "э" in Russian, "y"
    after a vowel is "й", and an infinitive gets its soft sign."""
    if word.isdigit():
        return word
    prefix = ""
    if table is _RUSSIAN and word[0] == "e":
        prefix, word = "э", word[1:]
    out: list[str] = []
    index = 0
    while index < len(word):
        if word[index] == "y" and index and word[index - 1] in _VOWELS and (
                index + 1 == len(word) or word[index + 1] not in "aeiou"):
            out.append("й")
            index += 1
            continue
        for latin, native in table:
            if word.startswith(latin, index):
                out.append(native)
                index += len(latin)
                break
        else:
            out.append(word[index])
            index += 1
    spelt = prefix + "".join(out)
    return spelt + "ь" if _INFINITIVE.search(spelt) else spelt


def _spell(word: str, table: tuple[tuple[str, str], ...], skip: str = "") -> str:
    """``word`` spelt with ``table``, leaving out the single letters in ``skip``."""
    out: list[str] = []
    index = 0
    while index < len(word):
        for latin, native in table:
            if word.startswith(latin, index):
                out.append(native)
                index += len(latin)
                break
        else:
            if word[index] not in skip:
                out.append(word[index])
            index += 1
    return "".join(out)

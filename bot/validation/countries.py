"""Turn what a person typed into a country: names in any bot language, codes, aliases, typos.

Names come from pycountry (English, official and common names) and babel (CLDR
territory names in every bot language), plus a short list of everyday aliases
that neither carries ("UK", "Holland", "РФ", "Белоруссия"...). Russian and
Ukrainian names are also known in their case forms ("России", "из Украины"),
generated from each word's ending.
The rule throughout: never return a confident country that may be wrong;
ambiguous or doubtful input yields suggestions instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError
from rapidfuzz import fuzz, process

from bot.validation import cldr


def words(text: str) -> frozenset[str]:
    """The set of space-separated words in ``text`` (for readable word-list constants)."""
    return frozenset(text.split())


BOT_LANGUAGES: tuple[str, ...] = ("en", "ru", "uk", "ar", "fa", "es", "fr")
"""Languages the bot speaks now or soon; their country names are always recognised."""

EXTRA_CODES = frozenset({"XK"})  # Kosovo: user-assigned in ISO 3166 but in CLDR and phone plans

_ALIASES: Mapping[str, tuple[str, ...]] = {
    # English
    "uk": ("GB",), "u k": ("GB",), "great britain": ("GB",), "britain": ("GB",),
    "england": ("GB",), "scotland": ("GB",), "wales": ("GB",), "northern ireland": ("GB",),
    "usa": ("US",), "us": ("US",), "u s": ("US",), "u s a": ("US",), "america": ("US",),
    "united states america": ("US",), "states": ("US",),
    "holland": ("NL",), "ivory coast": ("CI",), "burma": ("MM",), "czech republic": ("CZ",),
    "turkey": ("TR",), "persia": ("IR",), "macedonia": ("MK",), "swaziland": ("SZ",),
    "moldavia": ("MD",), "byelorussia": ("BY",), "belorussia": ("BY",), "kirghizia": ("KG",),
    "palestine": ("PS",), "gaza": ("PS",), "west bank": ("PS",), "uae": ("AE",),
    "emirates": ("AE",), "saudi": ("SA",), "ksa": ("SA",), "bosnia": ("BA",),
    "east timor": ("TL",), "vatican": ("VA",), "drc": ("CD",), "dr congo": ("CD",),
    "korea": ("KR", "KP"), "congo": ("CD", "CG"), "virgin islands": ("VG", "VI"),
    # Russian
    "рф": ("RU",), "российская федерация": ("RU",), "рб": ("BY",), "белоруссия": ("BY",),
    "республика беларусь": ("BY",), "белорусь": ("BY",), "сша": ("US",), "америка": ("US",),
    "штаты": ("US",), "соединенные штаты америки": ("US",), "англия": ("GB",),
    "британия": ("GB",), "соединенное королевство": ("GB",), "шотландия": ("GB",),
    "уэльс": ("GB",), "голландия": ("NL",), "кыргызстан": ("KG",), "молдавия": ("MD",),
    "берег слоновой кости": ("CI",), "бирма": ("MM",), "чешская республика": ("CZ",),
    "северная корея": ("KP",), "южная корея": ("KR",), "корея": ("KR", "KP"),
    "конго": ("CD", "CG"), "дрк": ("CD",), "палестина": ("PS",), "персия": ("IR",),
    "оаэ": ("AE",), "эмираты": ("AE",), "туркмения": ("TM",), "босния": ("BA",),
    "македония": ("MK",), "киргизстан": ("KG",),
    # Ukrainian
    "білорусія": ("BY",), "англія": ("GB",), "британія": ("GB",), "америка сша": ("US",),
    # Persian and Arabic everyday names
    "انگلستان": ("GB",), "انگلیس": ("GB",), "بریتانیا": ("GB",), "آمریکا": ("US",),
    "امریکا": ("US",), "إنجلترا": ("GB",), "انجلترا": ("GB",), "بريطانيا": ("GB",),
    "أمريكا": ("US",), "امريكا": ("US",),
}

# Words that may surround a place name without changing which place is meant.
FILLER_WORDS = words(
    "i im am m was born from in live living my country is it of citizen national "
    "я из в во живу жил жила родом родился родилась моя страна гражданин гражданка "
    "это с со з у країна громадянин громадянка"
)
_STOPWORDS = frozenset({"the", "and", "of", "и", "і", "та", "y", "et", "de", "del", "la", "le"})
# Two- and three-letter codes that are also everyday words: never taken as a code on their own.
_WORDLIKE_CODES = words(
    "NO IT IS ME SO TO BY DO IN AM AS AT BE MY ID AND CAN PER ARE FIN EST TUR MAR"
)

# Case forms of Russian/Ukrainian nouns and adjectives by the ending of their
# dictionary form (after ``fold``, which writes "ё" as "е" and "ї" as "і").
# Longest ending first; a word with no listed ending takes the consonant row.
_CASE_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ия", ("ии", "ию", "ией")),
    ("ія", ("іі", "ію", "ією")),
    ("ея", ("еи", "ее", "ею", "еей")),
    ("ая", ("ой", "ую")),
    ("ые", ("ых", "ым")),
    ("ие", ("их", "им")),
    ("ий", ("ого", "ом")),
    ("ый", ("ого", "ом")),
    ("і", ("их", "им")),
    ("а", ("ы", "и", "е", "у", "ой", "ою", "і")),
    ("я", ("и", "е", "ю", "ей", "і")),
    ("ь", ("и", "ью", "і")),
    ("й", ("я", "ю", "е", "ем")),
    ("ы", ("ов", "ам", "ах")),
    ("и", ("ів",)),
)
_INDECLINABLE_ENDINGS = ("о", "е", "у", "ю", "э")
_CONSONANT_FORMS = ("а", "у", "е", "ом", "і")
MAX_INFLECTED_WORDS = 3
_ARABIC_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ـ": None, "\u200c": " "})
_NON_WORD = re.compile(r"[^\w]+")

CONFIDENT_SCORE = 85.0
SHORT_CONFIDENT_SCORE = 90.0  # for five letters or fewer, where one typo weighs more
SHORT = 5
CONFIDENT_MARGIN = 8.0
SUGGEST_SCORE = 72.0
MAX_SUGGESTIONS = 3
# A runner-up below this cannot spoil a confident match, so weaker scores need not be computed.
_FUZZY_CUTOFF = min(SUGGEST_SCORE, CONFIDENT_SCORE - CONFIDENT_MARGIN)


def babel_locale(lang: str | None) -> Locale:
    """The babel locale for a language code such as "ru", "en-US" or "pt_BR"; English if unknown."""
    if lang:
        try:
            return Locale.parse(lang.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            try:
                return Locale.parse(re.split(r"[-_]", lang)[0])
            except (UnknownLocaleError, ValueError, TypeError):
                pass
    return Locale("en")


def territory_names(lang: str) -> Mapping[str, str]:
    """CLDR's country names by code in ``lang`` (as :func:`babel_locale` reads it); those of
    the bot's languages are written out (:mod:`bot.validation.cldr`)."""
    return cldr.territories(lang) or babel_locale(lang).territories


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of ``text`` for comparisons."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е").replace("ї", "і")
    text = "".join(_without_marks(ch) for ch in text.translate(_ARABIC_FOLD))
    text = text.replace("’", "").replace("'", "").replace("ʼ", "").replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def _without_marks(ch: str) -> str:
    if _is_cyrillic(ch):  # "й" is a letter of its own, not "и" with an accent
        return ch
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if unicodedata.category(c) != "Mn")


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def word_forms(word: str) -> tuple[str, ...]:
    """A folded word and, if Cyrillic, its case forms: "россия" → россии, россию..."""
    if not _is_cyrillic(word) or len(word) < 3:
        return (word,)
    for ending, forms in _CASE_FORMS:
        if word.endswith(ending):
            stem = word[: -len(ending)]
            return (word, *(stem + form for form in forms))
    if word.endswith(_INDECLINABLE_ENDINGS):
        return (word,)
    return (word, *(word + form for form in _CONSONANT_FORMS))


def word_bases(word: str) -> tuple[str, ...]:
    """A folded word and the dictionary forms it may be a case form of ("мюнхене" → мюнхен)."""
    bases = [word]
    if _is_cyrillic(word) and len(word) >= 4:
        for ending, forms in _CASE_FORMS:
            bases += [word[: -len(f)] + ending for f in forms if word.endswith(f)]
        bases += [word[: -len(f)] for f in _CONSONANT_FORMS if word.endswith(f)]
    return tuple(dict.fromkeys(b for b in bases if len(b) >= 2))


def key_forms(key: str) -> set[str]:
    """Every case form of a multi-word key, each word inflected alike or left as is."""
    words_ = key.split()
    if len(words_) > MAX_INFLECTED_WORDS:
        return {key}
    forms = [""]
    for word in words_:
        forms = [f"{prefix} {form}".strip() for prefix in forms for form in word_forms(word)]
    return set(forms)


def match_key(text: str) -> str:
    """Folded text without stop words: the key exact name lookups use."""
    return " ".join(w for w in fold(text).split() if w not in _STOPWORDS)


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code this module accepts."""
    return frozenset(c.alpha_2 for c in pycountry.countries) | EXTRA_CODES


@dataclass(frozen=True)
class Country:
    """A country by its ISO 3166-1 alpha-2 code."""

    code: str

    def __post_init__(self) -> None:
        if self.code not in known_codes():
            raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {self.code!r}")

    def name(self, lang: str) -> str:
        """The country's name in ``lang`` (CLDR), falling back to English."""
        for language in (lang, "en"):
            name = territory_names(language).get(self.code)
            if name:
                return name
        record = pycountry.countries.get(alpha_2=self.code)
        return record.name if record else self.code


@dataclass(frozen=True)
class CountryGuess:
    """``country`` is set only when confident; otherwise up to three ``suggestions``."""

    country: Country | None
    suggestions: tuple[Country, ...] = ()


def _names_by_code(lang: str) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {code: [] for code in known_codes()}
    for record in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(record, attr, None)
            if value:
                names[record.alpha_2].append(value)
    for language in dict.fromkeys((*BOT_LANGUAGES, lang)):
        territories = territory_names(language)
        for code in names:
            value = territories.get(code)
            if value:
                names[code].append(value)
    return names


@dataclass(frozen=True)
class _Index:
    exact: Mapping[str, frozenset[str]]
    fuzzy_keys: tuple[str, ...]  # names for typo matching ...
    fuzzy_codes: tuple[str, ...]  # ... and the country each belongs to
    max_words: int  # the most words any exact key has: longer runs cannot match


def _add(table: dict[str, set[str]], key: str, codes: Iterable[str]) -> None:
    if key:
        table.setdefault(key, set()).update(codes)


def shared(lang: str) -> str:
    """The language a name index for ``lang`` is built and cached under: each holds the
    names in every bot language (and ``lang``), so the bot's languages share one."""
    return BOT_LANGUAGES[0] if lang in BOT_LANGUAGES else lang


@lru_cache(maxsize=16)
def _index(lang: str) -> _Index:
    exact: dict[str, set[str]] = {}
    fuzzy: list[tuple[str, str]] = []
    entries: list[tuple[str, tuple[str, ...]]] = []
    for code, names in _names_by_code(lang).items():
        entries.extend((name, (code,)) for name in names)
    entries.extend(_ALIASES.items())
    for name, codes in entries:
        key = match_key(name)
        for form in key_forms(key):
            _add(exact, form, codes)
        if len(codes) == 1 and len(key) >= 4:
            fuzzy.append((key, codes[0]))
    fuzzy = list(dict.fromkeys(fuzzy))
    # One frozenset per distinct set of codes (~250), shared by its keys (~7,200):
    # a set of one is 216 bytes, so a set per key was 1.4 of the index's 3.6 MiB.
    shared_codes: dict[frozenset[str], frozenset[str]] = {}
    return _Index(
        exact={k: shared_codes.setdefault(frozenset(v), frozenset(v)) for k, v in exact.items()},
        fuzzy_keys=tuple(k for k, _ in fuzzy),
        fuzzy_codes=tuple(c for _, c in fuzzy),
        max_words=max(len(k.split()) for k in exact),
    )


def _lookup(index: _Index, key: str) -> frozenset[str]:
    return index.exact.get(key, frozenset())


def named_country(key: str, lang: str) -> Country | None:
    """The one country whose name (in any bot language, or an alias) is exactly ``key``,
    a folded text without filler words; None for typos or several countries."""
    codes = _lookup(_index(shared(lang)), " ".join(w for w in key.split() if w not in _STOPWORDS))
    return Country(next(iter(codes))) if len(codes) == 1 else None


def _flag_codes(text: str) -> list[str]:
    letters = [chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in text if 0x1F1E6 <= ord(ch) <= 0x1F1FF]
    return ["".join(letters[i : i + 2]) for i in range(0, len(letters) - 1, 2)]


def _countries(codes: Iterable[str]) -> tuple[Country, ...]:
    return tuple(Country(c) for c in sorted(set(codes)) if c in known_codes())


def _ambiguous(codes: Iterable[str]) -> CountryGuess:
    return CountryGuess(None, _countries(codes)[:MAX_SUGGESTIONS])


def _decide(codes: frozenset[str], confident: bool) -> CountryGuess:
    if len(codes) == 1 and confident:
        return CountryGuess(Country(next(iter(codes))))
    return _ambiguous(codes)


def _by_code(raw: str) -> CountryGuess | None:
    if not (2 <= len(raw) <= 3 and raw.isascii() and raw.isalpha()):
        return None
    upper = raw.upper()
    record = pycountry.countries.get(alpha_2=upper) if len(raw) == 2 else None
    record = record or (pycountry.countries.get(alpha_3=upper) if len(raw) == 3 else None)
    code = record.alpha_2 if record else (upper if upper in EXTRA_CODES else None)
    if code is None:
        return None
    if upper in _WORDLIKE_CODES:
        # "no", "it", "me"... are words first; only a deliberate capitalised code earns a hint.
        return _ambiguous([code]) if raw.isupper() else CountryGuess(None)
    return CountryGuess(Country(code))


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Match keys of the words in ``text``, each with whether it was written in capitals."""
    text = unicodedata.normalize("NFKC", text)
    for mark in ("’", "'", "ʼ"):
        text = text.replace(mark, "")
    tokens = []
    for piece in _NON_WORD.sub(" ", text).replace("_", " ").split():
        key = match_key(piece)
        if key:
            tokens.append((key, piece.isupper()))
    return tokens


def _by_words(index: _Index, text: str) -> CountryGuess | None:
    """Find names inside a sentence ("I am from Russia", "из России")."""
    tokens = _tokens(text)
    keys = [key for key, _ in tokens]
    # Runs longer than the longest name cannot match: a long message costs linear time.
    for size in range(min(len(tokens) - 1, index.max_words), 0, -1):
        hits: list[tuple[int, frozenset[str]]] = []
        for start in range(len(tokens) - size + 1):
            key = " ".join(keys[start : start + size])
            capitals = all(upper for _, upper in tokens[start : start + size])
            if len(key) < 4 and not capitals:  # "us", "uk" as words are pronouns, not countries
                continue
            found = _lookup(index, key)
            if found:
                hits.append((start, found))
        if hits:
            codes = frozenset().union(*(found for _, found in hits))
            covered = {i for start, _ in hits for i in range(start, start + size)}
            rest = [key for i, key in enumerate(keys) if i not in covered]
            return _decide(codes, all(key in FILLER_WORDS for key in rest))
    return None


def _by_typo(index: _Index, key: str) -> CountryGuess:
    if len(key) < 4:
        return CountryGuess(None)
    best: dict[str, float] = {}
    for _, score, position in process.extract(
        key, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
    ):
        code = index.fuzzy_codes[position]
        best[code] = max(score, best.get(code, 0.0))
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    top = [(code, score) for code, score in ranked if score >= SUGGEST_SCORE][:MAX_SUGGESTIONS]
    if not top:
        return CountryGuess(None)
    (code, score), runner_up = top[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
    needed = SHORT_CONFIDENT_SCORE if len(key) <= SHORT else CONFIDENT_SCORE
    if score >= needed and score - runner_up >= CONFIDENT_MARGIN:
        return CountryGuess(Country(code))
    return CountryGuess(None, tuple(Country(c) for c, _ in top))


def resolve_country(text: str, lang: str) -> CountryGuess:
    """Recognise a country in ``text`` written in ``lang`` (or English, or any bot language)."""
    raw = text.strip()
    flags = [c for c in _flag_codes(raw) if c in known_codes()]
    if flags:
        return _decide(frozenset(flags), confident=True)
    by_code = _by_code(raw.strip(" .,!?;:").replace(".", ""))
    if by_code is not None:
        return by_code
    key = match_key(raw)
    if not key:
        return CountryGuess(None)
    index = _index(shared(lang or "en"))
    found = _lookup(index, key)
    if found:
        return _decide(found, confident=True)
    return _by_words(index, raw) or _by_typo(index, key)

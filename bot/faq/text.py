"""Text normalisation for FAQ matching: folding, tokenising and stemming words."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable

from bot.faq import stemmers

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
#: Marks that change no word's meaning for matching: Arabic short vowels, the dagger alif
#: and the tatweel. Persian's zero-width non-joiner (as in mi-khaham) splits a word's parts.
_IGNORABLE = re.compile("[\u064b-\u065f\u0670\u0640]")
_ZWNJ = "\u200c"
#: Arabic and Persian letter forms people type interchangeably: alef with or without hamza
#: or madda, teh marbuta and heh, alef maksura and yeh, and the Arabic and Persian yeh and
#: kaf (one keyboard for both languages), folded to one form each.
LETTER_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ۀ": "ه",
                              "ى": "ي", "ي": "ی", "ك": "ک"})
#: The Arabic stemmer wants Arabic yeh and kaf back.
_ARABIC_LETTERS = str.maketrans({"ی": "ي", "ک": "ك"})
#: Question marks of the scripts people write here (Latin, Arabic and Persian, Spanish's
#: opening one, the full-width one of some phone keyboards).
QUESTION_MARKS = frozenset("?؟¿？")


def has_question_mark(text: str) -> bool:
    """Whether ``text`` contains a question mark of any script."""
    return any(mark in text for mark in QUESTION_MARKS)


def fold_for_model(text: str) -> str:
    """Lower-case ``text``, drop Arabic short vowels and the tatweel, split at ZWNJ: what
    the semantic model reads (it knows every letter form itself)."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    text = _IGNORABLE.sub("", text).replace(_ZWNJ, " ")
    return text.replace("ё", "е")


def fold(text: str) -> str:
    """:func:`fold_for_model`, and Arabic and Persian letter forms folded to one each:
    what the lexical matcher compares."""
    return fold_for_model(text).translate(LETTER_FORMS)


def words(text: str) -> list[str]:
    """Split ``text`` into folded words (runs of letters; digits and punctuation split)."""
    return _WORD.findall(fold(text))


_local = threading.local()


def _stemmer(algorithm: str) -> stemmers.Stemmer:
    """This thread's stemmer: Snowball stemmers keep state and are not thread-safe."""
    own = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in own:
        own[algorithm] = stemmers.stemmer(algorithm)
    return own[algorithm]


def stemmer_exists(algorithm: str) -> bool:
    """Whether ``algorithm`` names a Snowball stemmer (e.g. ``"english"``, ``"russian"``)."""
    return algorithm in stemmers.algorithms()


def stem(word: str, algorithm: str | None) -> str:
    """Stem a folded ``word`` with a Snowball ``algorithm``; ``None`` leaves it as is."""
    if algorithm is None:
        return word
    if algorithm == "arabic":
        word = word.translate(_ARABIC_LETTERS)
    return fold(_stemmer(algorithm).stemWord(word))


_LATIN = re.compile("[\u0000-\u024f]")
_CYRILLIC = re.compile("[\u0400-\u052f]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
#: The script whose letters each algorithm used here acts on: a word with none of them
#: comes out of it as it went in (then folded, as :func:`stem` does), so the pure-Python
#: stemmer need not run (a Cyrillic word skips five of six). Checked by
#: ``tests/bot/test_faq_lexical_speed.py`` on every 4th word of the knowledge and benchmark files.
SCRIPT_OF = {"english": _LATIN, "french": _LATIN, "spanish": _LATIN, "russian": _CYRILLIC,
             "arabic": _ARABIC, "persian": _ARABIC}


def stems(word: str, algorithms: Iterable[str | None]) -> frozenset[str]:
    """Every stem of ``word`` under the given algorithms (one per language)."""
    folded = fold(word)
    return frozenset(folded if not _acts_on(algorithm, word) else stem(word, algorithm)
                     for algorithm in algorithms)


def _acts_on(algorithm: str | None, word: str) -> bool:
    """Whether ``algorithm`` may change ``word`` (False: it is known to leave it as is)."""
    script = SCRIPT_OF.get(algorithm) if algorithm is not None else None
    return script is None or bool(script.search(word))

"""Text normalisation for understanding: one folded form for typed text and vocabulary.

Case, accents that change no word here, Arabic short vowels and letter variants, Persian
and Arabic forms of the same letter, apostrophes and hyphens are all folded, so
"По-русски", "по русски" and "ПО-РУССКИ" read alike, as do "أريد" and "اريد".
"""

from __future__ import annotations

import re
import unicodedata

from bot.faq.text import has_question_mark

__all__ = ["fold", "has_question_mark", "tokens"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: Arabic short vowels, the dagger alif and the tatweel carry no meaning for matching.
_IGNORABLE = re.compile("[\u064b-\u065f\u0670\u0640]")
_LETTERS = str.maketrans({
    "ё": "е", "ґ": "г",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ي": "ی", "ك": "ک",
    "\u200c": " ", "-": " ", "'": "", "’": "", "ʼ": "", "`": "",
})


def fold(text: str) -> str:
    """Lower-case ``text`` and fold the differences listed in the module docstring."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _IGNORABLE.sub("", text).translate(_LETTERS)
    # Latin accents (é, ñ) are kept apart from Cyrillic й and Arabic letters: strip only
    # combining marks that follow a Latin letter.
    decomposed = unicodedata.normalize("NFD", text)
    out: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and out and "a" <= out[-1] <= "z":
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def tokens(text: str) -> tuple[str, ...]:
    """The folded words of ``text`` (runs of letters and digits)."""
    return tuple(_WORD.findall(fold(text)))

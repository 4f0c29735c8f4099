"""Which offered option a typed reply names: its number, its label, a yes or a no, a part.

Read in this order, the first that decides wins:

1. a number in any script ("2", "٢", "۲", "2️⃣") picks that option;
2. the whole label or the choice id, in any case;
3. a yes or a no in any of the bot's languages ("да", "так", "نعم", "آره", "vale",
   "ouais"), when an option with that meaning is offered: ids in :data:`YES_IDS` mean yes,
   in :data:`NO_IDS` no. Words come from every catalog's ``choices.yes``/``choices.no``, so
   a Ukrainian who types "да" is understood too;
4. the whole label with a typo (RapidFuzz ratio ≥ 85);
5. a part of one label, word by word ("отказ" → "Отказ, апелляция"; "appeal" → "Refused,
   appealing"), when exactly one label is the best and no negation makes it doubtful
   ("I do not agree" never picks "Yes, I agree"); never for a question ("is the consultation
   free?") or more than six words, which the state reads as text (a FAQ question, a story).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from rapidfuzz import fuzz

from bot.i18n import catalog, languages, latin_digits
from bot.validation.countries import fold

#: Choice ids that answer yes, then no, in order of preference when several are offered.
YES_IDS: tuple[str, ...] = ("yes", "confirm", "erase")
NO_IDS: tuple[str, ...] = ("no", "keep", "stop", "change", "none")
LABEL_TYPO_SCORE = 85.0
WORD_SCORE = 80.0
MIN_WORD = 3
MIN_PREFIX = 4
MAX_WORDS = 6
QUESTION_MARKS = ("?", "؟", "¿")


@cache
def answer_words() -> dict[str, frozenset[str]]:
    """Folded yes and no words and phrases of every catalog, plus the negations."""
    found: dict[str, set[str]] = {"yes": set(), "no": set(), "negations": set()}
    for lang in languages():
        for kind in found:
            found[kind].update(fold(w) for w in catalog(lang).get(f"choices.{kind}", []))
    return {kind: frozenset(words - {""}) for kind, words in found.items()}


def _number(cleaned: str, count: int) -> int | None:
    # A keycap emoji ("2️⃣") is the digit, a variation selector and the keycap mark.
    cleaned = cleaned.replace("\ufe0f", "").removesuffix("\u20e3")
    if not cleaned.isdecimal():  # isdigit() would also take "²", which int() refuses
        return None
    index = int(latin_digits(cleaned)) - 1
    return index if 0 <= index < count else -1


def meaning(text: str) -> str | None:
    """ "yes" or "no" if ``text`` is, or starts with, one (and says nothing against it)."""
    key = fold(text)
    words = answer_words()
    for kind in ("yes", "no"):
        if key in words[kind]:
            return kind
    tokens = key.split()
    for kind, other in (("yes", "no"), ("no", "yes")):
        starts = any(key.startswith(w + " ") for w in words[kind])
        against = any(t in words[other] or t in words["negations"] for t in tokens) \
            if kind == "yes" else any(t in words[other] for t in tokens)
        if starts and not against:
            return kind
    return None


def _by_meaning(text: str, offered: Sequence[tuple[str, str]]) -> str | None:
    kind = meaning(text)
    if kind is None:
        return None
    ids = {choice_id for choice_id, _ in offered}
    return next((i for i in (YES_IDS if kind == "yes" else NO_IDS) if i in ids), None)


def _content(text: str) -> list[str]:
    """Words that can name a label: folded, not numbers, not one or two letters."""
    return [w for w in fold(text).split() if len(w) >= MIN_WORD and not any(c.isdigit() for c in w)]


def _word_score(typed: str, label_words: Sequence[str]) -> float:
    best = 0.0
    for word in label_words:
        if typed == word:
            return 100.0
        if min(len(typed), len(word)) >= MIN_PREFIX and (
                typed.startswith(word) or word.startswith(typed)):
            best = max(best, 95.0)  # an inflected form: "апелляцию", "отказали"
        else:
            best = max(best, fuzz.ratio(typed, word))
    return best


def _by_words(text: str, offered: Sequence[tuple[str, str]]) -> str | None:
    typed = _content(text)
    if not typed or len(typed) > MAX_WORDS or any(mark in text for mark in QUESTION_MARKS):
        return None  # a question or a story is not a choice: the state reads it as text
    # Numbers name no label, but they count against it: "what is 17 times 23" is not the
    # topic "What is an expert report?" (one word of four matches).
    numbers = sum(1 for w in fold(text).split() if any(c.isdigit() for c in w))
    negations = answer_words()["negations"] | answer_words()["no"]
    negated = any(w in negations for w in fold(text).split())
    scores: list[tuple[float, str]] = []
    for choice_id, label in offered:
        label_words = _content(label)
        if not label_words:
            continue
        if negated and not any(w in negations for w in fold(label).split()):
            continue  # "не согласен" must not pick "Да, согласен"
        matched = [s for s in (_word_score(w, label_words) for w in typed) if s >= WORD_SCORE]
        if matched and len(matched) * 2 >= len(typed) + numbers:
            scores.append((sum(matched), choice_id))
    scores.sort(reverse=True)
    if not scores or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    return scores[0][1]


def read_choice(text: str, offered: Sequence[tuple[str, str]]) -> str | None:
    """The id of the offered ``(id, label)`` the text names, or None."""
    cleaned = text.strip().rstrip(".)").strip()
    index = _number(cleaned, len(offered))
    if index is not None:
        return offered[index][0] if index >= 0 else None
    folded = cleaned.casefold()
    for choice_id, label in offered:
        if folded in (label.casefold(), choice_id.casefold()):
            return choice_id
    key = fold(cleaned)
    for choice_id, label in offered:
        if key and key == fold(label):
            return choice_id
    found = _by_meaning(cleaned, offered)
    if found is not None:
        return found
    best, best_score = None, 0.0
    for choice_id, label in offered:
        score = fuzz.ratio(folded, label.casefold())
        if score > best_score:
            best, best_score = choice_id, score
    if best_score >= LABEL_TYPO_SCORE:
        return best
    return _by_words(cleaned, offered)

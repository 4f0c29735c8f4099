"""What a short message asks for, beyond the FAQ: a person, booking, the booking, language,
greetings and thanks, in every language of ``intents/<lang>.json``.

A vocabulary file holds ``filler`` (words that carry no request: "please", "I", "want"),
``reports`` (words telling what happened: "cancelled", "отменили", "قالوا"; a message with
one is a story, never a request, whatever a typo-tolerant match would make of it),
``question_words`` (a message starting with one is a question), ``language_names`` (each
language's names as this language writes them), ``intents``: for each intent id a list
of patterns, and ``not_requests``: patterns of questions that only look like requests
("do you speak Arabic?" is for the FAQ, while "can we speak Arabic?" switches); when one
explains more of the message than any request, the message is no request.

A pattern is slots separated by spaces; a slot is alternatives separated by ``|``; ``?``
after a slot makes it optional; ``*`` after an alternative matches any word starting with
it (word forms: ``человек*``), ``=`` takes it without typos (``hablan=``); ``{lang}`` is
any language name.

Precision first. A message is read only when it is short (``MAX_WORDS``). A pattern's
required slots must appear in order; every word the pattern does not use must be filler,
except for a few other words (``MAX_EXTRA``, two for a person, none for a language) when
the pattern has two required slots or more (none for a one-word pattern). Greetings and
thanks are bags of words (see ``_match``), and the whole message must be made of them and
filler. So "I want to talk to a person" is a request for a person, while a story that
mentions a person is not. Words of five letters or more match with one typo (two from
eight letters); language names match exactly or by their prefix, never by a typo
("Russia" is not "Russian").
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.understanding.text import tokens

VOCABULARY = Path(__file__).parent / "intents"
#: Longer messages are stories, never read as a request.
MAX_WORDS = 12
#: Words a pattern of two or more required slots may leave unexplained, by intent: "can I
#: speak to someone from your team about my case" is still a request for a person, while
#: "my appointment at the Home Office" is not about our booking, and "I speak Russian and
#: Ukrainian" asks for no language.
MAX_EXTRA = 1
#: Distinct words whose vocabulary hits are kept (a few hundred kilobytes at most).
_HITS_CACHED = 20_000


class Intent(StrEnum):
    """What a message asks for; the order is the tie-break, first wins."""

    HUMAN = "human"
    CANCEL_BOOKING = "cancel_booking"
    MOVE_BOOKING = "move_booking"
    MY_BOOKING = "mybooking"
    BOOK = "book"
    LANGUAGE = "language"
    THANKS = "thanks"
    GREETING = "greeting"


#: Intents that must be the whole message (besides filler).
_WHOLE_MESSAGE = frozenset({Intent.THANKS, Intent.GREETING})
_PRIORITY: dict[Intent | None, int] = {intent: rank for rank, intent in enumerate(Intent)}
_EXTRA = {Intent.HUMAN: 2, Intent.LANGUAGE: 0}
_LANG_SLOT = "{lang}"


@dataclass(frozen=True)
class Detected:
    """An intent found in a message; ``language`` is the language asked for, if any."""

    intent: Intent
    language: str | None = None


@dataclass(frozen=True)
class _Alternative:
    word: str
    prefix: bool
    exact: bool = False  # "=": no typo ("hablan=" is not "habla")


@dataclass(frozen=True)
class _Slot:
    alternatives: frozenset[_Alternative]
    optional: bool
    language: bool  # the {lang} slot


@dataclass(frozen=True)
class _Pattern:
    intent: Intent | None  # None: a question that only looks like a request
    slots: tuple[_Slot, ...]

    @property
    def required(self) -> int:
        return sum(not slot.optional for slot in self.slots)


def _alternative(raw: str) -> _Alternative:
    prefix, exact = raw.endswith("*"), raw.endswith("=")
    words = tokens(raw.rstrip("*="))
    if len(words) != 1:
        raise ValueError(f"pattern word {raw!r} must be one word")
    return _Alternative(words[0], prefix, exact)


def _slot(raw: str) -> _Slot:
    optional = raw.endswith("?") and len(raw) > 1
    body = raw[:-1] if optional else raw
    if body == _LANG_SLOT:
        return _Slot(frozenset(), optional, True)
    return _Slot(frozenset(_alternative(a) for a in body.split("|") if a), optional, False)


def _allowed_typos(target: str) -> int:
    """Typos a word of the vocabulary tolerates: none below five letters, two from eight."""
    return 0 if len(target) < 5 else 2 if len(target) >= 8 else 1


class IntentDetector:
    """Finds intents in short messages; built once from the vocabulary files, thread-safe."""

    def __init__(self, vocabularies: Iterable[dict]) -> None:
        self.filler: set[str] = set()
        self.question_words: set[str] = set()
        self.reports: set[str] = set()
        self.patterns: list[_Pattern] = []
        self._language_words: dict[str, str] = {}
        self._language_prefixes: dict[str, str] = {}
        for vocabulary in vocabularies:
            for word in vocabulary.get("filler", []):
                self.filler.update(tokens(word))
            for word in vocabulary.get("reports", []):
                self.reports.update(tokens(word)[-1:])  # "صحبت‌کردم": the verb, not the noun
            for word in vocabulary.get("question_words", []):
                self.question_words.update(tokens(word))
            for code, names in vocabulary.get("language_names", {}).items():
                for name in map(_alternative, names):
                    table = self._language_prefixes if name.prefix else self._language_words
                    table.setdefault(name.word, code)
            sources = [*vocabulary.get("intents", {}).items(),
                       (None, vocabulary.get("not_requests", []))]
            for intent, patterns in sources:
                for pattern in patterns:
                    slots = tuple(_slot(raw) for raw in pattern.split())
                    if not any(slot.alternatives for slot in slots):
                        raise ValueError(f"pattern {pattern!r} needs a word besides {{lang}}")
                    self.patterns.append(_Pattern(intent and Intent(intent), slots))
        self._index({a for p in self.patterns for slot in p.slots for a in slot.alternatives})
        #: A word's hits depend on the vocabulary alone: each word is searched once (the
        #: typo search is most of a message's reading; "1", "yes", "hello" come again and
        #: again). Bounded, thread-safe.
        self._hits = lru_cache(maxsize=_HITS_CACHED)(self._search)
        # Only patterns holding a word of the message are tried.
        self._patterns_of: dict[_Alternative, set[int]] = defaultdict(set)
        for number, pattern in enumerate(self.patterns):
            for slot in pattern.slots:
                for alternative in slot.alternatives:
                    self._patterns_of[alternative].add(number)

    def _index(self, alternatives: set[_Alternative]) -> None:
        """Tables that find the vocabulary words a typed word matches without a full scan."""
        self._exact: dict[str, list[_Alternative]] = defaultdict(list)
        self._prefixes: dict[str, list[_Alternative]] = defaultdict(list)
        self._typo_targets: dict[int, list[str]] = defaultdict(list)  # by allowed typos
        self._typo_prefixes: dict[int, list[str]] = defaultdict(list)  # by length
        for alternative in alternatives:
            word = alternative.word
            (self._prefixes if alternative.prefix else self._exact)[word].append(alternative)
            if alternative.prefix and len(word) >= 5:
                self._typo_prefixes[len(word)].append(word)
            elif not alternative.prefix and not alternative.exact and _allowed_typos(word):
                self._typo_targets[_allowed_typos(word)].append(word)

    @classmethod
    def load(cls, directory: Path = VOCABULARY) -> IntentDetector:
        """Read every ``*.json`` vocabulary in ``directory``."""
        return cls(json.loads(path.read_text(encoding="utf-8"))
                   for path in sorted(directory.glob("*.json")))

    def detect(self, text: str) -> Detected | None:
        """The intent of ``text``, or None when it is not clearly a request we know."""
        words = tokens(text)
        if not words or len(words) > MAX_WORDS or not self.reports.isdisjoint(words):
            return None
        hits = [self._hits(word) for word in words]
        languages = [self.language_named(word) for word in words]
        best: tuple[int, int, Detected | None] | None = None
        candidates = set().union(*(self._patterns_of[a] for hit in hits for a in hit))
        for number in sorted(candidates):
            pattern = self.patterns[number]
            found = self._match(pattern, hits, languages)
            if found is None:
                continue
            used, language = found
            if not self._explained(pattern, words, used):
                continue
            rank = (len(used), -_PRIORITY.get(pattern.intent, len(_PRIORITY)))
            if best is None or rank > best[:2]:
                detected = Detected(pattern.intent, language) if pattern.intent else None
                best = (*rank, detected)
        return best[2] if best else None

    def is_question(self, text: str) -> bool:
        """Whether the text starts with a question word (question marks are checked apart)."""
        words = tokens(text)
        return bool(words) and words[0] in self.question_words

    def language_named(self, word: str) -> str | None:
        """The language code ``word`` names ("русском", "english"), exactly, or None."""
        if word in self._language_words:
            return self._language_words[word]
        for end in range(len(word), 0, -1):
            if word[:end] in self._language_prefixes:
                return self._language_prefixes[word[:end]]
        return None

    def _search(self, word: str) -> frozenset[_Alternative]:
        """Every vocabulary word ``word`` matches: exactly, by prefix, or with a typo."""
        found = list(self._exact.get(word, ()))
        for end in range(1, len(word) + 1):
            found += self._prefixes.get(word[:end], ())
        for typos, targets in self._typo_targets.items():
            for target, _, _ in process.extract(word, targets, scorer=OSA.distance,
                                                score_cutoff=typos, limit=None):
                found += [a for a in self._exact[target] if not a.exact]
        for length, targets in self._typo_prefixes.items():
            if len(word) >= length:
                for target, _, _ in process.extract(word[:length], targets, scorer=OSA.distance,
                                                    score_cutoff=1, limit=None):
                    found += self._prefixes[target]
        return frozenset(found)

    def _match(self, pattern: _Pattern, hits: Sequence[frozenset[_Alternative]],
               languages: Sequence[str | None]) -> tuple[set[int], str | None] | None:
        """Indexes of the words the pattern uses, in order, and the language it names.

        A greeting or thanks pattern is a bag of words that may come in any order: its first
        slot holds the words that make it ("hello"), the others words that may go with them
        ("morning", "much").
        """
        if pattern.intent in _WHOLE_MESSAGE:
            core = pattern.slots[0].alternatives
            bag = frozenset().union(*(slot.alternatives for slot in pattern.slots))
            found = {i for i, hit in enumerate(hits) if not hit.isdisjoint(bag)}
            if all(hits[i].isdisjoint(core) for i in found):
                return None
            return found, None
        used: set[int] = set()
        language = None
        position = 0
        for slot in pattern.slots:
            for index in range(position, len(hits)):
                if slot.language:
                    if languages[index] is None:
                        continue
                    language = languages[index]
                elif hits[index].isdisjoint(slot.alternatives):
                    continue
                used.add(index)
                position = index + 1
                break
            else:
                if not slot.optional:
                    return None
        return used, language

    def _explained(self, pattern: _Pattern, words: Sequence[str], used: set[int]) -> bool:
        """Whether the words the pattern leaves are filler (or few enough others)."""
        extra = sum(1 for i, w in enumerate(words) if i not in used and w not in self.filler)
        if pattern.intent in _WHOLE_MESSAGE or pattern.required < 2:
            return extra == 0
        return extra <= (_EXTRA.get(pattern.intent, MAX_EXTRA) if pattern.intent else MAX_EXTRA)

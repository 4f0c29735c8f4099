"""Match a free-text question to a FAQ topic, in any language of the knowledge base.

Every language's keywords and example questions go into one index, each word stemmed
with its own language's Snowball stemmer; a question's words are stemmed with every
language's stemmer, so a Russian question matches while the conversation is in English.

A topic's score (0..1) is the share of the question it explains. Each content word of
the question (stopwords dropped) weighs its rarity across topics (IDF); a word no topic
knows weighs like the rarest, so "what's the weather in Paris" explains nothing and scores
0. A word earns credit from the topic's best phrase (keyword, title or example) holding it:
its similarity, times the phrase's weight (examples count less than keywords), times how
complete the phrase is in the question. So "expert report" goes to the topic that has that
exact phrase, not to one that merely mentions an expert.

Words match exactly by stem, as a derived form sharing a long prefix ("консультант",
"консультация"), or as a typo (rapidfuzz's OSA distance; see ``_similarity`` for which typos
count as sure and which as weak). A question is answered only when the best score clears a
threshold, beats the runner-up by a margin, and rests on one surely matched word (or two
weakly matched ones) other than a question word such as "how" or "когда"; otherwise the
caller gets near-misses to offer instead of a confident wrong answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from bot.faq import stem_cache
from bot.faq.text import has_question_mark, stems, words

#: Weight of a keyword or title phrase, and of an example question.
KEYWORD_WEIGHT = 1.0
EXAMPLE_WEIGHT = 0.8
#: Similarity of a word to a vocabulary stem by kind of match (see ``_similarity``).
PREFIX_SIMILARITY = 0.9
TYPO_SIMILARITY = 0.85
WEAK_SIMILARITY = 0.7
#: A topic is answered only with one word matching it at least this surely, or two weakly.
SURE_SIMILARITY = 0.75
#: Longest ending a derived form may add to a stem it shares a prefix with.
MAX_SUFFIX = 6
#: Weight of a domain word; others weigh their IDF, ln(1 + topics / topics having it).
DOMAIN_WEIGHT = 0.5
#: Credit a word earns from a phrase of which the question holds nothing else.
PHRASE_FLOOR = 0.5
#: Decision thresholds (see module docstring).
ANSWER_THRESHOLD = 0.6
ANSWER_MARGIN = 0.12
ANSWER_RATIO = 0.85  # the runner-up must also score below this share of the best
SUGGESTION_THRESHOLD = 0.2

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_SENTENCE_END = re.compile(r"[.!?;…\n]+(?:\s+|$)")


@dataclass(frozen=True)
class Match:
    """A topic a question is about; ``score`` is 0..1, higher is surer."""

    topic_id: str
    score: float


@dataclass(frozen=True)
class LanguageTerms:
    """What one language contributes to the index: stemmer, stopwords and phrases."""

    stemmer: str | None
    stopwords: frozenset[str]
    #: Words that frame a question ("how", "when") but cannot make a match on their own.
    question_words: frozenset[str]
    #: Words naming what the company sells ("expert report"): in almost every question,
    #: so they weigh little, whichever topic happens to list them.
    domain_words: frozenset[str]
    #: topic id -> (keyword phrases incl. the title, example questions)
    phrases: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]


@dataclass(frozen=True)
class _Token:
    """A content word of the question: the vocabulary stems it matches and its weight."""

    matches: Mapping[str, float]
    weight: float
    framing: bool


class Matcher:
    """Scores questions against topics; build once, query many times (thread-safe reads).

    With a ``cache_directory``, the stems of the phrases' words are read from it (and
    written there when missing): see :mod:`bot.faq.stem_cache`."""

    def __init__(self, languages: Mapping[str, LanguageTerms],
                 cache_directory: Path | None = None) -> None:
        cache_file = (None if cache_directory is None
                      else stem_cache.path(cache_directory, stem_cache.key(languages)))
        memo = stem_cache.Memo({} if cache_file is None else stem_cache.read(cache_file))
        stem = memo.stem
        self._stemmers = tuple(dict.fromkeys(terms.stemmer for terms in languages.values()))
        self._stopwords = _stopwords(languages)
        self._question_words = frozenset().union(*(t.question_words for t in languages.values()))
        self._domain_terms = {
            stem(word, terms.stemmer) for terms in languages.values() for word in terms.domain_words
        }
        self._terms: dict[str, set[str]] = {}
        self._phrases: dict[str, dict[str, list[tuple[tuple[str, ...], float]]]] = {}
        surfaces: dict[str, set[str]] = {}
        for terms in languages.values():
            for topic_id, (keywords, examples) in terms.phrases.items():
                self._add(topic_id, keywords, terms.stemmer, KEYWORD_WEIGHT, surfaces, memo)
                self._add(topic_id, examples, terms.stemmer, EXAMPLE_WEIGHT, surfaces, memo)
        if cache_file is not None and memo.grew:
            stem_cache.write(cache_file, memo.table)
        # Each word's stems as a tuple (most have one: 48 bytes, a set is 216), shared
        # with the fuzzy candidates below.
        self._surfaces = {word: tuple(found) for word, found in sorted(surfaces.items())}
        self.topic_ids = tuple(self._terms)
        count = len(self.topic_ids)
        frequency: dict[str, int] = {}
        for vocabulary in self._terms.values():
            for term in vocabulary:
                frequency[term] = frequency.get(term, 0) + 1
        self._idf = {term: math.log(1 + count / df) for term, df in frequency.items()}
        self._unknown_weight = math.log(1 + count)
        # Every kind of fuzzy match keeps the first letter, so candidates go by it.
        self._by_initial: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for term in sorted(self._idf):
            self._by_initial.setdefault(term[0], []).append((term, (term,)))
        for surface, surface_terms in self._surfaces.items():
            self._by_initial.setdefault(surface[0], []).append((surface, surface_terms))
        self._fuzzy = {initial: _Forms([form for form, _ in forms])
                       for initial, forms in self._by_initial.items()}
        self._lookup = lru_cache(maxsize=8192)(self._lookup_uncached)
        # Stopwords of five letters or more by length: a word one edit from one is at most
        # one letter longer or shorter.
        self._long_stopwords: dict[int, list[str]] = {}
        for stopword in sorted(self._stopwords):
            if len(stopword) >= 5:
                self._long_stopwords.setdefault(len(stopword), []).append(stopword)

    def _content_words(self, text: str) -> list[str]:
        kept = (w for w in words(text) if len(w) > 1 and w not in self._stopwords)
        return list(dict.fromkeys(kept))

    def is_filler(self, question: str, *spellings: str) -> bool:
        """Whether ``question`` is one filler word and no question ("да", "نعم", "ok"),
        in every spelling. ("what do you offer" is all stopwords, but a question.)"""
        return not has_question_mark(question) and all(
            len(words(text)) == 1 and not self._content_words(text)
            for text in (question, *spellings))

    def has_content(self, question: str, *spellings: str) -> bool:
        """Whether ``question`` (or another spelling of it) has a word that is neither
        filler nor a question word."""
        return any(w not in self._question_words
                   for text in (question, *spellings) for w in self._content_words(text))

    def _add(self, topic_id: str, texts: Iterable[str], stemmer: str | None, weight: float,
             surfaces: dict[str, set[str]], memo: stem_cache.Memo) -> None:
        stem = memo.stem
        vocabulary = self._terms.setdefault(topic_id, set())
        phrases_of = self._phrases.setdefault(topic_id, {})
        for text in texts:
            content = self._content_words(text)
            for word in content:
                surfaces.setdefault(word, set()).add(stem(word, stemmer))
            phrase = tuple(dict.fromkeys(stem(word, stemmer) for word in content))
            vocabulary.update(phrase)
            for term in phrase:
                entries = phrases_of.setdefault(term, [])
                if (phrase, weight) not in entries:
                    entries.append((phrase, weight))

    # -- word lookup -------------------------------------------------------------------

    def _lookup_uncached(self, word: str) -> dict[str, float]:
        """Vocabulary stems that ``word`` matches, with a similarity for each."""
        candidates = stems(word, self._stemmers) | {word}
        found = {c: 1.0 for c in candidates if c in self._idf}
        found.update(dict.fromkeys(self._surfaces.get(word, ()), 1.0))
        if found:
            return found
        for candidate in sorted(candidates):  # the same order in every process
            if len(candidate) < 4:  # no form is similar to a word this short
                continue
            forms = self._by_initial.get(candidate[0], [])
            for index in self._fuzzy[candidate[0]].near(candidate) if forms else ():
                form, terms = forms[index]
                similarity = _similarity(candidate, form)
                for term in terms if similarity else ():
                    found[term] = max(found.get(term, 0.0), similarity)
        return found

    def _is_filler(self, word: str) -> bool:
        """Whether an unknown ``word`` is a misspelt stopword ("whta", "пожалуста")."""
        return len(word) >= 5 and any(
            process.extractOne(word, self._long_stopwords.get(length, ()),
                               scorer=OSA.distance, score_cutoff=1) is not None
            for length in (len(word) - 1, len(word), len(word) + 1))

    def _best_is_domain(self, matches: dict[str, float]) -> bool:
        """Whether a stem ``word`` matches best (any of them, on a tie) is a domain term.
        Every tied stem is looked at, so the answer does not depend on the order of
        ``matches``, which follows the per-process hash of strings."""
        best = max(matches.values())
        return any(similarity == best and term in self._domain_terms
                   for term, similarity in matches.items())

    # -- scoring -----------------------------------------------------------------------

    def _tokens(self, question: str) -> list[_Token]:
        tokens = []
        for word in self._content_words(question):
            matches = self._lookup(word)
            if not matches and self._is_filler(word):
                continue
            if not matches:
                weight = self._unknown_weight
            elif self._best_is_domain(matches):
                weight = DOMAIN_WEIGHT
            else:
                weight = max(self._idf[term] for term in matches)
            tokens.append(_Token(matches, weight, word in self._question_words))
        return tokens

    def scores(self, question: str) -> list[Match]:
        """Every topic with a positive score, best first (ties in knowledge-base order)."""
        return [match for match, _ in self._rank(question)]

    def _rank(self, question: str) -> list[tuple[Match, bool]]:
        """Scored topics, best first, each with whether it may be answered.

        It may when a word other than a question word matches it surely, or two do weakly.
        """
        tokens = self._tokens(question)
        total = sum(token.weight for token in tokens)
        if not total:
            return []
        seen: dict[str, float] = {}
        for token in tokens:
            for term, similarity in token.matches.items():
                seen[term] = max(seen.get(term, 0.0), similarity)
        completeness: dict[tuple[str, ...], float] = {}
        results = []
        for topic_id in self.topic_ids:
            phrases_of = self._phrases[topic_id]
            covered = 0.0
            sure = weak = 0
            for token in tokens:
                credit = surest = 0.0
                for term, similarity in token.matches.items():
                    for phrase, weight in phrases_of.get(term, ()):
                        if phrase not in completeness:
                            completeness[phrase] = self._completeness(phrase, seen)
                        strength = PHRASE_FLOOR + (1 - PHRASE_FLOOR) * completeness[phrase]
                        credit = max(credit, similarity * weight * strength)
                        surest = max(surest, similarity)
                covered += token.weight * credit
                if credit and not token.framing:
                    sure += surest >= SURE_SIMILARITY
                    weak += surest < SURE_SIMILARITY
            if covered:
                supported = sure >= 1 or weak >= 2
                results.append((Match(topic_id, round(covered / total, 4)), supported))
        results.sort(key=lambda result: -result[0].score)
        return results

    def _completeness(self, phrase: tuple[str, ...], seen: Mapping[str, float]) -> float:
        """Share of ``phrase`` (weighted by rarity) that the question contains."""
        weights = [self._idf[term] for term in phrase]
        found = sum(w * seen.get(t, 0.0) for t, w in zip(phrase, weights, strict=True))
        return found / sum(weights)

    def match(self, question: str) -> Match | None:
        """The topic the question is clearly about, or None when unsure."""
        return self._evaluate(question)[0]

    def suggestions(self, question: str, *spellings: str, limit: int = 3) -> list[Match]:
        """Near-miss topics for a "did you mean" list, best first, excluding the answer."""
        return self._evaluate(question, *spellings)[1][:limit]

    def _evaluate(self, question: str, *spellings: str) -> tuple[Match | None, list[Match]]:
        """The answer, if any, and the other topics worth suggesting."""
        answer, best = self.evaluate(question, *spellings)
        return answer, near_misses(answer, best)

    def evaluate(self, question: str, *spellings: str) -> tuple[Match | None, dict[str, float]]:
        """The answer, if any, and every topic's best score over the message and its other
        ``spellings`` (e.g. transliterated into another script): see :func:`combined`."""
        return combined(self.evaluate_each(question, *spellings))

    def evaluate_each(self, *texts: str) -> list[tuple[Match | None, dict[str, float]]]:
        """Each text's answer, if any, and its topics' scores (:func:`combined` merges them;
        the best of a text's scores is its :meth:`best_score`)."""
        return [self._evaluate_text(text) for text in texts]

    def best_score(self, text: str) -> float:
        """The best lexical score of any topic for ``text`` (or one of its sentences)."""
        return max(self._evaluate_text(text)[1].values(), default=0.0)

    def _evaluate_text(self, question: str) -> tuple[Match | None, dict[str, float]]:
        """The answer, if any, and every topic's best score over the message's segments.

        A long message often wraps its question in a story ("I fled in May... How much
        does it cost?"), so when the whole message is not clearly about one topic, each
        sentence is tried on its own and the surest clear answer wins.
        """
        answer: Match | None = None
        best: dict[str, float] = {}
        for index, segment in enumerate(segments(question)):
            ranked = self._rank(segment)
            for match, _ in ranked:
                best[match.topic_id] = max(best.get(match.topic_id, 0.0), match.score)
            decided = self._decide(ranked)
            if decided and index == 0:
                answer = decided
                break
            if decided and (answer is None or decided.score > answer.score):
                answer = decided
        return answer, best

    @staticmethod
    def _decide(ranked: Sequence[tuple[Match, bool]]) -> Match | None:
        """The best topic if it is supported, good enough and clearly ahead."""
        if not ranked:
            return None
        best, supported = ranked[0]
        runner_up = ranked[1][0].score if len(ranked) > 1 else 0.0
        clear = runner_up <= min(best.score - ANSWER_MARGIN, best.score * ANSWER_RATIO)
        return best if supported and best.score >= ANSWER_THRESHOLD and clear else None


def combined(results: Sequence[tuple[Match | None, Mapping[str, float]]]
             ) -> tuple[Match | None, dict[str, float]]:
    """One answer and score per topic from :meth:`Matcher.evaluate_each`'s results for a
    message and its other spellings: each topic keeps its best score, and the surest answer
    wins, the message's own on a tie."""
    answer: Match | None = None
    best: dict[str, float] = {}
    for other, scores in results:
        for topic_id, score in scores.items():
            best[topic_id] = max(best.get(topic_id, 0.0), score)
        if other is not None and (answer is None or other.score > answer.score):
            answer = other
    return answer, best


def near_misses(answer: Match | None, scores: Mapping[str, float]) -> list[Match]:
    """The topics of ``scores`` worth suggesting besides ``answer``, best first."""
    return [
        Match(topic_id, score)
        for topic_id, score in sorted(scores.items(), key=lambda item: -item[1])
        if score >= SUGGESTION_THRESHOLD and (answer is None or topic_id != answer.topic_id)
    ]


def _stopwords(languages: Mapping[str, LanguageTerms]) -> frozenset[str]:
    """Every language's stopwords, less Arabic-script ones that another language (not
    calling them filler) uses as a question word or in a keyword: with Arabic and Persian
    letters folded alike, Arabic filler "يعني" is Persian "یعنی" ("means", a sign of
    "what is…")."""
    used: dict[str, set[str]] = {}
    for lang, terms in languages.items():
        phrases = (keyword for keywords, _ in terms.phrases.values() for keyword in keywords)
        for word in {*terms.question_words, *(w for p in phrases for w in words(p))}:
            used.setdefault(word, set()).add(lang)
    return frozenset(
        word for lang, terms in languages.items() for word in terms.stopwords
        if not _ARABIC_SCRIPT.match(word)
        or not any(other != lang and word not in languages[other].stopwords
                   for other in used.get(word, ()))
    )


def segments(question: str) -> list[str]:
    """The whole question, then its sentences when it has more than one."""
    sentences = [part for part in _SENTENCE_END.split(question) if part.strip()]
    return [question, *sentences] if len(sentences) > 1 else [question]


def _similarity(word: str, term: str) -> float:
    """How surely ``word`` (from a question) is a form or misspelling of ``term``; 0 if not.

    Derived forms and swapped letters are sure; other typos are weak, because real words
    lie one letter apart ("scared" and "shared", "detained" and "detail"). Typos rarely hit
    the first letter, so a word starting differently is not a typo ("border", "order").
    """
    shorter, longer = sorted((word, term), key=len)
    extra = len(longer) - len(shorter)
    if len(shorter) < 4 or extra > MAX_SUFFIX:
        return 0.0
    if longer.startswith(shorter) and (len(shorter) >= 5 or extra <= 2):
        return PREFIX_SIMILARITY  # a derived or inflected form: "консультац", "консультирова"
    if word[0] != term[0]:
        return 0.0
    if word[:6] == term[:6] and _common_prefix_length(word, term) >= len(shorter) - 2:
        return TYPO_SIMILARITY  # a sibling form: "консультант" and "консультац"
    if extra <= 2:
        distance = OSA.distance(word, term, score_cutoff=2)
        if distance == 1 and extra == 0 and Levenshtein.distance(word, term) == 2:
            return TYPO_SIMILARITY  # two letters swapped: "mcuh", "reprot"
        if distance == 1 and len(shorter) >= 8:
            return TYPO_SIMILARITY  # one slip in a long word: "консултацию"
        if distance == 1 and (len(shorter) >= 5 or extra == 1):
            return WEAK_SIMILARITY  # "speek", "oder"
        if distance == 2 and len(shorter) >= 8:
            return WEAK_SIMILARITY
    if len(word) > len(term) >= 6 and OSA.distance(word[: len(term)], term, score_cutoff=1) <= 1:
        return WEAK_SIMILARITY  # a misspelt stem with an ending
    return 0.0


class _Forms:
    """The vocabulary forms sharing an initial, indexed so that the few a word may be
    similar to (:func:`_similarity` above 0) are found by rapidfuzz in C, not by calling
    :func:`_similarity` on every form."""

    def __init__(self, forms: list[str]) -> None:
        self.forms = forms
        self._by_prefix: dict[str, list[int]] = {}
        self._by_length: dict[int, tuple[list[int], list[str]]] = {}
        for index, form in enumerate(forms):
            if len(form) >= 4:
                self._by_prefix.setdefault(form[:4], []).append(index)
                indices, same_length = self._by_length.setdefault(len(form), ([], []))
                indices.append(index)
                same_length.append(form)

    def near(self, word: str) -> list[int]:
        """The indices, in order, of every form :func:`_similarity` may find ``word``
        similar to (a few more): a form sharing its first four letters (a derived or
        sibling form), within two edits (a typo), or one edit from a start of ``word`` of
        six letters or more (a misspelt stem with an ending)."""
        found = set(self._by_prefix.get(word[:4], ()))
        found.update(index for _, _, index in process.extract(
            word, self.forms, scorer=OSA.distance, score_cutoff=2, limit=None))
        for length in range(max(6, len(word) - MAX_SUFFIX), len(word)):
            indices, same_length = self._by_length.get(length, ([], []))
            found.update(indices[i] for _, _, i in process.extract(
                word[:length], same_length, scorer=OSA.distance, score_cutoff=1,
                limit=None))
        return sorted(found)


def _common_prefix_length(first: str, second: str) -> int:
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return min(len(first), len(second))

"""The lexical matcher's short cuts give what the long way gives (issue 11, speed pass):
stemmers skipped on words of another script, fuzzy candidates rejected early, misspelt
stopwords found by rapidfuzz, and one evaluation per spelling of a question."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import OSA

from bot.faq import KnowledgeBase, matcher, semantic
from bot.faq.knowledge import DEFAULT_DIRECTORY
from bot.faq.matcher import Matcher
from bot.faq.text import fold, stem, stems, words
from tests.bot.faq_support import loaded_knowledge

ROOT = Path(__file__).resolve().parents[2]
ALGORITHMS = ("english", "french", "spanish", "russian", "arabic", "persian", None)


@cache
def corpus() -> tuple[str, ...]:
    """Every word of the knowledge files and the benchmark's question sets, all scripts,
    and a few of scripts no stemmer here knows."""
    found: set[str] = {"σπίτι", "שלום", "東京", "ქართული", "हिंदी", "ёлка", "ﻻ", "ى"}
    paths = [*DEFAULT_DIRECTORY.glob("*.json"), *(ROOT / "bench").glob("faq_*.json")]
    for path in paths:
        found.update(words(json.dumps(json.loads(path.read_text("utf-8")),
                                      ensure_ascii=False)))
    return tuple(sorted(found))


def test_stems_equal_every_stemmer_run() -> None:
    """A stemmer is skipped only where it would have left the word as it was (folded): on
    every 4th word of the corpus, all scripts (all of it took 7 s of pure-Python stemming)."""
    assert len(corpus()) > 3000
    for word in corpus()[::4]:
        assert stems(word, ALGORITHMS) == frozenset(stem(word, a) for a in ALGORITHMS), word


def test_a_word_in_another_script_is_not_stemmed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails without the short cut: every stemmer ran on every word."""
    ran: list[str | None] = []
    real = stem

    def counting(word: str, algorithm: str | None) -> str:
        ran.append(algorithm)
        return real(word, algorithm)

    monkeypatch.setattr("bot.faq.text.stem", counting)
    assert stems("консультация", ALGORITHMS) == {"консультац", "консультация"}
    assert ran == ["russian", None]
    ran.clear()
    assert fold("مشاوره") in stems("مشاوره", ALGORITHMS)
    assert ran == ["arabic", "persian", None]


@pytest.fixture(scope="module")
def lexical() -> Matcher:
    return KnowledgeBase.load()._matcher


def test_fuzzy_candidates_hold_every_similar_form(lexical: Matcher) -> None:
    """``_Forms.near`` holds every form ``_similarity`` finds a word similar to, for every
    word of the corpus against every vocabulary form sharing its first letter, and far
    fewer forms than there are."""
    near = every = 0
    for word in corpus():
        forms = lexical._by_initial.get(word[0], [])
        if len(word) < 4 or not forms:
            continue
        candidates = lexical._fuzzy[word[0]].near(word)
        similar = [i for i, (form, _) in enumerate(forms) if matcher._similarity(word, form)]
        assert set(similar) <= set(candidates), word
        assert candidates == sorted(candidates)
        near, every = near + len(candidates), every + len(forms)
    assert near < every / 10


def test_misspelt_stopwords_as_before(lexical: Matcher) -> None:
    stopwords = [s for s in lexical._stopwords if len(s) >= 5]
    for word in (*corpus(), "whta", "пожалуста", "pleese", "bitteschön"):
        expected = len(word) >= 5 and any(OSA.distance(word, s, score_cutoff=1) <= 1
                                          for s in stopwords)
        assert lexical._is_filler(word) == expected, word
    assert lexical._is_filler("пожалуста")


def test_each_spelling_is_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Latin-script question and its re-spelling were each evaluated twice (once more to
    decide whether the model reads the re-spelling)."""
    kb = loaded_knowledge()
    evaluated: list[str] = []
    real = kb._matcher._evaluate_text

    def counting(text: str) -> object:
        evaluated.append(text)
        return real(text)

    monkeypatch.setattr(kb._matcher, "_evaluate_text", counting)
    kb.answer("skolko stoit konsultaciya", "ru")
    assert sorted(evaluated) == sorted(set(evaluated)) and len(evaluated) == 2


def test_topic_cosines_are_each_topics_best_phrase() -> None:
    """One ``maximum.reduceat`` gives what a maximum per topic gave."""
    index = loaded_knowledge().semantic_index()
    assert index is not None
    questions = ["how much does it cost?", "сколько стоит", "كم السعر"]
    topics, _ = index.similarities(questions)
    vectors = np.stack([index._embed_one(semantic._normalised(q)) for q in questions])
    best = (index._vectors @ vectors.T).max(axis=1)
    assert list(topics) == list(index.topic_ids)
    assert topics == {tid: float(best[rows].max()) for tid, rows in index._rows.items()}


def test_a_tie_between_stems_weighs_the_word_alike_in_any_order(
        lexical: Matcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """"تقريبا" is as near "تسریب" (a leak) as "تقریر" (a report, a domain term): the word's
    weight must not follow the order of its matches, which follows the process's string
    hashing (fresh6's "شكد سعر التقرير تقريبا" scored 0.857 or 0.900 from run to run)."""
    matches = lexical._lookup("تقريبا")
    assert len(set(matches.values())) == 1 and len(matches) == 2
    weights = []
    for order in (list(matches), list(reversed(matches))):
        monkeypatch.setattr(lexical, "_lookup", lambda word, order=order: {
            term: matches[term] for term in order})
        (token,) = lexical._tokens("تقريبا")
        weights.append(token.weight)
    assert weights[0] == weights[1] == matcher.DOMAIN_WEIGHT

"""Texts the FAQ settles without the model: one filler word, and a knowledge-base phrase
typed exactly, whose vector the index already holds."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bot.faq import KnowledgeBase
from tests.bot.faq_support import loaded_knowledge, spy_on_model


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    knowledge = loaded_knowledge()
    assert knowledge.semantic_index() is not None
    return knowledge


@pytest.fixture
def model_reads(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts the real model embeds during the test (its question cache emptied)."""
    read = spy_on_model(kb, monkeypatch)
    yield read
    index = kb.semantic_index()
    assert index is not None
    index.clear_cache()


@pytest.mark.parametrize(("text", "lang"), [("sí", "es"), ("no", "es"), ("да", "ru"),
                                            ("نعم", "ar"), ("ok", "en")])
def test_filler_alone_gets_no_topic_and_no_model_call(
    kb: KnowledgeBase, model_reads: list[str], text: str, lang: str
) -> None:
    """The model had offered "sí" privacy and countries, and "no" the commitment topic."""
    answer = kb.answer(text, lang)
    assert (answer.topic_id, answer.suggestions, model_reads) == (None, (), [])


@pytest.mark.parametrize("text", ["when?", "what do you offer", "sí?"])
def test_a_question_of_filler_words_still_goes_to_the_model(
    kb: KnowledgeBase, model_reads: list[str], text: str
) -> None:
    kb.answer(text, "es")
    assert model_reads


@pytest.mark.parametrize(("text", "lang", "topic"), [("Sample report", "en", "sample_report"),
                                                     ("Стоимость", "ru", "cost")])
def test_a_title_typed_exactly_reuses_its_vector(
    kb: KnowledgeBase, model_reads: list[str], text: str, lang: str, topic: str
) -> None:
    index = kb.semantic_index()
    assert index is not None
    answer = kb.answer(text, lang)
    assert (answer.topic_id, answer.confident, model_reads) == (topic, True, [])
    fresh = index._embedder.embed([text.casefold()])[0]
    reused = index._embed_uncached(text.casefold())
    assert float(np.dot(fresh, reused)) > 0.999

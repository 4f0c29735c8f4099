"""Shared by the FAQ tests: the knowledge base with its model, and what a question gets."""

from __future__ import annotations

import fcntl

import pytest

from bot.faq import KnowledgeBase, semantic
from tests.faq_cache import VECTORS


def loaded_knowledge() -> KnowledgeBase:
    """The bundled knowledge base with its semantic index built (once per process).

    One process at a time: with the cache cold (a fresh machine, as in CI) the xdist workers
    and the fork server all start by building the same graph and vectors (about 17 s of CPU
    each); under the lock the first builds them and the others then read its files."""
    semantic.configure(cache_directory=VECTORS)
    VECTORS.mkdir(parents=True, exist_ok=True)
    with open(VECTORS / "building.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        knowledge = KnowledgeBase.load()
        knowledge.semantic_index()
    return knowledge


def offered(kb: KnowledgeBase, question: str, lang: str | None = None) -> list[str]:
    """The topic answered (if sure) then the "did you mean" topics, as the person sees them."""
    result = kb.answer(question, lang)
    return [*([result.topic_id] if result.confident else []),
            *(m.topic_id for m in result.suggestions[:3])]


def assert_answered_or_offered(kb: KnowledgeBase, question: str, expected: str,
                               lang: str | None = None) -> None:
    """Never a wrong direct answer; the right topic answered or among the first three."""
    result = kb.answer(question, lang)
    assert not result.confident or result.topic_id == expected, (question, result)
    assert expected in offered(kb, question, lang), (question, result)


def spy_on_model(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text the real model embeds from now on (its question cache emptied)."""
    index = kb.semantic_index()
    assert index is not None
    read: list[str] = []
    embed = index._embedder.embed

    def spy(texts: list[str]) -> object:
        read.extend(texts)
        return embed(texts)

    monkeypatch.setattr(index._embedder, "embed", spy)
    index.clear_cache()
    return read

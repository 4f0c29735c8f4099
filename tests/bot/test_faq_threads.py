"""The FAQ matcher is shared by every request thread: answers must not depend on timing."""

from __future__ import annotations

import random
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.faq import KnowledgeBase, knowledge
from bot.faq.text import stem

QUESTIONS = [
    "сколько стоит экспертное заключение?", "какие страны вы покрываете?",
    "обязывает ли меня консультация к чему-нибудь?", "как быстро вы отвечаете?",
    "how much does the report cost", "do you work with law firms?",
]


def fresh_words(seed: int, count: int) -> list[str]:
    """Words never seen before, so every one goes through the stemmer itself."""
    rng = random.Random(seed)
    letters = "абвгдежзиклмнопрстуфхцчшщыэюя"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(6, 14))) + "ами"
            for _ in range(count)]


@pytest.mark.slow
def test_stemming_from_many_threads_matches_serial_stemming() -> None:
    batches = [fresh_words(seed, 3000) for seed in range(8)]
    expected = [[stem(w, "russian") for w in batch] for batch in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda b: [stem(w, "russian") for w in b], batches))
    assert got == expected


def test_matching_from_many_threads_gives_the_serial_answers() -> None:
    kb = KnowledgeBase.load()
    expected = [kb.match(q) for q in QUESTIONS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        rounds = list(pool.map(lambda _: [kb.match(q) for q in QUESTIONS * 20], range(8)))
    assert all(answers == expected * 20 for answers in rounds)


def test_the_knowledge_base_is_built_once_by_sixteen_threads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold process: sixteen threads meet at a barrier, then all ask for the knowledge
    base at once; one builds it (held until all sixteen have asked), the others wait."""
    directory = tmp_path / "knowledge"
    shutil.copytree(knowledge.DEFAULT_DIRECTORY, directory)  # a directory not loaded yet
    real_build = knowledge._build
    built: list[int] = []
    asked = threading.Semaphore(0)

    def counting_build(path: Path) -> KnowledgeBase:
        built.append(1)
        for _ in range(15):  # the other fifteen are inside load() too
            assert asked.acquire(timeout=10)
        return real_build(path)

    real_load = knowledge._load

    def load(path: Path) -> KnowledgeBase:
        asked.release()
        return real_load(path)

    monkeypatch.setattr(knowledge, "_build", counting_build)
    monkeypatch.setattr(knowledge, "_load", load)
    start = threading.Barrier(16, timeout=10)
    results: list[KnowledgeBase] = []

    def ask() -> None:
        start.wait()
        results.append(KnowledgeBase.load(directory))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len(results) == 16 and len({id(r) for r in results}) == 1

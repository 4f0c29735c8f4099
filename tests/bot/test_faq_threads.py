"""The FAQ matcher is shared by every request thread: answers must not depend on timing."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from bot.faq import KnowledgeBase
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

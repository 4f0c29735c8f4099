"""How fast the FAQ matcher answers: questions matched per second.

Run: ``.venv/bin/python bench/bench_faq.py``. Three figures, each the best of several runs:
loading the knowledge base (done once per process), matching questions whose words were
seen before (word look-ups cached), and matching questions full of fresh misspellings
(every word goes through the fuzzy search over the whole vocabulary).
"""

from __future__ import annotations

import random
import time as clock

from bot.faq.knowledge import DEFAULT_DIRECTORY, _build

QUESTIONS = (
    "How much does an expert report cost?",
    "Сколько стоит экспертное заключение?",
    "which countries do you cover",
    "Я из Таджикистана, вы работаете с моей страной?",
    "can I book a zoom call with the expert",
    "Как быстро вы отвечаете на письма?",
    "Is my personal data kept confidential?",
    "I'm a solicitor representing a client from Eritrea",
    "what's the weather in Paris",
    "Hello, we left Minsk after the protests and our lawyer wants an expert. How much is it?",
)
REPEATS = 5


def best_of(run) -> float:
    """The fastest of ``REPEATS`` timings of ``run()`` in seconds."""
    timings = []
    for _ in range(REPEATS):
        start = clock.perf_counter()
        run()
        timings.append(clock.perf_counter() - start)
    return min(timings)


def misspell(question: str, rng: random.Random) -> str:
    """``question`` with one letter of every longer word swapped for another."""
    words = []
    for word in question.split():
        if len(word) > 4:
            at = rng.randrange(1, len(word) - 1)
            word = word[:at] + rng.choice("aeiouxzаеоиыю") + word[at + 1 :]
        words.append(word)
    return " ".join(words)


def main() -> None:
    load_seconds = best_of(lambda: _build(DEFAULT_DIRECTORY))
    kb = _build(DEFAULT_DIRECTORY)
    warm = QUESTIONS * 50
    warm_seconds = best_of(lambda: [kb.match(q) for q in warm])

    rng = random.Random(11)
    batches = [[misspell(q, rng) for q in QUESTIONS * 5] for _ in range(REPEATS)]
    fresh = iter(batches)

    def cold() -> None:
        for question in next(fresh):
            kb.match(question)

    cold_seconds = best_of(cold)
    print(f"faq load: {load_seconds * 1000:.0f} ms")
    print(f"faq match, known words: {len(warm) / warm_seconds:,.0f} questions/s")
    print(f"faq match, fresh misspellings: {len(batches[0]) / cold_seconds:,.0f} questions/s")


if __name__ == "__main__":
    main()

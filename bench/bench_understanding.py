"""What reading a message costs before its transaction: the intent detector alone, and the
whole ``understand`` (intents, question marks, FAQ match or suggestions).

Run: ``.venv/bin/python bench/bench_understanding.py``. Messages in all seven languages:
requests, FAQ questions, names and long stories. Each figure is the best of several runs
after warm-up, on one thread.
"""

from __future__ import annotations

import time

from bot.understanding import understand, warm_up
from bot.understanding.resources import intent_detector

MESSAGES = [
    "I want to talk to a person", "how much does it cost?", "Anna Petrova",
    "хочу поговорить с человеком", "сколько стоит консультация?", "hochu pogovorit s chelovekom",
    "أريد التحدث مع شخص", "كم سعر الاستشارة؟", "bde a7ki m3 mowazaf",
    "می‌خواهم با یک نفر صحبت کنم", "quiero hablar con una persona", "annuler mon rendez-vous",
    "по-русски", "thanks!", "скасувати запис",
    "I was detained twice for anti-war posts, a person from the police told me to cancel my "
    "trip, and I was called up for mobilisation. Why did they do this? I fled to Germany.",
]
REPEATS, ROUNDS = 5, 20


def best_rate(function) -> float:  # type: ignore[no-untyped-def]
    """Messages per second, best of REPEATS runs of ROUNDS passes over MESSAGES."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            for message in MESSAGES:
                function(message)
        best = min(best, time.perf_counter() - start)
    return ROUNDS * len(MESSAGES) / best


def main() -> None:
    started = time.perf_counter()
    warm_up()
    print(f"warm-up (knowledge base, intents, catalogs): {time.perf_counter() - started:.2f} s")
    detector = intent_detector()
    detect = best_rate(detector.detect)
    whole = best_rate(lambda text: understand(text, "en"))
    print(f"intent detector: {detect:,.0f} messages/s ({1000 / detect:.3f} ms each)")
    print(f"understand (intents + FAQ): {whole:,.0f} messages/s ({1000 / whole:.3f} ms each)")


if __name__ == "__main__":
    main()

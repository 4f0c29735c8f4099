"""How fast typed answers are read: the gazetteer's load, a city, a choice, a time.

Run: ``.venv/bin/python bench/bench_choices.py``. Loading the gazetteer index happens once
per process (at the first time-zone answer); the other figures are per typed answer, the
best of several runs, after warm-up.
"""

from __future__ import annotations

import time as clock

from bot.i18n import Translator
from bot.validation import gazetteer
from bot.validation.choices import read_choice
from bot.validation.times import parse_times
from bot.validation.timezones import resolve_timezone

CITIES = (("Munich", "en"), ("я живу в Мюнхене", "ru"), ("أعيش في حلب", "ar"),
          ("در مشهد", "fa"), ("Manchester", "en"), ("Cologne", "fr"), ("vivo en Málaga", "es"),
          ("Londno", "en"), ("Germany", "en"), ("UTC+3", "en"))
ANSWERS = ("да", "نعم", "آره", "отказ", "не согласен", "I do not agree", "2", "ouais",
           "we are appealing", "pizza")
TIMES = ("3pm", "в 3 часа дня", "٣ عصرًا", "ساعت ۳ بعدازظهر", "a las 3", "à 15h", "15:00",
         "I have 2 kids")
REPEATS = 5


def best_of(run, count: int) -> float:
    """Microseconds per item: the fastest of ``REPEATS`` runs over ``count`` items."""
    timings = []
    for _ in range(REPEATS):
        start = clock.perf_counter()
        run()
        timings.append(clock.perf_counter() - start)
    return min(timings) / count * 1e6


def main() -> None:
    start = clock.perf_counter()
    places = gazetteer.load()
    print(f"gazetteer load: {clock.perf_counter() - start:.2f} s ({places} names)")
    for text, lang in CITIES:  # warm the per-language CLDR and country indexes
        resolve_timezone(text, lang)
    t = Translator("ru")
    offered = [(s, t(f"intake.stage.{s}")) for s in ("not_applied", "waiting", "appealing",
                                                     "other")]
    read_choice("да", offered)
    cities = best_of(lambda: [resolve_timezone(x, lang) for x, lang in CITIES], len(CITIES))
    choices = best_of(lambda: [read_choice(x, offered) for x in ANSWERS], len(ANSWERS))
    times = best_of(lambda: [parse_times(x) for x in TIMES], len(TIMES))
    print(f"city or zone typed:  {cities:8.0f} µs per answer")
    print(f"choice typed:        {choices:8.0f} µs per answer")
    print(f"time typed:          {times:8.0f} µs per answer")


if __name__ == "__main__":
    main()

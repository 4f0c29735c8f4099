"""What re-spelling Latin-script questions costs the lexical matcher, per question.

Run: ``.venv/bin/python bench/bench_transliteration.py``. The Latin-script ar, fa, ru and uk
questions of the development and older held-out sets are matched lexically as written and,
side by side in the same run, with their native-script spellings as well
(:func:`bot.faq.transliteration.native_spellings`), each by its own freshly built matcher so
both start with empty word caches: the first pass is every word new, later passes are the
best of several with the caches warm. CPU time, one core; the model costs ~15 ms a question.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.faq.knowledge import DEFAULT_DIRECTORY, _load
from bot.faq.transliteration import native_spellings

HERE = Path(__file__).resolve().parent
SETS = ("faq_dev.json", "faq_heldout.json", "faq_fresh.json", "faq_fresh2.json")
LANGUAGES = ("ar", "fa", "ru", "uk")
REPEATS = 5


def questions() -> list[tuple[str, str]]:
    """(question, language) for every Latin-script question of the sets."""
    found = []
    for name in SETS:
        raw = json.loads((HERE / name).read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            for group in raw.get(lang, {}).values():
                found += [(q, lang) for q in group if native_spellings(q, lang)]
    return found


def cpu_ms(run, items: list[tuple[str, str]]) -> float:
    """CPU milliseconds per question of one pass of ``run`` over ``items``."""
    start = time.process_time()
    for question, lang in items:
        run(question, lang)
    return 1000 * (time.process_time() - start) / len(items)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    items = questions()
    plain = _load.__wrapped__(DEFAULT_DIRECTORY)._matcher
    respelt = _load.__wrapped__(DEFAULT_DIRECTORY)._matcher

    def as_written(question: str, lang: str) -> None:
        plain.evaluate(question)

    def with_spellings(question: str, lang: str) -> None:
        respelt.evaluate(question, *native_spellings(question, lang))

    def spell_only(question: str, lang: str) -> None:
        native_spellings(question, lang)

    cold = (cpu_ms(as_written, items), cpu_ms(with_spellings, items))
    warm_plain, warm_respelt, spelling = [], [], []
    for _ in range(REPEATS):
        warm_plain.append(cpu_ms(as_written, items))
        warm_respelt.append(cpu_ms(with_spellings, items))
        spelling.append(cpu_ms(spell_only, items))
    warm = (min(warm_plain), min(warm_respelt))
    print(f"{len(items)} Latin-script questions ({', '.join(LANGUAGES)})")
    print(f"transliteration alone: {min(spelling):.3f} ms/question")
    for label, (before, after) in (("first pass (new words)", cold), ("warm caches", warm)):
        print(f"lexical, {label}: {before:.2f} ms as written, {after:.2f} ms with native "
              f"spellings (+{after - before:.2f} ms, x{after / before:.2f})")


if __name__ == "__main__":
    main()

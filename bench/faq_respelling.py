"""Where the model reads a Latin-script question's re-spelling, and where it must not.

Run: ``.venv/bin/python bench/faq_respelling.py``. Prints, per benchmark set and language,
"questions / re-spelt / embedded twice" (a re-spelling the model reads as well, a second
model call; see ``KnowledgeBase._similarities``). Then the gate: every English, Spanish and
French question of the development and held-out sets, and a few with times and ordinals
("3pm", "2nd", whose digits look like Arabizi), asked in an en, ar, fa and ru conversation,
answered with the model reading re-spellings and without: the number whose decision (the
topic answered, the suggestions) differs, which should be none.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faq_quality import SETS, load_set

from bot.faq import knowledge
from bot.faq.fusion import FaqAnswer
from bot.faq.knowledge import KnowledgeBase

TIMES_AND_ORDINALS = (
    "can I book at 3pm?", "is the 2nd consultation free?", "my flight is at 7pm",
    "I have a hearing on the 5th, how long does the report take?",
    "¿puedo llamar a las 9am?", "rdv le 2eme jour?",
)


def embedded_twice(kb: KnowledgeBase, question: str, lang: str) -> bool:
    """Whether the model reads a re-spelling of ``question`` besides the question."""
    spellings = knowledge.native_spellings(question, lang)
    if not spellings or lang in knowledge.MODEL_SKIPS_SPELLINGS_IN:
        return False
    typed = kb._matcher.best_score(question)
    return any(kb._matcher.best_score(spelling) > typed for spelling in spellings)


def decision(answer: FaqAnswer) -> tuple[str | None, tuple[str, ...]]:
    return (answer.topic_id if answer.confident else None,
            tuple(m.topic_id for m in answer.suggestions))


def main() -> None:
    kb = KnowledgeBase.load()
    print("set      lang questions / re-spelt / embedded twice")
    for name in SETS:
        row = []
        for lang, items in load_set(SETS[name]).items():
            respelt = sum(bool(knowledge.native_spellings(q, lang)) for q, _ in items)
            twice = sum(embedded_twice(kb, q, lang) for q, _ in items)
            row.append(f"{lang} {len(items)}/{respelt}/{twice}")
        print(f"{name:<8} " + "  ".join(row))
    if kb.semantic_index() is None:
        print("semantic model unavailable: no gate to check")
        return
    foreign = [q for name in ("dev", "heldout") for lang, items in load_set(SETS[name]).items()
               if lang in ("en", "es", "fr") for q, _ in items]
    print("\nen/es/fr questions asked in another conversation: re-spelt, decision changed")
    for label, questions in (("dev+heldout en/es/fr", foreign),
                             ("times and ordinals", list(TIMES_AND_ORDINALS))):
        for lang in ("en", "ar", "fa", "ru"):
            respelt = changed = 0
            for question in questions:
                respelt += bool(knowledge.native_spellings(question, lang))
                knowledge.MODEL_READS_SPELLINGS = False
                before = decision(kb.answer(question, lang))
                knowledge.MODEL_READS_SPELLINGS = True
                changed += decision(kb.answer(question, lang)) != before
            print(f"{label:<22} in {lang}: {len(questions)} questions, {respelt} re-spelt, "
                  f"{changed} changed")


if __name__ == "__main__":
    main()

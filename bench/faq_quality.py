"""How well the FAQ understands paraphrases it has never seen, per language.

Run: ``.venv/bin/python bench/faq_quality.py`` (held-out set, fused matcher),
``--lexical-only`` (the lexical matcher alone, the "before" figures), ``--model-reads-typed``
(the model does not read a Latin-script question's re-spelling), ``--model-reads-both``
(the model reads a re-spelling even when the text as typed alone is answered directly),
``--set dev`` (the development set) and ``--calibrate`` (search the fusion constants on the
development set; the held-out set is never used for that).

Per language it prints: direct-answer accuracy (in-scope questions answered with a right
topic), "answered or offered among the first three" (a right topic answered, or offered
among the first three suggestions), out-of-scope refusals (out-of-scope questions given no
answer), confident wrong answers (a wrong topic answered, out-of-scope included, as a share
of all questions) and questions per second: on one core (affinity and OMP_NUM_THREADS=1),
after a warm-up on the development set, with the question-vector cache emptied so every
held-out question is embedded afresh; "q/cpu-s" divides by the process's CPU time instead of
the wall clock, which other programs on a shared machine inflate; "model" is the number of
model calls per question (a question settled before the model, such as a lone "да", makes
none) and "model ms/q" the CPU time in the model per question.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: before the model's engine loads
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.faq import fusion, knowledge
from bot.faq.knowledge import KnowledgeBase

HERE = Path(__file__).resolve().parent
SETS = {"heldout": HERE / "faq_heldout.json", "dev": HERE / "faq_dev.json",
        "fresh": HERE / "faq_fresh.json", "fresh2": HERE / "faq_fresh2.json",
        "fresh3": HERE / "faq_fresh3.json", "fresh4": HERE / "faq_fresh4.json",
        "fresh5": HERE / "faq_fresh5.json", "fresh6": HERE / "faq_fresh6.json"}
OUT_OF_SCOPE = "out_of_scope"


def load_set(path: Path) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """language -> (question, acceptable topic ids; empty for out of scope)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    cases: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for lang, groups in raw.items():
        if lang.startswith("_"):
            continue
        for key, questions in groups.items():
            topics = frozenset() if key == OUT_OF_SCOPE else frozenset(key.split("|"))
            cases.setdefault(lang, []).extend((q, topics) for q in questions)
    return cases


def judge(answer: fusion.FaqAnswer, topics: frozenset[str]) -> tuple[bool, bool, bool]:
    """(answered right, right among answer + first three suggestions, answered wrong)."""
    answered = answer.topic_id if answer.confident else None
    offered = {answered} | {m.topic_id for m in answer.suggestions[:3]}
    right = answered in topics
    return right, bool(offered & topics), answered is not None and not right


def decide(kb: KnowledgeBase, question: str, lang: str, *, lexical_only: bool) -> fusion.FaqAnswer:
    """The fused decision, or with ``lexical_only`` the lexical matcher exactly as before
    the semantic layer (no arithmetic rule, no country rule)."""
    if lexical_only:
        spellings = knowledge.native_spellings(question, lang)
        return fusion.lexical_only(*kb._matcher._evaluate(question, *spellings))
    return kb.answer(question, lang)


def table(kb: KnowledgeBase, cases: dict, *, lexical_only: bool) -> list[str]:
    lines = [f"{'lang':<5}{'direct':>8}{'top-3':>8}{'refused':>9}{'conf.wrong':>12}{'q/s':>8}"
             f"{'q/cpu-s':>9}{'model':>7}{'model ms/q':>12}{'  n (in/out)':>13}"]
    index = None if lexical_only else kb.semantic_index()
    timer = _ModelTimer(index)
    for lang, items in cases.items():
        if index is not None:
            index.clear_cache()
        timer.seconds, timer.calls = 0.0, 0
        start, cpu = time.perf_counter(), time.process_time()
        answers = [decide(kb, q, lang, lexical_only=lexical_only) for q, _ in items]
        rate = len(items) / (time.perf_counter() - start)
        cpu_rate = len(items) / max(1e-9, time.process_time() - cpu)
        model_ms = 1000 * timer.seconds / len(items)
        inside = [(a, t) for a, (_, t) in zip(answers, items, strict=True) if t]
        outside = [a for a, (_, t) in zip(answers, items, strict=True) if not t]
        verdicts = [judge(a, t) for a, t in inside]
        direct = sum(v[0] for v in verdicts) / len(inside)
        top3 = sum(v[1] for v in verdicts) / len(inside)
        refused = sum(not a.confident for a in outside) / max(1, len(outside))
        wrong = (sum(v[2] for v in verdicts) + sum(a.confident for a in outside)) / len(items)
        lines.append(f"{lang:<5}{direct:>8.0%}{top3:>8.0%}{refused:>9.0%}{wrong:>12.1%}"
                     f"{rate:>8.0f}{cpu_rate:>9.0f}{timer.calls / len(items):>7.0%}"
                     f"{model_ms:>12.1f}{len(inside):>7}/{len(outside)}")
    timer.remove()
    return lines


class _ModelTimer:
    """Adds up the CPU time spent in the model's calls (the rest is the matchers' Python)."""

    def __init__(self, index: object) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._embedder = getattr(index, "_embedder", None)
        if self._embedder is not None:
            self._embed = self._embedder.embed
            self._embedder.embed = self._timed  # type: ignore[method-assign]

    def _timed(self, texts: object) -> object:
        start = time.process_time()
        self.calls += 1
        try:
            return self._embed(texts)
        finally:
            self.seconds += time.process_time() - start

    def remove(self) -> None:
        if self._embedder is not None:
            del self._embedder.embed


def misses(kb: KnowledgeBase, cases: dict, *, lexical_only: bool) -> list[str]:
    """Every question not answered or offered right, or answered wrong (for reading)."""
    lines = []
    for lang, items in cases.items():
        for question, topics in items:
            answer = kb.answer(question, lang, lexical_only=lexical_only)
            _right, offered, wrong = judge(answer, topics)
            if (topics and not offered) or wrong or (not topics and answer.confident):
                got = [m.topic_id for m in answer.suggestions]
                lines.append(f"{lang} {question!r}: want {sorted(topics) or 'nothing'}, "
                             f"got {answer.topic_id if answer.confident else None} "
                             f"suggest {got}")
    return lines


GRID = {
    "SEMANTIC_WEIGHT": (0.6, 0.7, 0.8),
    "COSINE_FLOOR": (0.80, 0.82),
    "COSINE_CEILING": (0.95,),
    "ANSWER_THRESHOLD": (0.55, 0.6, 0.65, 0.7),
    "ANSWER_MARGIN": (0.04, 0.08),
    "SUGGESTION_THRESHOLD": (0.2, 0.25, 0.3),
    "OUT_OF_SCOPE_MARGIN": (0.0, 0.01, 0.02),
}


def calibrate(kb: KnowledgeBase, cases: dict) -> list[str]:
    """Grid-search the fusion constants on the development set.

    Kept: settings whose confident wrong answers are at most 1% of the development set
    (a per-language 1% would allow none at ~30 questions a language); among them the best
    mean of "top-3" and "refused" (the worst language counting double), then the fewest
    confident wrong answers, the best "direct", and on a tie the more cautious setting
    (higher suggestion threshold, wider answer margin).
    """
    index = kb.semantic_index()
    if index is None:
        return ["semantic model unavailable: nothing to calibrate"]
    raw = []
    for lang, items in cases.items():
        for question, topics in items:
            spellings = knowledge.native_spellings(question, lang)
            _, lexical = kb._matcher.evaluate(question, *spellings)
            read = () if lang in knowledge.MODEL_SKIPS_SPELLINGS_IN else spellings
            similarity, anchor = kb._similarities(index, question, read)
            raw.append((lang, topics, lexical, similarity, anchor))
    original = {name: getattr(fusion, name) for name in GRID}
    results = []
    try:
        for values in itertools.product(*GRID.values()):
            for name, value in zip(GRID, values, strict=True):
                setattr(fusion, name, value)
            per_lang: dict[str, list[int]] = {}
            for lang, topics, lexical, similarity, anchor in raw:
                answer = fusion.fuse(lexical, similarity, anchor, kb.topic_ids())
                right, offered, wrong = judge(answer, topics)
                # in scope, right, offered, out of scope, refused, all, wrong
                tally = per_lang.setdefault(lang, [0] * 7)
                tally[0] += bool(topics)
                tally[1] += right
                tally[2] += offered
                tally[3] += not topics
                tally[4] += not topics and not answer.confident
                tally[5] += 1
                tally[6] += wrong or (not topics and answer.confident)
            stats = [(right / inside, offered / inside, refused / max(1, outside), wrongs / total)
                     for inside, right, offered, outside, refused, total, wrongs
                     in per_lang.values()]
            wrong_total = sum(t[6] for t in per_lang.values()) / len(raw)
            if wrong_total > 0.01:
                continue
            top3 = [s[1] for s in stats]
            refusal = [s[2] for s in stats]
            quality = (sum(top3) / len(top3) + sum(refusal) / len(refusal)
                       + min(top3) + min(refusal))
            direct = sum(s[0] for s in stats) / len(stats)
            settings = dict(zip(GRID, values, strict=True))
            rank = (round(quality, 4), -wrong_total, round(direct, 4),
                    settings["SUGGESTION_THRESHOLD"], settings["ANSWER_MARGIN"])
            results.append((rank, values, [f"{s[1]:.0%}/{s[2]:.0%}" for s in stats]))
    finally:
        for name, value in original.items():
            setattr(fusion, name, value)
    results.sort(reverse=True)
    lines = [f"{len(results)} settings keep confident wrong <= 1% of the set; best:",
             "  ".join(GRID), f"top-3/refused per language: {list(per_lang)}"]
    for (quality, wrong, direct, *_), values, per in results[:8]:
        lines.append(f"quality {quality:.3f} wrong {-wrong:.1%} direct {direct:.0%}: {values} "
                     f"{per}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="heldout")
    parser.add_argument("--lexical-only", action="store_true",
                        help="the lexical matcher alone (the figures before the semantic layer)")
    parser.add_argument("--calibrate", action="store_true",
                        help="search the fusion constants on the development set")
    parser.add_argument("--no-transliteration", action="store_true",
                        help="the lexical matcher reads Latin-script questions only as written")
    parser.add_argument("--model-reads-typed", action="store_true",
                        help="the model reads Latin-script questions only as written")
    parser.add_argument("--model-reads-both", action="store_true",
                        help="the model reads a re-spelling even when the typed text settles")
    parser.add_argument("--misses", action="store_true", help="list the questions missed")
    parser.add_argument("--lang", default=None, help="measure one language only (e.g. ar)")
    parser.add_argument("--knowledge", type=Path, default=None,
                        help="another knowledge directory (e.g. main's, for the before table)")
    args = parser.parse_args()
    if args.no_transliteration:
        knowledge.native_spellings = lambda text, lang: ()
    if args.model_reads_typed:
        knowledge.MODEL_READS_SPELLINGS = False
    if args.model_reads_both:
        knowledge.MODEL_SKIPS_SPELLINGS_WHEN_SETTLED = False
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    start = time.perf_counter()
    kb = KnowledgeBase.load(args.knowledge)
    if not args.lexical_only and kb.semantic_index() is None:
        print("semantic model unavailable: figures are the lexical matcher's")
    print(f"load (knowledge base, model, vectors): {time.perf_counter() - start:.2f} s")
    if args.calibrate:
        print("\n".join(calibrate(kb, load_set(SETS["dev"]))))
        return
    for lang, items in load_set(SETS["dev"]).items():  # warm-up, never the measured set:
        for question, _ in items:  # every language, so its lazily built tables are ready
            decide(kb, question, lang, lexical_only=args.lexical_only)
    cases = load_set(SETS[args.set])
    if args.lang:
        cases = {args.lang: cases[args.lang]}
    mode = "lexical only" if args.lexical_only else "semantic + lexical"
    print(f"set: {SETS[args.set].name}, {mode}")
    print("\n".join(table(kb, cases, lexical_only=args.lexical_only)))
    if args.misses:
        print("\n".join(misses(kb, cases, lexical_only=args.lexical_only)))


if __name__ == "__main__":
    main()

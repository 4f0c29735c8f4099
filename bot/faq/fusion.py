"""Fuse the lexical score with semantic similarity, and decide how sure the answer is.

For each topic the fused score is ``SEMANTIC_WEIGHT * s + (1 - SEMANTIC_WEIGHT) * l``, where
``l`` is the lexical matcher's score (0..1) and ``s`` the best cosine of the question (or one
of its sentences) to the topic's titles and example questions in any language, mapped to
0..1 between ``COSINE_FLOOR`` and ``COSINE_CEILING`` (e5's cosines of unrelated short texts
sit near 0.75, so the raw value says little).

A question made only of question words and filler ("how much?", "кто?") is never answered
directly, only offered topics. Arithmetic ("what is 17 times 23", "12*12") is out of scope
by rule (:func:`is_arithmetic`): the model reads numbers poorly. Otherwise a question is out
of scope when it is closer to an out-of-scope anchor (small talk,
arithmetic, visas, exchange rates, "are you a robot", translation requests: listed in the
knowledge files) than to any topic by ``OUT_OF_SCOPE_MARGIN``: it gets no topic and no
suggestions, even when the lexical matcher is sure ("17 times 23" is not about time).
Otherwise the best topic is answered directly only when its fused score reaches
``ANSWER_THRESHOLD`` and leads the runner-up by ``ANSWER_MARGIN``; the next topics scoring
at least ``SUGGESTION_THRESHOLD`` (up to three) are offered as "did you mean". (Trusting the
lexical matcher's own sure answers as well was tried in calibration and lost: it added
confident wrong answers.)

The constants were calibrated on ``bench/faq_dev.json`` (``bench/faq_quality.py
--calibrate``), never on the held-out set; ``docs/understanding.md`` tells how.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.faq.matcher import Match

SEMANTIC_WEIGHT = 0.6
COSINE_FLOOR = 0.82
COSINE_CEILING = 0.95
ANSWER_THRESHOLD = 0.7
ANSWER_MARGIN = 0.08
SUGGESTION_THRESHOLD = 0.2
OUT_OF_SCOPE_MARGIN = 0.0


_OPERATOR = (r"[x×*+÷]|\s[-−/]\s|times|plus|minus|multiplied\s+by|divided\s+by|"
             r"умножить\s+на|разделить\s+на|плюс|минус|на|помножити\s+на|поділити\s+на|"
             r"ضرب|زائد|ناقص|تقسيم|ضربدر|ضرب\s+در|تقسیم\s+بر|به\s+علاوه|منهای|"
             r"por|más|menos|entre|dividido\s+(?:por|entre)|fois|divisé\s+par|moins")
_ARITHMETIC = re.compile(rf"\d+(?:[.,]\d+)?\s*(?:{_OPERATOR})\s*\d+", re.IGNORECASE)


def is_arithmetic(question: str) -> bool:
    """Whether ``question`` holds a sum: two numbers joined by an operator or its word (a
    minus or slash only between spaces, so dates and times are not sums)."""
    return bool(_ARITHMETIC.search(question))


@dataclass(frozen=True)
class FaqAnswer:
    """What the FAQ makes of a question.

    ``topic_id`` is the best topic (None when out of scope or nothing fits); ``confident``
    says whether to answer it directly; ``suggestions`` are the topics to offer as "did you
    mean", best first, excluding a confident answer's own topic.
    """

    topic_id: str | None
    score: float
    suggestions: tuple[Match, ...]
    confident: bool
    out_of_scope: bool = False

    @property
    def match(self) -> Match | None:
        """The direct answer, if confident."""
        return Match(self.topic_id, self.score) if self.confident and self.topic_id else None


Similarities = tuple[dict[str, float], float]


def closer(typed: Similarities, respelt: Similarities) -> Similarities:
    """The model's (per-topic cosines, out-of-scope anchor cosine) for a question as typed,
    or the re-spelling's topic cosines when it comes closer to some topic (e5 reads
    "skolko stoit" far better as "сколько стоит"); the anchor cosine is the higher of the
    two, so a foreign sentence re-spelt into nonsense is not drawn out of scope. Chosen on
    the development set over a per-topic maximum and an average, which lost a right topic
    or direct answers there (``docs/understanding.md``, fifth pass)."""
    if max(respelt[0].values(), default=0.0) > max(typed[0].values(), default=0.0):
        return respelt[0], max(typed[1], respelt[1])
    return typed


def _normalised(cosine: float) -> float:
    span = COSINE_CEILING - COSINE_FLOOR
    return min(1.0, max(0.0, (cosine - COSINE_FLOOR) / span))


def fuse(
    lexical: Mapping[str, float],
    semantic: Mapping[str, float],
    anchor: float,
    topic_order: tuple[str, ...],
    limit: int = 3,
    *,
    may_answer: bool = True,
) -> FaqAnswer:
    """Combine both matchers' scores for one question into a calibrated decision;
    ``may_answer`` False (a bare "how much?") allows suggestions only."""
    fused = {
        tid: round(SEMANTIC_WEIGHT * _normalised(semantic.get(tid, 0.0))
                   + (1 - SEMANTIC_WEIGHT) * lexical.get(tid, 0.0), 4)
        for tid in topic_order
    }
    ranked = sorted(topic_order, key=lambda tid: -fused[tid])
    best = ranked[0]
    runner_up = fused[ranked[1]] if len(ranked) > 1 else 0.0
    best_cosine = max(semantic.values(), default=0.0)
    if anchor - best_cosine >= OUT_OF_SCOPE_MARGIN:
        return FaqAnswer(None, 0.0, (), confident=False, out_of_scope=True)
    confident = (may_answer and fused[best] >= ANSWER_THRESHOLD
                 and fused[best] - runner_up >= ANSWER_MARGIN)
    rest = ranked[1:] if confident else ranked
    suggestions = tuple(Match(tid, fused[tid]) for tid in rest
                        if fused[tid] >= SUGGESTION_THRESHOLD)[:limit]
    if not confident and not suggestions:
        return FaqAnswer(None, 0.0, (), confident=False)
    return FaqAnswer(best, fused[best], suggestions, confident)


def lexical_only(lexical_answer: Match | None, near: list[Match], limit: int = 3) -> FaqAnswer:
    """The lexical matcher's own decision, when the model is unavailable."""
    if lexical_answer is not None:
        return FaqAnswer(lexical_answer.topic_id, lexical_answer.score, tuple(near[:limit]),
                         confident=True)
    if near:
        return FaqAnswer(near[0].topic_id, near[0].score, tuple(near[:limit]), confident=False)
    return FaqAnswer(None, 0.0, (), confident=False)

"""Questions and answers from the knowledge base written from the company's site.

A question is answered directly only when the FAQ is sure (``KnowledgeBase.answer``);
otherwise the person gets "Did you mean…" with up to three likely topics and a person to
talk to, and an out-of-scope question gets neither a topic nor a guess. "Do you cover
Syria?" is answered for that country, with its region.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.faq import FaqAnswer, semantic
from bot.faq.countries import country_in
from bot.flow.core import State, Turn
from bot.messages import Choice
from bot.understanding.resources import knowledge_base
from bot.validation.regions import covered_region

#: Topics offered as buttons when the person opens the FAQ.
POPULAR = ("what_is_report", "consultation", "cost", "countries", "how_to_order",
           "response_time", "confidentiality", "law_firms")


def configure_matching(*, enabled: bool = True, cache_directory: Path | None = None) -> None:
    """Set whether the FAQ uses the model and where its vectors (and the onnxruntime graph)
    are cached; nothing is loaded yet (:func:`matching_line` or the first question does)."""
    semantic.configure(enabled=enabled, cache_directory=cache_directory)


def matching_line() -> str:
    """The start-up line saying which matcher the FAQ uses; loads the model if it is not yet
    (on onnxruntime ~0.25 s of CPU; the first start also builds its graph, ~1-2 s)."""
    line = f"faq matching: {semantic.status()}"
    if semantic.load_embedder() is None:
        return line
    return f"{line}; knowledge-base vectors from {semantic.cache_directory()}"


def warm_up(*, enabled: bool = True, cache_directory: Path | None = None,
            wait: bool = False) -> str:
    """Load the knowledge base and the model now, not on the first question, and read its
    vectors from the cache (or compute them, the first time, in a background thread unless
    ``wait``); returns the start-up line saying which matcher the FAQ uses."""
    configure_matching(enabled=enabled, cache_directory=cache_directory)
    line = matching_line()
    kb = knowledge_base()
    if semantic.load_embedder() is not None:
        if wait:
            kb.semantic_index()
        else:
            threading.Thread(target=kb.semantic_index, name="faq-vectors", daemon=True).start()
    return line


def _options(turn: Turn, topic_ids: list[str], *fixed: Choice) -> list[Choice]:
    """Topic buttons then ``fixed`` ones, never two with the same label (the later fixed
    action wins over a topic: ru "Бесплатная консультация" is both)."""
    taken = {choice.label.casefold() for choice in fixed}
    topics = []
    for tid in topic_ids:
        label = knowledge_base().topic(tid, turn.lang).title
        if label.casefold() not in taken:
            taken.add(label.casefold())
            topics.append(Choice(f"topic:{tid}", label))
    return [*topics, *fixed]


def _answer_text(turn: Turn, topic_id: str, question: str) -> str:
    """The topic's answer; for the countries topic, about the country asked for if any."""
    if topic_id == "countries" and question:
        country = country_in(question, turn.lang)
        if country is not None:
            region = covered_region(country.code)
            name = country.name(turn.lang)
            if region is None:
                return turn.t("faq.country_not_covered", country=name)
            return turn.t("faq.country_covered", country=name, region=turn.t(f"region.{region}"))
    return knowledge_base().topic(topic_id, turn.lang).answer


def answer_topic(turn: Turn, topic_id: str, question: str = "") -> None:
    """Give a topic's answer and offer related topics, booking, a person and the menu."""
    topic = knowledge_base().topic(topic_id, turn.lang)
    turn.say_text(_answer_text(turn, topic_id, question))
    turn.ask(
        turn.t("faq.more"),
        _options(turn, list(topic.related)[:6], turn.option("book", "menu.book"),
                 turn.option("handoff", "menu.handoff"), turn.option("menu", "common.menu")),
    )


def decide(turn: Turn, question: str) -> FaqAnswer:
    """The FAQ's decision on a typed question: the one made before the turn's transaction
    when it is about this text in this language, so nothing is matched under the lock."""
    understood = turn.understood
    if understood.faq is not None and understood.text == question.strip() \
            and understood.lang == turn.lang:
        return understood.faq
    return knowledge_base().answer(question, turn.lang)


def answer_question(turn: Turn, question: str, *, offer_more: bool) -> bool:
    """Answer a typed question if the knowledge base is sure of it; say nothing otherwise."""
    result = decide(turn, question)
    if not result.confident or result.topic_id is None:
        return False
    if offer_more:
        answer_topic(turn, result.topic_id, question)
    else:
        turn.say_text(_answer_text(turn, result.topic_id, question))
    return True


def offer_near(turn: Turn, result: FaqAnswer) -> None:
    """Not sure: "Did you mean…" with the likely topics, or plainly no answer, then a person
    and the menu."""
    near = [m.topic_id for m in result.suggestions]
    key = "faq.did_you_mean" if near else (
        "faq.out_of_scope" if result.out_of_scope else "faq.no_match")
    turn.ask(turn.t(key), _options(turn, near, turn.option("handoff", "menu.handoff"),
                                   turn.option("menu", "common.menu")))


class Faq(State):
    """Ask a question, or pick a common topic."""

    name = "faq"
    reads_faq = True

    def enter(self, turn: Turn) -> None:
        turn.ask(turn.t("faq.prompt"),
                 _options(turn, list(POPULAR), turn.option("menu", "common.menu")))

    def handle(self, turn: Turn) -> None:
        choice = turn.choice or ""
        if choice.startswith("topic:"):
            answer_topic(turn, choice.removeprefix("topic:"))
        elif choice in {"menu", "book", "handoff"}:
            turn.go(choice)
        elif turn.text:
            result = decide(turn, turn.text)
            if result.confident and result.topic_id:
                answer_topic(turn, result.topic_id, turn.text)
            else:
                offer_near(turn, result)
        else:
            turn.stay("common.choose_option")

"""Questions and answers from the knowledge base written from the company's site."""

from __future__ import annotations

from functools import cache

from bot.faq import KnowledgeBase
from bot.flow.core import State, Turn
from bot.messages import Choice

#: Topics offered as buttons when the person opens the FAQ.
POPULAR = ("what_is_report", "consultation", "cost", "countries", "how_to_order",
           "response_time", "confidentiality", "law_firms")


@cache
def knowledge() -> KnowledgeBase:
    """The knowledge base, loaded once per process."""
    return KnowledgeBase.load()


def answer_topic(turn: Turn, topic_id: str) -> None:
    """Give a topic's answer and offer related topics, booking, a person and the menu."""
    topic = knowledge().topic(topic_id, turn.lang)
    turn.say_text(topic.answer)
    related = [
        Choice(f"topic:{rid}", knowledge().topic(rid, turn.lang).title) for rid in topic.related
    ][:6]
    turn.ask(
        turn.t("faq.more"),
        [*related, turn.option("book", "menu.book"), turn.option("handoff", "menu.handoff"),
         turn.option("menu", "common.menu")],
    )


def answer_question(turn: Turn, question: str, *, offer_more: bool) -> bool:
    """Answer a typed question if the knowledge base knows it; say nothing otherwise."""
    match = knowledge().match(question, turn.lang)
    if match is None:
        return False
    if offer_more:
        answer_topic(turn, match.topic_id)
    else:
        turn.say_text(knowledge().topic(match.topic_id, turn.lang).answer)
    return True


class Faq(State):
    """Ask a question, or pick a common topic."""

    name = "faq"

    def enter(self, turn: Turn) -> None:
        options = [Choice(f"topic:{tid}", knowledge().topic(tid, turn.lang).title)
                   for tid in POPULAR]
        turn.ask(turn.t("faq.prompt"), [*options, turn.option("menu", "common.menu")])

    def handle(self, turn: Turn) -> None:
        choice = turn.choice or ""
        if choice.startswith("topic:"):
            answer_topic(turn, choice.removeprefix("topic:"))
        elif choice in {"menu", "book", "handoff"}:
            turn.go(choice)
        elif turn.text and answer_question(turn, turn.text, offer_more=True):
            return
        elif turn.text:
            self._no_answer(turn)
        else:
            turn.stay("common.choose_option")

    @staticmethod
    def _no_answer(turn: Turn) -> None:
        """Say plainly that we do not know, and offer near topics, a person or the menu."""
        near = knowledge().suggestions(turn.text, turn.lang, limit=3)
        options = [Choice(f"topic:{m.topic_id}", knowledge().topic(m.topic_id, turn.lang).title)
                   for m in near]
        turn.ask(
            turn.t("faq.no_match"),
            [*options, turn.option("handoff", "menu.handoff"), turn.option("menu", "common.menu")],
        )

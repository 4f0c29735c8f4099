"""What a message means, worked out before its transaction takes the person's lock.

``understand`` reads the text once: its intent (a person, booking, language…), whether it
is a question, and its FAQ match or near topics in the conversation's language. The engine
computes it outside the transaction and hands it to the flow as ``turn.understood``, so
states decide from it without matching anything while the person's row is locked.

The FAQ's decision (the costliest part: the lexical matcher and the model) is made on first
use of ``faq`` and kept. The engine makes it before the transaction unless the message
will most likely not need it (``bot.engine.faq_likely``): then it is made only if a state
does ask: the engine then rolls the attempt back, decides outside the transaction and
redoes the turn (:class:`FaqNotReady`), so the matchers never run under the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property

from bot.faq import Match
from bot.faq.fusion import FaqAnswer
from bot.understanding.intents import Detected, Intent
from bot.understanding.resources import intent_detector, knowledge_base, warm_up
from bot.understanding.text import has_question_mark, tokens

__all__ = ["Detected", "FaqNotReady", "Intent", "Understanding", "matching_forbidden",
           "understand", "warm_up"]

#: A FAQ match at least this sure is "well above the threshold": at an intake question
#: it means the person asked something rather than answered, even without a question mark.
STRONG_MATCH = 0.8

#: Set while the person's row is locked: the FAQ's decision must not be made then.
_forbidden: ContextVar[bool] = ContextVar("faq_matching_forbidden", default=False)


class FaqNotReady(Exception):
    """A state asked the FAQ about a message the engine had guessed it would not: the
    turn is rolled back, the decision made outside the transaction, and the turn redone."""

    def __init__(self, understood: Understanding) -> None:
        super().__init__("FAQ asked inside the transaction")
        self.understood = understood


@contextmanager
def matching_forbidden() -> Iterator[None]:
    """While the person's row is locked: a FAQ decision not yet made raises
    :class:`FaqNotReady` instead of running the matchers under the lock."""
    token = _forbidden.set(True)
    try:
        yield
    finally:
        _forbidden.reset(token)


@dataclass(frozen=True)
class Understanding:
    """The reading of one message; empty for a button press or an attachment."""

    text: str = ""
    lang: str = ""
    intent: Detected | None = None
    #: A question mark of any script in the text.
    question_mark: bool = False
    #: A question word first ("how", "сколько", "كم"); names such as "Will" start so too.
    question_word: bool = False
    #: Whether the FAQ is asked about the text (not for a request, a command, no text).
    consults_faq: bool = False

    @cached_property
    def faq(self) -> FaqAnswer | None:
        """The FAQ's whole decision on the text (None for a request or a command), made on
        first use; never while the person's row is locked (see :class:`FaqNotReady`)."""
        if self.consults_faq and _forbidden.get():
            raise FaqNotReady(self)
        return knowledge_base().answer(self.text, self.lang) if self.consults_faq else None

    @property
    def match(self) -> Match | None:
        """The FAQ topic to answer directly, when the FAQ is sure of one."""
        return self.faq.match if self.faq is not None else None

    @property
    def suggestions(self) -> tuple[Match, ...]:
        """The likely topics when there is no sure answer."""
        return self.faq.suggestions if self.faq is not None and self.match is None else ()

    @property
    def words(self) -> int:
        """How many words the message has."""
        return len(tokens(self.text))

    @property
    def question(self) -> bool:
        """Whether the message reads as a question."""
        return self.question_mark or self.question_word

    @property
    def strong_match(self) -> Match | None:
        """The FAQ match when it is well above the answer threshold."""
        return self.match if self.match and self.match.score >= STRONG_MATCH else None


def understand(text: str | None, lang: str) -> Understanding:
    """Read ``text`` for a conversation in ``lang`` (intents and questions in any language);
    the FAQ's decision is made on first use of ``faq``."""
    text = (text or "").strip()
    if not text or text.startswith("/"):  # commands are read by the engine itself
        return Understanding(text, lang)
    detector = intent_detector()
    intent = detector.detect(text)
    marks = (has_question_mark(text), detector.is_question(text))
    if intent is not None:  # a request is carried out, never looked up in the FAQ
        return Understanding(text, lang, intent, *marks)
    return Understanding(text, lang, None, *marks, consults_faq=True)

"""The pieces every step of the flow uses: the turn being handled and the state registry.

A state is an object with ``enter`` (say what is needed and ask) and ``handle`` (take the
person's answer). States register themselves by name; the conversation stores the name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import Session

from bot.i18n import Translator
from bot.messages import Choice, Choices, Inbound, Reply, Text
from bot.models import Conversation
from bot.understanding import Understanding
from bot.validation.choices import read_choice
from bot.working import WorkingData
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)
STATES: dict[str, State] = {}


class State:
    """One step of the conversation. Subclasses set ``name`` and override the two hooks."""

    name: ClassVar[str]
    #: Where "back" leads from here; None means the main menu.
    back_to: ClassVar[str | None] = None
    #: Whether ``handle`` may ask the FAQ about any typed text, not only about a question
    #: (the engine then asks it before the transaction; see ``bot.engine.faq_likely``).
    reads_faq: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            STATES[cls.name] = cls()

    def enter(self, turn: Turn) -> None:
        """Arrive here: tell the person what they can do now."""
        raise NotImplementedError

    def handle(self, turn: Turn) -> None:
        """Take the person's message while here."""
        raise NotImplementedError

    def back(self, turn: Turn) -> None:
        """The person said "back"."""
        turn.go(self.back_to or "menu")


@dataclass
class Turn:
    """One inbound message being handled, with everything a state needs to answer it."""

    runtime: Runtime
    #: Makes the ORM session of :attr:`session`, on first use.
    open_session: Callable[[], Session]
    conversation: Conversation
    data: WorkingData
    inbound: Inbound
    now: datetime
    replies: list[Reply] = field(default_factory=list)
    choice: str | None = None
    #: The message read before the transaction (intent, question, FAQ match).
    understood: Understanding = field(default_factory=Understanding)
    #: The session, once made (most turns need none: the engine writes their rows).
    opened: Session | None = field(default=None, init=False, repr=False)

    @property
    def session(self) -> Session:
        """The ORM session for the rows a step reads or writes besides the conversation,
        in the turn's transaction, with the conversation in it (made on first use)."""
        if self.opened is None:
            self.opened = self.open_session()
        return self.opened

    @property
    def conversation_id(self) -> int:
        """The conversation's id (it is locked, so stored)."""
        assert self.conversation.id is not None
        return self.conversation.id

    @property
    def t(self) -> Translator:
        """Translator for the conversation's language."""
        settings = self.runtime.settings
        return Translator(self.conversation.language or settings.default_language,
                          digits=settings.message_digits)

    @property
    def lang(self) -> str:
        """The conversation's language code."""
        return self.t.lang

    @property
    def text(self) -> str:
        """What the person typed, trimmed ('' for a button press or an attachment)."""
        return (self.inbound.text or "").strip()

    def say(self, key: str, **values: Any) -> None:
        """Send a translated text."""
        self.replies.append(Text(self.t(key, **values)))

    def say_text(self, text: str) -> None:
        """Send text that is already in the person's language."""
        self.replies.append(Text(text))

    def ask(self, text: str, choices: Sequence[Choice]) -> None:
        """Ask with options; typed numbers or labels will be matched to them next turn.

        Two options with the same label could not be told apart, so a later one is dropped
        (and logged, naming the state and the ids, never the labels).
        """
        choices = distinct_labels(choices, self.conversation.state)
        self.data.asked += 1
        self.replies.append(Choices(text, tuple(choices), self.token))
        self.data.choices = [(c.id, c.label) for c in choices]

    @property
    def token(self) -> str:
        """Names the latest question with options (buttons of an older one are stale)."""
        return format(self.data.asked, "x")

    def option(self, choice_id: str, key: str, **values: Any) -> Choice:
        """A choice whose label is the translation of ``key``."""
        return Choice(choice_id, self.t(key, **values))

    def go(self, state: str) -> None:
        """Move to ``state`` and let it speak."""
        self.data.choices = None
        self.conversation.state = state
        STATES[state].enter(self)

    def stay(self, error_key: str | None = None, **values: Any) -> None:
        """Answer is not usable: say why (politely) and ask the same question again."""
        if error_key:
            self.say(error_key, **values)
        STATES[self.conversation.state].enter(self)


def distinct_labels(choices: Sequence[Choice], state: str) -> list[Choice]:
    """``choices`` without those whose label repeats an earlier one's."""
    kept: dict[str, Choice] = {}
    for choice in choices:
        key = " ".join(choice.label.casefold().split())
        if key in kept:
            log.warning("state %s offered two options with one label: %s and %s",
                        state, kept[key].id, choice.id)
            continue
        kept[key] = choice
    return list(kept.values())


def match_choice(text: str, offered: Sequence[Sequence[str]]) -> str | None:
    """The id of the offered choice the text names (see :mod:`bot.validation.choices`)."""
    return read_choice(text, [(choice_id, label) for choice_id, label in offered])

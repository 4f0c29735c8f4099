"""First contact, the main menu, language choice and help."""

from __future__ import annotations

from bot.flow.core import STATES, State, Turn
from bot.i18n import Translator, language_name, languages, supported
from bot.messages import Choice

MENU_TARGETS = ("faq", "book", "mybooking", "documents", "handoff", "language", "forget")


class Welcome(State):
    """First contact: name the service, say how data is kept, settle the language."""

    name = "welcome"

    def enter(self, turn: Turn) -> None:
        turn.say("welcome.greeting", company=turn.runtime.settings.company_name)
        turn.say("welcome.privacy")
        current = turn.lang
        options = [Choice(f"lang:{current}", turn.t("welcome.keep_language"))]
        options += [
            Choice(f"lang:{code}", language_name(code)) for code in languages() if code != current
        ]
        turn.ask(turn.t("welcome.language_prompt"), options)

    def handle(self, turn: Turn) -> None:
        if turn.choice and turn.choice.startswith("lang:"):
            turn.conversation.language = turn.choice.removeprefix("lang:")
            answer_pending_question(turn)
            turn.go("menu")
            return
        # A typed question instead of a language: keep it, continue in the suggested language.
        if turn.text:
            turn.data["pending_text"] = turn.text
            turn.conversation.language = turn.lang
            answer_pending_question(turn)
            turn.go("menu")
            return
        turn.stay("common.choose_option")


def answer_pending_question(turn: Turn) -> None:
    """Answer what the person typed before the language was settled, if it was a question."""
    from bot.flow.faq import answer_question  # the FAQ module imports this one

    pending = turn.data.pop("pending_text", None)
    if pending:
        answer_question(turn, pending, offer_more=False)


class LanguageChoice(State):
    """Change the conversation's language."""

    name = "language"

    def enter(self, turn: Turn) -> None:
        options = [Choice(f"lang:{code}", language_name(code)) for code in languages()]
        turn.ask(turn.t("language.prompt"), options)

    def handle(self, turn: Turn) -> None:
        code = turn.choice.removeprefix("lang:") if turn.choice else supported(turn.text)
        if not code or code not in languages():
            turn.stay("common.choose_option")
            return
        turn.conversation.language = code
        turn.say("language.changed", language=language_name(code))
        turn.go("menu")


class Menu(State):
    """The main menu; typed questions here are answered from the FAQ."""

    name = "menu"

    def enter(self, turn: Turn) -> None:
        options = [turn.option(target, f"menu.{target}") for target in MENU_TARGETS]
        turn.ask(turn.t("menu.prompt"), options)

    def handle(self, turn: Turn) -> None:
        if turn.choice in MENU_TARGETS:
            turn.go(turn.choice)
            return
        if turn.text:
            from bot.flow.faq import answer_question

            if answer_question(turn, turn.text, offer_more=True):
                turn.conversation.state = "faq"
                return
        turn.stay("menu.not_understood")

    def back(self, turn: Turn) -> None:
        turn.go("menu")


class MyBooking(State):
    """Entry to the person's booking, handled by the booking flow when it is present."""

    name = "mybooking"

    def enter(self, turn: Turn) -> None:
        if "booking.mine" in STATES:
            turn.go("booking.mine")
            return
        turn.say("booking.none")
        turn.go("menu")

    def handle(self, turn: Turn) -> None:
        self.enter(turn)


def show_help(turn: Turn) -> None:
    """Explain what the bot can do and the words that work everywhere, then ask again."""
    turn.say("help.text")
    STATES[turn.conversation.state].enter(turn)


def suggested_language(hint: str | None, default: str) -> str:
    """The catalog language for a platform hint, else the default."""
    return supported(hint) or Translator(default).lang

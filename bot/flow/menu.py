"""First contact, the main menu, language choice, help, and requests typed in any state."""

from __future__ import annotations

from bot.flow.core import STATES, State, Turn
from bot.i18n import Translator, language_name, languages, supported
from bot.messages import Choice
from bot.understanding import Detected, Intent
from bot.understanding.resources import knowledge_base
from bot.working import BookingProgress

MENU_TARGETS = ("faq", "book", "mybooking", "documents", "handoff", "language", "forget",
                "myfiles")


class Welcome(State):
    """First contact: name the service, say how data is kept, settle the language."""

    name = "welcome"
    reads_faq = True

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
        elif turn.text:
            # A typed question instead of a language: continue in the suggested language.
            turn.conversation.language = turn.lang
            if turn.understood.match is not None:
                turn.data.pending_topic = turn.understood.match.topic_id
        else:
            turn.stay("common.choose_option")
            return
        settled(turn)


def settled(turn: Turn) -> None:
    """The language is settled: answer the first question, or do what was asked, or the menu."""

    turn.data.extra.pop("pending_text", None)  # kept by earlier versions; matched no more
    topic, turn.data.pending_topic = turn.data.pending_topic, None
    if topic:
        turn.say_text(knowledge_base().topic(topic, turn.lang).answer)
    pending, turn.data.pending_intent = turn.data.pending_intent, None
    turn.conversation.state = "menu"
    if pending in set(Intent):
        run_intent(turn, Detected(Intent(pending)))
    else:
        turn.go("menu")


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
        turn.go(returning(turn))

    def back(self, turn: Turn) -> None:
        turn.go(returning(turn))


class Menu(State):
    """The main menu; typed questions here are answered from the FAQ."""

    name = "menu"
    reads_faq = True

    def enter(self, turn: Turn) -> None:
        turn.data.language_return = None
        options = [turn.option(target, f"menu.{target}") for target in MENU_TARGETS]
        turn.ask(turn.t("menu.prompt"), options)

    def handle(self, turn: Turn) -> None:
        if turn.choice in MENU_TARGETS:
            turn.go(turn.choice)
            return
        match = turn.understood.match
        if turn.text and match is not None:
            from bot.flow.faq import answer_topic

            answer_topic(turn, match.topic_id)
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


# --- requests typed in any state (see bot.understanding.intents) ---------------------


def run_intent(turn: Turn, detected: Detected) -> None:
    """Do what the person asked for in their own words, wherever they are."""
    intent, state = detected.intent, turn.conversation.state
    if intent is Intent.HUMAN:
        turn.go("handoff")
    elif intent is Intent.LANGUAGE:
        change_language(turn, detected.language)
    elif intent is Intent.BOOK:
        if state.startswith(("intake.", "booking.")):
            turn.stay()  # already on the way to a booking: the same question again
        else:
            turn.go("book")
    elif intent is Intent.MY_BOOKING:
        turn.go("mybooking")
    elif intent in (Intent.CANCEL_BOOKING, Intent.MOVE_BOOKING):
        open_booking(turn, cancel=intent is Intent.CANCEL_BOOKING)
    else:
        turn.stay("understanding.thanks" if intent is Intent.THANKS
                  else "understanding.greeting")


def remember_return(turn: Turn) -> None:
    """Before the language question: come back to the current question afterwards."""
    state = turn.conversation.state
    if state not in ("new", "welcome", "language", "menu"):
        turn.data.language_return = state


def returning(turn: Turn) -> str:
    """Where the language question leads back to (once): the question before, or the menu."""
    state, turn.data.language_return = turn.data.language_return, None
    return state or "menu"


def change_language(turn: Turn, code: str | None) -> None:
    """Switch to ``code`` and ask the same question again; without a code, ask which."""
    state = turn.conversation.state
    if code is None or code not in languages():
        remember_return(turn)
        turn.go("language")
        return
    turn.conversation.language = code
    turn.say("language.changed", language=language_name(code))
    if state == "welcome":
        settled(turn)
    elif state == "language":
        turn.go(returning(turn))
    else:
        turn.stay()


def open_booking(turn: Turn, *, cancel: bool) -> None:
    """"Cancel my booking" / "change its time": straight to that step of the booking."""
    if "booking.cancel" not in STATES:
        turn.go("mybooking")
        return
    from booking import service

    upcoming = service.upcoming_for(turn.session, turn.conversation_id, turn.now)
    if not upcoming and not cancel and turn.conversation.state.startswith("booking."):
        turn.go("booking.day")  # "change the time" while booking: the days again
        return
    if not upcoming:
        turn.say("booking.none")
        turn.go("menu")
        return
    if cancel:  # asked to confirm first, as from "My booking"
        turn.data.booking = BookingProgress(mine=upcoming[0].id)
        turn.go("booking.cancel")
    else:
        turn.data.booking = BookingProgress(move_id=upcoming[0].id)
        turn.go("booking.start")

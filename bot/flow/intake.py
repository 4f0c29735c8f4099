"""Case intake before booking: one question per state, checked, with back and a review.

Answers collect in the conversation's (encrypted) data under ``intake``; nothing is lost
when the person leaves for the menu and comes back. Confirming stores a :class:`CaseFile`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from babel.dates import format_date

from bot.flow.core import STATES, State, Turn
from bot.messages import Choice
from bot.models import CaseFile
from bot.validation.countries import Country, resolve_country
from bot.validation.dates import parse_deadline
from bot.validation.emails import normalise_email
from bot.validation.regions import covered_region, region_name

ROLES = ("applicant", "lawyer")
STAGES = ("not_applied", "waiting", "appealing", "other")
NAME_MAX, FIRM_MAX, DESCRIPTION_MIN, DESCRIPTION_MAX = 100, 150, 10, 1000
#: A description this short with a question mark is a question; with a FAQ topic, longer.
QUESTION_WORDS, QUESTION_WORDS_FAQ = 8, 15

#: The questions in order; ``firm`` is asked only of lawyers and represented applicants.
FIELDS = ("role", "name", "origin", "asylum_country", "stage", "represented", "firm",
          "deadline", "description", "email", "consent")
#: What the review lets the person change.
EDITABLE = ("role", "name", "origin", "asylum_country", "stage", "represented", "firm",
            "deadline", "description", "email")
BOOKING_START = "booking.start"


def answers(turn: Turn) -> dict[str, Any]:
    """The intake answers so far (created on first use)."""
    return turn.data.setdefault("intake", {})


def applies(field: str, given: dict[str, Any]) -> bool:
    """Whether ``field`` is asked, given the answers so far."""
    if field == "represented":
        return given.get("role") != "lawyer"
    if field == "firm":
        return given.get("role") == "lawyer" or given.get("represented") == "yes"
    return True


def next_field(given: dict[str, Any]) -> str | None:
    """The first question not yet answered, or None when all are."""
    return next((f for f in FIELDS if applies(f, given) and f not in given), None)


def advance(turn: Turn) -> None:
    """After a valid answer: back to the review when editing, else the next question."""
    given = answers(turn)
    if turn.data.pop("intake_editing", False) and next_field(given) in (None, "consent"):
        turn.go("intake.review")
        return
    field = next_field(given)
    turn.go(f"intake.{field}" if field else "intake.review")


class Begin(State):
    """Entry from the menu: explain, then resume where the person left off."""

    name = "book"

    def enter(self, turn: Turn) -> None:
        if turn.data.get("case_id") and BOOKING_START in STATES:
            turn.go(BOOKING_START)
            return
        if answers(turn):
            turn.say("intake.resume")
        else:
            turn.say("intake.intro")
        advance(turn)

    def handle(self, turn: Turn) -> None:  # never waits here
        self.enter(turn)


class Question(State):
    """A question of the intake; subclasses check one answer."""

    field: ClassVar[str]

    def enter(self, turn: Turn) -> None:
        turn.say_text(self.prompt(turn))

    def prompt(self, turn: Turn) -> str:
        role = answers(turn).get("role", "applicant")
        return turn.t(f"intake.{self.field}.prompt.{role}" if self.per_role else
                      f"intake.{self.field}.prompt")

    per_role: ClassVar[bool] = False

    def handle(self, turn: Turn) -> None:
        if turn.choice is None and turn.text and self.not_an_answer(turn):
            answer_aside(turn, self.field)
            return
        value = self.parse(turn)
        if value is None:
            return  # parse has said why and asked again
        answers(turn)[self.field] = value
        self.after(turn, value)
        advance(turn)

    def not_an_answer(self, turn: Turn) -> bool:
        """Whether the reply asks something instead of answering (see ``asks``)."""
        return asks(turn, short=True)

    def parse(self, turn: Turn) -> Any:
        """Return the checked answer, or say what is wrong, re-ask, and return None."""
        raise NotImplementedError

    def after(self, turn: Turn, value: Any) -> None:
        """Hook for follow-up remarks or clearing answers that no longer apply."""

    def back(self, turn: Turn) -> None:
        if turn.data.pop("intake_editing", False):
            turn.go("intake.review")
            return
        given = answers(turn)
        earlier = [f for f in FIELDS[: FIELDS.index(self.field)] if applies(f, given)]
        if not earlier:
            turn.go("menu")
            return
        given.pop(earlier[-1], None)
        turn.go(f"intake.{earlier[-1]}")


def asks(turn: Turn, *, short: bool) -> bool:
    """Whether the reply is a question rather than an answer.

    Requests in words (a person, booking, language) never get here: the engine carries
    them out in any state. A question is a question mark, or a question word with a FAQ
    match well above the threshold ("how much does it cost"). A FAQ match alone is no
    question: a firm's name may well match the law-firms topic, a description the
    countries one. A short answer (a name) with a question mark is a question from two
    words or with a FAQ topic ("Anna?" may be a shy answer), and a question word alone
    proves nothing ("Will Smith", "Do Van Nam"). A long answer (the description) may hold a
    question inside its story: only a message of ``QUESTION_WORDS`` words at most counts,
    or of ``QUESTION_WORDS_FAQ`` with a FAQ topic behind the question.
    """
    understood = turn.understood
    words = understood.words
    faq_question = (understood.question_mark and understood.match is not None) or \
        (understood.question_word and understood.strong_match is not None)
    if short:
        return faq_question or (understood.question_mark and words >= 2)
    if faq_question:
        return words <= QUESTION_WORDS_FAQ
    return understood.question_mark and words <= QUESTION_WORDS


#: Fields answered by a choice: an aside there needs no "I have not saved that as …".
_CHOICE_FIELDS = ("role", "stage", "represented", "consent")


def answer_aside(turn: Turn, field: str) -> None:
    """Answer the question asked instead of an answer, then ask the same question again."""
    from bot.flow.faq import knowledge  # the FAQ flow imports the intake through booking

    match = turn.understood.match
    if match is not None:
        turn.say_text(knowledge().topic(match.topic_id, turn.lang).answer)
    else:
        turn.say("understanding.no_answer_here")
    if field not in _CHOICE_FIELDS:
        turn.say("understanding.not_an_answer", label=turn.t(f"intake.{field}.label"))
    turn.stay()


class ChoiceQuestion(Question):
    """A question answered by one of fixed options."""

    options: ClassVar[tuple[str, ...]]

    def enter(self, turn: Turn) -> None:
        turn.ask(self.prompt(turn), [
            turn.option(o, f"intake.{self.field}.{o}") for o in self.options
        ])

    def parse(self, turn: Turn) -> Any:
        if turn.choice in self.options:
            return turn.choice
        turn.stay("common.choose_option")
        return None

    def not_an_answer(self, turn: Turn) -> bool:
        # An option typed but not recognised is meant as an answer: "please choose" below.
        return asks(turn, short=True)


class TextQuestion(Question):
    """A free-text answer within length limits."""

    min_length: ClassVar[int] = 2
    max_length: ClassVar[int]

    def parse(self, turn: Turn) -> Any:
        text = " ".join(turn.text.split())
        if len(text) > self.max_length:
            turn.stay("intake.too_long", limit=turn.t.count("count.characters", self.max_length),
                      length=turn.t.count("count.characters", len(text)))
            return None
        if len(text) < self.min_length or not any(ch.isalpha() for ch in text):
            turn.stay(f"intake.{self.field}.invalid")
            return None
        return text


class Role(ChoiceQuestion):
    name, field, options = "intake.role", "role", ROLES

    def after(self, turn: Turn, value: Any) -> None:
        given = answers(turn)
        if value == "lawyer":
            given.pop("represented", None)
        elif given.get("represented") == "no":
            given.pop("firm", None)


class Name(TextQuestion):
    name, field, max_length, per_role = "intake.name", "name", NAME_MAX, True


class CountryQuestion(Question):
    """A country, typed in any common form; unclear input offers close matches."""

    def enter(self, turn: Turn) -> None:
        turn.say_text(self.prompt(turn))

    def not_an_answer(self, turn: Turn) -> bool:
        # "do you cover Syria?" is answered, not taken as the country; a country's name
        # alone ("Korea") may well match the FAQ's list of countries and is still an answer.
        return turn.understood.question and turn.understood.words >= 3

    def parse(self, turn: Turn) -> Any:
        if turn.choice and turn.choice.startswith("country:"):
            return turn.choice.removeprefix("country:")
        if turn.choice == "retype" or not turn.text:
            turn.stay()
            return None
        guess = resolve_country(turn.text, turn.lang)
        if guess.country is not None:
            return guess.country.code
        if guess.suggestions:
            options = [Choice(f"country:{c.code}", c.name(turn.lang)) for c in guess.suggestions]
            turn.ask(turn.t("intake.country.did_you_mean"),
                     [*options, turn.option("retype", "intake.country.none_of_these")])
            return None
        turn.stay("intake.country.unknown")
        return None


class Origin(CountryQuestion):
    name, field, per_role = "intake.origin", "origin", True

    def after(self, turn: Turn, value: Any) -> None:
        country = Country(value).name(turn.lang)
        region = covered_region(value)
        if region:
            turn.say("intake.origin.covered", country=country,
                     region=region_name(region, turn.lang))
        else:
            turn.say("intake.origin.not_listed", country=country)


class AsylumCountry(CountryQuestion):
    name, field, per_role = "intake.asylum_country", "asylum_country", True


class Stage(ChoiceQuestion):
    name, field, options = "intake.stage", "stage", STAGES


class Represented(ChoiceQuestion):
    name, field, options = "intake.represented", "represented", ("yes", "no")

    def after(self, turn: Turn, value: Any) -> None:
        if value == "no":
            answers(turn).pop("firm", None)


class Firm(TextQuestion):
    name, field, max_length, per_role = "intake.firm", "firm", FIRM_MAX, True


class Deadline(Question):
    name, field = "intake.deadline", "deadline"

    def not_an_answer(self, turn: Turn) -> bool:
        return asks(turn, short=True) and \
            parse_deadline(turn.text, turn.lang, turn.now.date()) is None

    def enter(self, turn: Turn) -> None:
        turn.ask(self.prompt(turn), [turn.option("none", "intake.deadline.none")])

    def parse(self, turn: Turn) -> Any:
        if turn.choice == "none":
            return "none"
        today = turn.now.date()
        parsed = parse_deadline(turn.text, turn.lang, today) if turn.text else None
        if parsed is None:
            turn.stay("intake.deadline.invalid")
            return None
        if parsed < today:
            turn.stay("intake.deadline.past")
            return None
        return parsed.isoformat()


class Description(TextQuestion):
    name, field = "intake.description", "description"
    min_length, max_length = DESCRIPTION_MIN, DESCRIPTION_MAX

    def not_an_answer(self, turn: Turn) -> bool:
        return asks(turn, short=False)

    def after(self, turn: Turn, value: Any) -> None:
        turn.say("casefiles.invite")  # photos and PDFs of their papers, now or any time


class Email(Question):
    name, field = "intake.email", "email"

    def not_an_answer(self, turn: Turn) -> bool:
        return normalise_email(turn.text) is None and asks(turn, short=True)

    def parse(self, turn: Turn) -> Any:
        email = normalise_email(turn.text) if turn.text else None
        if email is None:
            turn.stay("intake.email.invalid")
        return email


class Consent(ChoiceQuestion):
    name, field, options = "intake.consent", "consent", ("yes", "no")

    def handle(self, turn: Turn) -> None:
        if turn.choice == "no":
            turn.data.pop("intake", None)
            turn.say("intake.consent.refused")
            turn.go("menu")
            return
        super().handle(turn)


class Review(State):
    """The summary: confirm, change a field, or leave for the menu."""

    name = "intake.review"
    back_to = "intake.consent"

    def enter(self, turn: Turn) -> None:
        turn.ask(summary(turn), [turn.option("confirm", "intake.review.confirm"),
                                 turn.option("edit", "intake.review.edit"),
                                 turn.option("menu", "common.menu")])

    def handle(self, turn: Turn) -> None:
        if turn.choice == "confirm":
            confirm_case(turn)
        elif turn.choice == "edit":
            turn.go("intake.edit")
        elif turn.choice == "menu":
            turn.go("menu")
        else:
            turn.stay("common.choose_option")

    def back(self, turn: Turn) -> None:
        turn.go("intake.edit")


class EditChoice(State):
    """Which answer to change."""

    name = "intake.edit"
    back_to = "intake.review"

    def enter(self, turn: Turn) -> None:
        given = answers(turn)
        options = [turn.option(f, f"intake.{f}.label") for f in EDITABLE if applies(f, given)]
        turn.ask(turn.t("intake.edit.prompt"), options)

    def handle(self, turn: Turn) -> None:
        if turn.choice in EDITABLE:
            answers(turn).pop(turn.choice, None)
            turn.data["intake_editing"] = True
            turn.go(f"intake.{turn.choice}")
        else:
            turn.stay("common.choose_option")


def describe(turn: Turn, field: str, value: Any) -> str:
    """An answer as the person should read it in the summary."""
    if field in ("role", "stage", "represented"):
        return turn.t(f"intake.{field}.{value}")
    if field in ("origin", "asylum_country"):
        return Country(value).name(turn.lang)
    if field == "deadline":
        if value == "none":
            return turn.t("intake.deadline.none")
        return format_date(date.fromisoformat(value), format="long", locale=turn.lang)
    return str(value)


def summary(turn: Turn) -> str:
    """The review text: every answer, one per line."""
    given = answers(turn)
    lines = [turn.t("intake.review.title")]
    lines += [
        f"• {turn.t(f'intake.{f}.label')}: {describe(turn, f, given[f])}"
        for f in EDITABLE if applies(f, given) and f in given
    ]
    return "\n".join(lines)


def confirm_case(turn: Turn) -> None:
    """Store the case (encrypted) and hand over to booking."""
    given = dict(answers(turn))
    given.pop("consent", None)
    case = CaseFile(
        conversation_id=turn.conversation.id,
        payload_enc=turn.runtime.cipher.encrypt_json(given),
        consent_at=turn.now,
        created_at=turn.now,
    )
    turn.session.add(case)
    turn.session.flush()
    turn.data["case_id"] = case.id
    turn.data.pop("intake", None)
    turn.say("intake.saved")
    if BOOKING_START in STATES:
        turn.go(BOOKING_START)
    else:
        turn.say("intake.team_will_contact")
        turn.go("menu")

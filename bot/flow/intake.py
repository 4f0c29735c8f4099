"""Case intake before booking: one question per state, checked, with back and a review.

The questions are defined in :mod:`bot.case`; each has a state here that checks its
answer. Answers collect in the conversation's (encrypted) working data; nothing is lost
when the person leaves for the menu and comes back. Confirming stores a :class:`CaseFile`.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from babel.dates import format_date

from bot.case import BY_NAME, EDITABLE, FIELDS, CaseDetails, IntakeField, Kind
from bot.flow.core import STATES, State, Turn
from bot.messages import Choice
from bot.models import CaseFile
from bot.understanding.resources import knowledge_base
from bot.validation.countries import Country, resolve_country
from bot.validation.dates import parse_deadline
from bot.validation.emails import normalise_email
from bot.validation.regions import covered_region, region_name

#: A description this short with a question mark is a question; with a FAQ topic, longer.
QUESTION_WORDS, QUESTION_WORDS_FAQ = 8, 15

BOOKING_START = "booking.start"


def answers(turn: Turn) -> CaseDetails:
    """The intake answers so far."""
    return turn.data.intake


def editing_done(turn: Turn) -> bool:
    """Whether the answer just given was a review's change (and the mark is now cleared)."""
    editing, turn.data.intake_editing = turn.data.intake_editing, False
    return editing


def advance(turn: Turn) -> None:
    """After a valid answer: back to the review when editing, else the next question."""
    question = answers(turn).next_question()
    if editing_done(turn) and (question is None or question.name == "consent"):
        turn.go("intake.review")
        return
    turn.go(f"intake.{question.name}" if question else "intake.review")


class Begin(State):
    """Entry from the menu: explain, then resume where the person left off."""

    name = "book"

    def enter(self, turn: Turn) -> None:
        if turn.data.case_id and BOOKING_START in STATES:
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

    @property
    def question(self) -> IntakeField:
        """The question's definition."""
        return BY_NAME[self.field]

    def enter(self, turn: Turn) -> None:
        turn.say_text(self.prompt(turn))

    def prompt(self, turn: Turn) -> str:
        role = answers(turn).role or "applicant"
        return turn.t(f"intake.{self.field}.prompt.{role}" if self.question.per_role else
                      f"intake.{self.field}.prompt")

    def handle(self, turn: Turn) -> None:
        if turn.choice is None and turn.text and self.not_an_answer(turn):
            answer_aside(turn, self.field)
            return
        value = self.parse(turn)
        if value is None:
            return  # parse has said why and asked again
        answers(turn).set(self.field, value)
        self.after(turn, value)
        advance(turn)

    def not_an_answer(self, turn: Turn) -> bool:
        """Whether the reply asks something instead of answering (see ``asks``)."""
        return asks(turn, short=True)

    def parse(self, turn: Turn) -> str | None:
        """Return the checked answer, or say what is wrong, re-ask, and return None."""
        raise NotImplementedError

    def after(self, turn: Turn, value: str) -> None:
        """Hook for follow-up remarks or clearing answers that no longer apply."""

    def back(self, turn: Turn) -> None:
        if editing_done(turn):
            turn.go("intake.review")
            return
        given = answers(turn)
        earlier = [f for f in FIELDS[: FIELDS.index(self.question)] if f.applies(given)]
        if not earlier:
            turn.go("menu")
            return
        given.clear(earlier[-1].name)
        turn.go(f"intake.{earlier[-1].name}")


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


def answer_aside(turn: Turn, field: str) -> None:
    """Answer the question asked instead of an answer, then ask the same question again."""

    match = turn.understood.match
    if match is not None:
        turn.say_text(knowledge_base().topic(match.topic_id, turn.lang).answer)
    else:
        turn.say("understanding.no_answer_here")
    question = BY_NAME[field]
    if question.kind is not Kind.CHOICE:  # an aside to a choice needs no "not saved as …"
        turn.say("understanding.not_an_answer", label=turn.t(question.label_key))
    turn.stay()


class ChoiceQuestion(Question):
    """A question answered by one of fixed options."""

    def enter(self, turn: Turn) -> None:
        turn.ask(self.prompt(turn), [
            turn.option(o, self.question.option_key(o)) for o in self.question.options
        ])

    def parse(self, turn: Turn) -> str | None:
        if turn.choice in self.question.options:
            return turn.choice
        turn.stay("common.choose_option")
        return None

    def not_an_answer(self, turn: Turn) -> bool:
        # An option typed but not recognised is meant as an answer: "please choose" below.
        return asks(turn, short=True)


class TextQuestion(Question):
    """A free-text answer within length limits."""

    def parse(self, turn: Turn) -> str | None:
        text = " ".join(turn.text.split())
        limit = self.question.max_length
        if len(text) > limit:
            turn.stay("intake.too_long", limit=turn.t.count("count.characters", limit),
                      length=turn.t.count("count.characters", len(text)))
            return None
        if len(text) < self.question.min_length or not any(ch.isalpha() for ch in text):
            turn.stay(f"intake.{self.field}.invalid")
            return None
        return text


class Role(ChoiceQuestion):
    name, field = "intake.role", "role"

    def after(self, turn: Turn, value: str) -> None:
        given = answers(turn)
        if value == "lawyer":
            given.represented = None
        elif given.represented == "no":
            given.firm = None


class Name(TextQuestion):
    name, field = "intake.name", "name"


class CountryQuestion(Question):
    """A country, typed in any common form; unclear input offers close matches."""

    def enter(self, turn: Turn) -> None:
        turn.say_text(self.prompt(turn))

    def not_an_answer(self, turn: Turn) -> bool:
        # "do you cover Syria?" is answered, not taken as the country; a country's name
        # alone ("Korea") may well match the FAQ's list of countries and is still an answer.
        return turn.understood.question and turn.understood.words >= 3

    def parse(self, turn: Turn) -> str | None:
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
    name, field = "intake.origin", "origin"

    def after(self, turn: Turn, value: str) -> None:
        country = Country(value).name(turn.lang)
        region = covered_region(value)
        if region:
            turn.say("intake.origin.covered", country=country,
                     region=region_name(region, turn.lang))
        else:
            turn.say("intake.origin.not_listed", country=country)


class AsylumCountry(CountryQuestion):
    name, field = "intake.asylum_country", "asylum_country"


class Stage(ChoiceQuestion):
    name, field = "intake.stage", "stage"


class Represented(ChoiceQuestion):
    name, field = "intake.represented", "represented"

    def after(self, turn: Turn, value: str) -> None:
        if value == "no":
            answers(turn).firm = None


class Firm(TextQuestion):
    name, field = "intake.firm", "firm"


class Deadline(Question):
    name, field = "intake.deadline", "deadline"

    def not_an_answer(self, turn: Turn) -> bool:
        return asks(turn, short=True) and \
            parse_deadline(turn.text, turn.lang, turn.now.date()) is None

    def enter(self, turn: Turn) -> None:
        turn.ask(self.prompt(turn), [turn.option("none", "intake.deadline.none")])

    def parse(self, turn: Turn) -> str | None:
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

    def not_an_answer(self, turn: Turn) -> bool:
        return asks(turn, short=False)

    def after(self, turn: Turn, value: str) -> None:
        turn.say("casefiles.invite")  # photos and PDFs of their papers, now or any time


class Email(Question):
    name, field = "intake.email", "email"

    def not_an_answer(self, turn: Turn) -> bool:
        return normalise_email(turn.text) is None and asks(turn, short=True)

    def parse(self, turn: Turn) -> str | None:
        email = normalise_email(turn.text) if turn.text else None
        if email is None:
            turn.stay("intake.email.invalid")
        return email


class Consent(ChoiceQuestion):
    name, field = "intake.consent", "consent"

    def handle(self, turn: Turn) -> None:
        if turn.choice == "no":
            turn.data.end_intake()
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
        options = [turn.option(f.name, f.label_key) for f in EDITABLE if f.applies(given)]
        turn.ask(turn.t("intake.edit.prompt"), options)

    def handle(self, turn: Turn) -> None:
        if turn.choice in {f.name for f in EDITABLE}:
            answers(turn).clear(turn.choice)
            turn.data.intake_editing = True
            turn.go(f"intake.{turn.choice}")
        else:
            turn.stay("common.choose_option")


def describe(turn: Turn, question: IntakeField, value: str) -> str:
    """An answer as the person should read it in the summary."""
    if question.kind is Kind.CHOICE:
        return turn.t(question.option_key(value))
    if question.kind is Kind.COUNTRY:
        return Country(value).name(turn.lang)
    if question.kind is Kind.DEADLINE:
        if value == "none":
            return turn.t("intake.deadline.none")
        return format_date(date.fromisoformat(value), format="long", locale=turn.lang)
    return value


def summary(turn: Turn) -> str:
    """The review text: every answer, one per line."""
    given = answers(turn)
    lines = [turn.t("intake.review.title")]
    lines += [
        f"• {turn.t(f.label_key)}: {describe(turn, f, value)}"
        for f in EDITABLE if f.applies(given) and (value := given.get(f.name)) is not None
    ]
    return "\n".join(lines)


def confirm_case(turn: Turn) -> None:
    """Store the case (encrypted) and hand over to booking."""
    case = CaseFile(
        conversation_id=turn.conversation_id,
        payload_enc=turn.runtime.cipher.encrypt_json(answers(turn).for_case_file().to_dict()),
        consent_at=turn.now,
        created_at=turn.now,
    )
    turn.session.add(case)
    turn.session.flush()
    turn.data.case_id = case.id
    turn.data.end_intake()
    turn.say("intake.saved")
    if BOOKING_START in STATES:
        turn.go(BOOKING_START)
    else:
        turn.say("intake.team_will_contact")
        turn.go("menu")

"""A whole WhatsApp conversation, greeting to a confirmed booking, through the real Flask app
with every request signed as Twilio signs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.flow.core import STATES
from bot.identifiers import find_conversation
from bot.models import CaseFile, InboundMessage
from bot.repeats import REPEAT_WINDOW
from consultbot.runtime import Runtime, build_runtime
from consultbot.web import create_app
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    TwilioWebhooks,
    twiml_bodies,
)

ANNA = "+4915123456789"  # a German mobile: the time zone hint is Berlin
DESCRIPTION = "I was detained twice for anti-war posts and was called up for mobilisation."
_OPTION = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


class Phone:
    """Anna's WhatsApp: each message is a signed Twilio webhook; answers are read from TwiML."""

    def __init__(self, twilio: TwilioWebhooks, number: str,
                 clock: ManualClock | None = None) -> None:
        self.twilio = twilio
        #: Moved on between messages, as a person takes a moment to read and answer (the
        #: same number sent again within seconds is otherwise taken for a double send).
        self.clock = clock
        self.number = number
        self.last = ""
        self.last_fields: dict[str, str] = {}

    def send(self, text: str) -> str:
        if self.clock is not None:
            self.clock.advance(REPEAT_WINDOW + timedelta(seconds=1))
        self.last_fields = self.twilio.message_fields(self.number, text)
        return self._post()

    def retry_last(self) -> str:
        """Twilio sends the same message again (it did not hear our answer in time)."""
        return self._post()

    def _post(self) -> str:
        response = self.twilio.post("/webhooks/whatsapp", self.last_fields)
        assert response.status_code == 200, response.data
        self.last = "\n\n".join(twiml_bodies(response.data))
        return self.last

    def options(self) -> dict[str, int]:
        """The numbered options of the last answer: label -> number."""
        return {label.strip(): int(n) for n, label in _OPTION.findall(self.last)}

    def choose(self, label: str) -> str:
        """Pick an offered option by its label, answering with its number."""
        options = self.options()
        assert label in options, f"{label!r} not offered; offered: {list(options)}"
        return self.send(str(options[label]))


@pytest.fixture
def wa_runtime(database_url: str, clock: ManualClock) -> Iterator[Runtime]:
    settings = load_settings(
        database_url=database_url, data_encryption_key=new_key(),
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL)
    runtime = build_runtime(settings, clock=clock)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def phone(wa_runtime: Runtime) -> Phone:
    app = create_app(wa_runtime)
    return Phone(TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL), ANNA,
                 wa_runtime.clock)  # type: ignore[arg-type]


def case_files(runtime: Runtime) -> list[dict]:
    with runtime.db.transaction() as session:
        rows = session.exec(select(CaseFile)).all()
    return [runtime.cipher.decrypt_json(r.payload_enc) for r in rows if r.payload_enc]


def confirmed_bookings(runtime: Runtime) -> list:  # type: ignore[type-arg]
    from booking.models import Booking, BookingStatus

    with runtime.db.transaction() as session:
        return list(session.exec(
            select(Booking).where(Booking.status == BookingStatus.CONFIRMED)).all())


def book_the_first_free_time(phone: Phone, runtime: Runtime, confirmed: str) -> None:
    """From the saved case to a confirmed booking, in the time zone the number suggests."""
    assert "Berlin" in confirmed
    phone.choose("Yes, that is right")
    first_day = next(iter(phone.options()))
    assert "choose a time" in phone.choose(first_day)
    first_time = next(iter(phone.options()))
    check = phone.choose(first_time)
    assert "Please confirm" in check and "Berlin" in check
    booked = phone.choose("Confirm")
    assert "booked" in booked and first_time in booked
    [booking] = confirmed_bookings(runtime)
    assert (booking.channel, booking.applicant_timezone) == ("whatsapp", "Europe/Berlin")
    local = booking.start.astimezone(ZoneInfo("Europe/Berlin"))
    assert first_time.startswith(f"{local.hour % 12 or 12}:{local.minute:02d}")


def test_greeting_to_confirmed_booking_over_whatsapp(phone: Phone, wa_runtime: Runtime) -> None:
    greeting = phone.send("Hello")
    assert "welcome" in greeting.lower() and "stored encrypted" in greeting
    menu = phone.choose("Continue in English")
    assert "How can we help?" in menu
    assert "Who is writing to us?" in phone.choose("Book free consultation")
    phone.choose("I am the applicant")
    assert "full name" in phone.last
    phone.send("Anna Petrova")
    assert "among the countries our experts cover" in phone.send("Russia")
    phone.send("Germany")
    phone.send("Applied, waiting")  # a label typed instead of its number
    phone.choose("Yes")
    phone.send("Smith & Partners LLP")
    phone.send("15.06.2026")
    phone.send(DESCRIPTION)
    phone.send("anna@example.com")
    review = phone.choose("Yes, I agree")
    for expected in ("Anna Petrova", "Russia", "Germany", "Applied, waiting",
                     "Smith & Partners LLP", "anna@example.com", DESCRIPTION):
        assert expected in review
    confirmed = phone.choose("Confirm")
    assert "details are saved" in confirmed
    # Twilio did not hear the answer in time and sends "Confirm" again: same answer, one case.
    assert phone.retry_last() == confirmed
    [case] = case_files(wa_runtime)
    assert case["name"] == "Anna Petrova" and case["firm"] == "Smith & Partners LLP"
    assert case["description"] == DESCRIPTION and case["origin"] == "RU"

    if "booking.start" not in STATES:  # before the booking flow existed
        assert "Our team will contact you" in confirmed
    else:
        book_the_first_free_time(phone, wa_runtime, confirmed)

    with wa_runtime.db.transaction() as session:
        person = find_conversation(session, wa_runtime.cipher, "whatsapp", ANNA)
        assert person is not None
        messages = session.exec(select(InboundMessage)).all()
    assert person.channel == "whatsapp" and person.language == "en"
    assert len(messages) == len({m.platform_message_id for m in messages})


# --- understanding people in their own words (issue 11) ---------------------------------


def start_intake(phone: Phone) -> None:
    phone.send("Hello")
    phone.choose("Continue in English")
    phone.choose("Book free consultation")
    phone.choose("I am the applicant")


def intake_answers(runtime: Runtime) -> dict:
    with runtime.db.transaction() as session:
        person = find_conversation(session, runtime.cipher, "whatsapp", ANNA)
        assert person is not None
    return runtime.cipher.decrypt_json(person.data_enc).get("intake", {})


def handoff_count(runtime: Runtime) -> int:
    from bot.models import HandoffRequest

    with runtime.db.transaction() as session:
        return len(session.exec(select(HandoffRequest)).all())


def test_a_question_at_the_name_prompt_over_whatsapp(phone: Phone, wa_runtime: Runtime) -> None:
    start_intake(phone)
    answer = phone.send("how much does it cost?")
    assert "free" in answer.lower() and "I have not saved that as “Full name”" in answer
    assert answer.rstrip().endswith("What is your full name?")
    assert "name" not in intake_answers(wa_runtime)
    assert "Which country are you from?" in phone.send("Anna Petrova")


def test_a_person_in_words_at_the_menu_and_mid_intake_over_whatsapp(
        phone: Phone, wa_runtime: Runtime) -> None:
    phone.send("Hello")
    phone.choose("Continue in English")
    assert "A member of our team will answer you here" in phone.send("I want to talk to a person")
    assert handoff_count(wa_runtime) == 1
    # Mid-intake, in Russian in Latin letters: already waiting, and the answers are kept.
    phone.choose("Book free consultation")
    phone.choose("I am the applicant")
    phone.send("Anna Petrova")
    answer = phone.send("hochu pogovorit s chelovekom")
    assert "already with our team" in answer and "Your answers so far are kept" in answer
    assert handoff_count(wa_runtime) == 1 and intake_answers(wa_runtime)["name"] == "Anna Petrova"
    assert "Which country are you from?" in phone.send("book")


def test_language_change_mid_intake_over_whatsapp(phone: Phone, wa_runtime: Runtime) -> None:
    start_intake(phone)
    phone.send("Anna Petrova")
    answer = phone.send("en français s'il vous plaît")
    from bot.i18n import Translator

    assert "Français" in answer and Translator("fr")("intake.origin.prompt.applicant") in answer
    assert "Which country" not in answer
    in_arabic = phone.send("أريد التحدث بالعربي")
    assert "العربية" in in_arabic and in_arabic.rstrip().endswith("من أي بلد أنت؟")
    phone.send("روسيا")
    assert intake_answers(wa_runtime) == {"role": "applicant", "name": "Anna Petrova",
                                          "origin": "RU"}

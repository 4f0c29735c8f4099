"""People answer in their own words, over WhatsApp (signed Twilio webhooks into the real
Flask app) and Telegram (real PTB ``Update`` objects): "да" and "نعم" at consent, "3pm" and
"в 3 часа дня" at the time choice, "Munich" and "Мюнхен" at the time-zone question."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from booking.models import Booking, BookingStatus
from bot.i18n import Translator
from bot.identifiers import find_conversation
from bot.models import CaseFile
from consultbot.runtime import Runtime, build_runtime
from consultbot.web import create_app
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    TwilioWebhooks,
)
from tests.channels.telegram_harness import Harness, texts
from tests.channels.test_whatsapp_conversation import Phone

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ar, ru, en = Translator("ar"), Translator("ru"), Translator("en")
DESCRIPTION = {
    "ar": "اعتُقلت مرتين بسبب آرائي السياسية ولا أستطيع العودة إلى بلدي.",
    "ru": "Меня дважды задерживали за антивоенные посты, теперь призывают.",
    "en": "I was detained twice for my political views and cannot go back.",
}


def intake_answers(lang: str, consent: str) -> list[str]:
    """Every intake answer typed in words, as a person would, up to the confirmed review."""
    t = Translator(lang)
    return {
        "ar": ["1", "أمينة يوسف", "سوريا", "المملكة المتحدة", "الاستئناف", "لا", "لا",
               DESCRIPTION["ar"], "amina@example.org", consent, t("intake.review.confirm")],
        "ru": ["1", "Анна Петрова", "Россия", "Германия", "отказ", "нет", "нет",
               DESCRIPTION["ru"], "anna@example.org", consent, t("intake.review.confirm")],
        "en": ["1", "Amina Yusuf", "Syria", "United Kingdom", "appeal", "no", "no",
               DESCRIPTION["en"], "amina@example.org", consent, t("intake.review.confirm")],
    }[lang]


def case_of(runtime: Runtime) -> dict:
    with runtime.db.transaction() as session:
        [case] = session.exec(select(CaseFile)).all()
    return runtime.cipher.decrypt_json(case.payload_enc)


def booked(runtime: Runtime) -> list[Booking]:
    with runtime.db.transaction() as session:
        return list(session.exec(
            select(Booking).where(Booking.status == BookingStatus.CONFIRMED)).all())


def zone_of(runtime: Runtime, channel: str, user_id: str) -> str | None:
    with runtime.db.transaction() as session:
        person = find_conversation(session, runtime.cipher, channel, user_id)
        assert person is not None
        return person.timezone


# --- WhatsApp -------------------------------------------------------------------------


@pytest.fixture
def wa_runtime(database_url: str, clock: ManualClock) -> Iterator[Runtime]:
    runtime = build_runtime(load_settings(
        database_url=database_url, data_encryption_key=new_key(),
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL), clock=clock)
    yield runtime
    runtime.db.dispose()


def whatsapp(runtime: Runtime, number: str) -> Phone:
    return Phone(TwilioWebhooks(create_app(runtime).test_client(), AUTH_TOKEN,
                                PUBLIC_BASE_URL), number)


def test_arabic_over_whatsapp_naam_at_consent_and_3pm(wa_runtime: Runtime) -> None:
    phone = whatsapp(wa_runtime, "+447700900123")  # a UK mobile, a case in the UK: London
    phone.send("مرحبا")
    phone.choose("العربية")
    assert ar("intake.role.prompt") in phone.send("حجز")
    answers = intake_answers("ar", consent="نعم")
    for answer in answers[:-2]:
        phone.send(answer)
    assert ar("intake.consent.prompt") in phone.last
    review = phone.send("نعم")  # not "1", not the label: the word
    assert ar("intake.review.title") in review
    saved = phone.send(answers[-1])
    assert ar("intake.saved") in saved and "لندن" in saved
    case = case_of(wa_runtime)
    assert (case["stage"], case["represented"], case["deadline"]) == ("appealing", "no", "none")
    days = phone.send("نعم")  # "Is London your time zone?" — yes
    assert ar.raw("booking.day.prompt").split("(")[0] in days
    phone.send("١")  # the first day, in Arabic-Indic digits
    confirm = phone.send("3pm")
    assert "٣:٠٠" in confirm and "٣٠ دقيقة" in confirm and "١٠ دقائق" in confirm
    done = phone.send("نعم")  # confirm
    assert ar.raw("booking.confirmed").split(":")[0] in done
    [booking] = booked(wa_runtime)
    local = booking.start.astimezone(ZoneInfo("Europe/London"))
    assert (local.hour, local.minute, booking.applicant_timezone) == (15, 0, "Europe/London")


def test_russian_over_whatsapp_da_at_consent_and_munich(wa_runtime: Runtime) -> None:
    phone = whatsapp(wa_runtime, "+4915123456789")  # a German mobile
    phone.send("Привет")
    phone.choose("Русский")
    phone.send("запись")
    for answer in intake_answers("ru", consent="да")[:-2]:
        phone.send(answer)
    assert ru("intake.review.title") in phone.send("да")
    assert "Берлин" in phone.send("Подтвердить")
    assert ru("booking.tz.prompt") in phone.send("нет")  # not Berlin: the person is elsewhere
    days = phone.send("Мюнхен")
    assert ru("booking.tz.set", zone="Берлин (GMT+01:00)") in days
    assert zone_of(wa_runtime, "whatsapp", "+4915123456789") == "Europe/Berlin"
    phone.send("1")
    # 15:00 in Berlin is 14:00 in London, between two free times: the nearest are offered.
    nearest = phone.send("в 3 часа дня")
    assert ru("booking.time.not_free") in nearest and "14:40" in nearest and "15:20" in nearest
    assert "Пожалуйста, подтвердите" in phone.choose(next(label for label in phone.options()
                                                          if "15:20" in label))


# --- Telegram -------------------------------------------------------------------------


@pytest.fixture
def tg_runtime(database_url: str, clock: ManualClock) -> Iterator[Runtime]:
    runtime = build_runtime(load_settings(
        database_url=database_url, data_encryption_key=new_key(), telegram_bot_token=TOKEN),
        clock=clock)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def harness(tg_runtime: Runtime) -> Iterator[Harness]:
    h = Harness(tg_runtime)
    yield h
    h.close()


def test_russian_over_telegram_da_and_miunkhen(harness: Harness, tg_runtime: Runtime) -> None:
    user = harness.user(6001, language_code="ru")
    harness.feed(user.message("/start"))
    harness.feed(user.press(ru("welcome.keep_language")))
    harness.feed(user.message("запись"))
    for answer in intake_answers("ru", consent="да")[:-2]:
        harness.feed(user.message(answer))
    assert ru("intake.review.title") in texts(harness.feed(user.message("да")))
    saved = texts(harness.feed(user.message("Подтвердить")))
    assert "Берлин" in saved  # a case in Germany suggests Berlin
    harness.feed(user.press(ru("booking.tz.change")))
    days = texts(harness.feed(user.message("Мюнхен")))
    assert ru("booking.tz.set", zone="Берлин (GMT+01:00)") in days
    assert zone_of(tg_runtime, "telegram", "6001") == "Europe/Berlin"


def test_arabic_over_telegram_naam_munich_and_an_arabic_time(harness: Harness,
                                                             tg_runtime: Runtime) -> None:
    user = harness.user(6002, language_code="ar")
    harness.feed(user.message("/start"))
    harness.feed(user.press(ar("welcome.keep_language")))
    harness.feed(user.message("حجز"))
    for answer in intake_answers("ar", consent="نعم")[:-2]:
        harness.feed(user.message(answer))
    assert ar("intake.review.title") in texts(harness.feed(user.message("نعم")))
    harness.feed(user.message(ar("intake.review.confirm")))  # London is suggested
    assert ar("booking.tz.prompt") in texts(harness.feed(user.message("لا")))
    days = texts(harness.feed(user.message("Munich")))
    assert "برلين" in days and "GMT+٠١:٠٠" in days
    harness.feed(user.press(user.buttons()[0]))
    nearest = texts(harness.feed(user.message("٣ عصرًا")))  # 15:00 Berlin is not free
    assert ar("booking.time.not_free") in nearest and "١٥:٢٠" not in nearest
    assert "٣:٢٠" in nearest or "٣:٢٠ م" in " ".join(user.buttons())


def test_english_over_telegram_yeah_manchester_and_3pm(harness: Harness,
                                                       tg_runtime: Runtime) -> None:
    user = harness.user(6003, language_code="en")
    harness.feed(user.message("/start"))
    harness.feed(user.press(en("welcome.keep_language")))
    harness.feed(user.message("book"))
    for answer in intake_answers("en", consent="yeah")[:-2]:
        harness.feed(user.message(answer))
    assert en("intake.review.title") in texts(harness.feed(user.message("yeah")))
    harness.feed(user.message("Confirm"))
    harness.feed(user.message("no"))  # not London after all: asked where
    days = texts(harness.feed(user.message("Manchester")))
    assert en("booking.tz.set", zone="London (GMT+00:00)") in days
    harness.feed(user.press(user.buttons()[0]))
    confirm = texts(harness.feed(user.message("3pm")))
    assert "3:00\u202fPM" in confirm and "30 minutes" in confirm
    assert en("booking.confirmed").split(":")[0] in texts(harness.feed(user.message("yes")))
    [booking] = booked(tg_runtime)
    assert booking.start.astimezone(ZoneInfo("Europe/London")).hour == 15

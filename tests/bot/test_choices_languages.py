"""Typed choices, times, cities, plural forms and digits in the bot's seven languages."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from bot.faq.knowledge import KnowledgeBase
from bot.flow.core import distinct_labels, match_choice
from bot.i18n import Translator, catalog, languages
from bot.messages import Choice
from bot.validation.choices import answer_words, meaning
from bot.validation.countries import fold
from bot.validation.gazetteer import city_zones
from bot.validation.times import parse_times
from bot.validation.timezones import resolve_timezone

CONSENT = {lang: [("yes", Translator(lang)("intake.consent.yes")),
                  ("no", Translator(lang)("intake.consent.no"))] for lang in languages()}
YES = {"en": ["yes", "Yeah", "ok", "sure!"], "ru": ["да", "Да!", "ага", "угу", "конечно",
       "согласен", "согласна"], "uk": ["так", "звісно", "згоден", "ага"],
       "ar": ["نعم", "أيوه", "ايوا", "موافق", "naam"], "fa": ["بله", "آره", "باشه", "موافقم"],
       "es": ["sí", "si", "vale", "claro", "de acuerdo"],
       "fr": ["oui", "ouais", "d'accord", "bien sûr"]}
NO = {"en": ["no", "nope", "no thanks"], "ru": ["нет", "неа", "нет, спасибо", "не согласен"],
      "uk": ["ні", "не згодна"], "ar": ["لا", "لأ", "مش موافق"], "fa": ["نه", "خیر", "نخیر"],
      "es": ["no", "no gracias"], "fr": ["non", "nan", "pas d'accord"]}


@pytest.mark.parametrize("lang", sorted(YES))
def test_yes_and_no_words_at_consent(lang: str) -> None:
    for word in YES[lang]:
        assert match_choice(word, CONSENT[lang]) == "yes", word
    for word in NO[lang]:
        assert match_choice(word, CONSENT[lang]) == "no", word


def test_no_is_never_yes_and_words_need_an_offered_meaning() -> None:
    words = answer_words()
    assert not words["yes"] & words["no"]  # no word means yes in one catalog and no in another
    for text in ("нет", "не согласен", "I do not agree", "لا أوافق", "je ne suis pas d'accord"):
        assert match_choice(text, CONSENT["en"]) != "yes", text
    assert meaning("да нет наверное") != "yes"
    # A day list has no yes/no option: "да" picks nothing there.
    assert match_choice("да", [("day:2026-03-03", "вт 3 мар."), ("tz", "Сменить часовой пояс")]) \
        is None


def test_yes_and_no_ids_of_other_confirmations() -> None:
    confirm = [("confirm", "Подтвердить"), ("other", "Выбрать другое время"), ("stop", "Не сейчас")]
    assert match_choice("да", confirm) == "confirm" and match_choice("нет", confirm) == "stop"
    forget = [("erase", "بله، پاک شود"), ("keep", "خیر، پاک نشود")]
    assert match_choice("آره", forget) == "erase" and match_choice("نه", forget) == "keep"
    zone = [("yes", "Sí, es correcto"), ("change", "Cambiar zona horaria")]
    assert match_choice("vale", zone) == "yes" and match_choice("no", zone) == "change"


@pytest.mark.parametrize(("lang", "typed", "expected"), [
    ("ru", "отказ", "appealing"), ("ru", "апелляция", "appealing"),
    ("ru", "нам отказали", "appealing"), ("ru", "ждём", "waiting"),
    ("en", "appeal", "appealing"), ("en", "refused", "appealing"), ("en", "waiting", "waiting"),
    ("uk", "апеляція", "appealing"), ("es", "recurso", "appealing"),
    ("fr", "recours", "appealing"), ("ar", "الاستئناف", "appealing"),
    ("en", "applied", None),  # "Not yet applied" and "Applied, waiting": ask again
    ("en", "pizza", None),
])
def test_partial_labels(lang: str, typed: str, expected: str | None) -> None:
    t = Translator(lang)
    offered = [(s, t(f"intake.stage.{s}")) for s in ("not_applied", "waiting", "appealing",
                                                      "other")]
    assert match_choice(typed, offered) == expected


def test_a_question_is_not_taken_for_a_choice() -> None:
    t = Translator("en")
    menu = [(m, t(f"menu.{m}")) for m in ("faq", "book", "mybooking", "handoff")]
    assert match_choice("free consultation", menu) == "book"
    assert match_choice("is the consultation free?", menu) is None
    assert match_choice("هل الاستشارة مجانية؟", [("book", Translator("ar")("menu.book"))]) is None
    assert match_choice("I would like to book a free consultation for my brother please",
                        menu) is None  # a sentence: the state reads it


def test_numbers_in_every_script() -> None:
    offered = CONSENT["ar"]
    assert [match_choice(n, offered) for n in ("1", "٢", "۱", "2️⃣", "3")] == \
        ["yes", "no", "yes", "no", None]


@pytest.mark.parametrize(("typed", "expected"), [
    ("3pm", [(15, 0)]), ("3 p.m.", [(15, 0)]), ("15h", [(15, 0)]), ("15:00", [(15, 0)]),
    ("15h30", [(15, 30)]), ("10:30 am", [(10, 30)]), ("12am", [(0, 0)]), ("12 pm", [(12, 0)]),
    ("в 12", [(12, 0)]), ("в 3 часа дня", [(15, 0)]), ("в 10 утра", [(10, 0)]),
    ("о 15:00", [(15, 0)]), ("о 3 дня", [(15, 0)]),
    ("٣ عصرًا", [(15, 0)]), ("الساعة ١٠ صباحا", [(10, 0)]),
    ("ساعت ۳ بعدازظهر", [(15, 0)]), ("ساعت ۱۰:۳۰ صبح", [(10, 30)]),
    ("a las 3", [(3, 0), (15, 0)]), ("a las 3 de la tarde", [(15, 0)]),
    ("à 15h", [(15, 0)]), ("à 3 heures de l'après-midi", [(15, 0)]),
    ("at 3", [(3, 0), (15, 0)]),
    ("2 or 3", []), ("I have 2 kids", []), ("25:00", []), ("10:75", []), ("13pm", []),
    ("", []), ("tomorrow", []),
])
def test_times_typed_in_each_language(typed: str, expected: list[tuple[int, int]]) -> None:
    assert parse_times(typed) == expected


@pytest.mark.parametrize(("typed", "lang", "zone"), [
    ("Cologne", "en", "Europe/Berlin"), ("Cologne", "fr", "Europe/Berlin"),
    ("Köln", "en", "Europe/Berlin"), ("Mashhad", "en", "Asia/Tehran"),
    ("مشهد", "fa", "Asia/Tehran"), ("در مشهد", "fa", "Asia/Tehran"),
    ("Aleppo", "en", "Asia/Damascus"), ("حلب", "ar", "Asia/Damascus"),
    ("أعيش في حلب", "ar", "Asia/Damascus"), ("Manchester", "en", "Europe/London"),
    ("Munich", "en", "Europe/Berlin"), ("Мюнхен", "ru", "Europe/Berlin"),
    ("я живу в Мюнхене", "ru", "Europe/Berlin"), ("Je vis à Lyon", "fr", "Europe/Paris"),
    ("vivo en Málaga", "es", "Europe/Madrid"), ("Дубай", "ru", "Asia/Dubai"),
    ("Armenia", "en", "Asia/Yerevan"),  # the country, not the Colombian city
])
def test_gazetteer(typed: str, lang: str, zone: str) -> None:
    assert resolve_timezone(typed, lang) == [zone]


def test_comparable_namesakes_in_other_zones_are_both_offered() -> None:
    assert city_zones(fold("Valencia")) == ["America/Caracas", "Europe/Madrid"]
    assert city_zones(fold("Birmingham")) == ["Europe/London"]  # Alabama's is far smaller


@pytest.mark.parametrize(("lang", "counts"), [
    ("ru", {1: "1 минута", 2: "2 минуты", 5: "5 минут", 11: "11 минут", 21: "21 минута",
            22: "22 минуты", 30: "30 минут"}),
    ("uk", {1: "1 хвилина", 3: "3 хвилини", 10: "10 хвилин", 21: "21 хвилина"}),
    ("ar", {0: "٠ دقيقة", 1: "دقيقة واحدة", 2: "دقيقتان", 3: "٣ دقائق", 11: "١١ دقيقة",
            100: "١٠٠ دقيقة"}),
    ("en", {1: "1 minute", 30: "30 minutes"}),
])
def test_plural_forms(lang: str, counts: dict[int, str]) -> None:
    t = Translator(lang)
    assert {n: t.count("count.minutes", n) for n in counts} == counts


def test_plural_entries_have_every_form_the_language_needs() -> None:
    from bot.i18n import plural_rule

    for lang in languages():
        rule = plural_rule(lang)
        forms = {rule(n) for n in (*range(0, 200), 1000000)}
        for key, value in catalog(lang).items():
            if isinstance(value, dict):
                assert forms <= set(value), (lang, key, forms - set(value))


def test_arabic_and_persian_digits_with_and_without_the_latin_setting() -> None:
    values = {"minutes": "30", "zone": "London (GMT+00:00)",
              "when": "Tuesday 3, 15:00", "hold": "10"}
    arabic = Translator("ar")("booking.confirm.prompt", **values)
    assert "٣٠" in arabic and "١٥:٠٠" in arabic and "GMT+٠٠:٠٠" in arabic and "3" not in arabic
    persian = Translator("fa")("booking.confirm.prompt", **values)
    assert "۳۰" in persian and "۱۵:۰۰" in persian and not re.search("[0-9٠-٩]", persian)
    latin = Translator("ar", digits="latin")("booking.confirm.prompt", **values)
    assert "30" in latin and "15:00" in latin and not re.search("[٠-٩]", latin)
    # Codes stay as they are: a link and a passcode are copied, not read.
    link = Translator("ar")("booking.link.join", url="https://zoom.test/j/123")
    assert link.endswith("https://zoom.test/j/123")
    assert Translator("ru")("booking.link.password", password="٣4") == "Код доступа: ٣4"
    # Typed answers in any digits keep working.
    assert parse_times("١٥:٠٠") == [(15, 0)] == parse_times("۱۵:۰۰")


def test_the_setting_is_validated() -> None:
    from plumbing.settings import SettingsError, load_settings

    assert load_settings(message_digits="latin").message_digits == "latin"
    with pytest.raises(SettingsError, match=r"(?i)message_digits"):
        load_settings(message_digits="roman")


def test_two_options_with_one_label_are_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    choices = [Choice("topic:consultation", "Бесплатная консультация"),
               Choice("book", "бесплатная  консультация"), Choice("menu", "Главное меню")]
    with caplog.at_level(logging.WARNING):
        kept = distinct_labels(choices, "faq.answer")
    assert [c.id for c in kept] == ["topic:consultation", "menu"]
    assert "topic:consultation" in caplog.text and "Бесплатная" not in caplog.text


#: Options asked together, by catalog key (their labels must differ in every language).
OPTION_GROUPS = [
    [f"menu.{m}" for m in ("faq", "book", "mybooking", "documents", "handoff", "language",
                           "forget")],
    ["menu.book", "menu.handoff", "common.menu"],
    [f"intake.role.{r}" for r in ("applicant", "lawyer")],
    [f"intake.stage.{s}" for s in ("not_applied", "waiting", "appealing", "other")],
    ["intake.consent.yes", "intake.consent.no"],
    ["intake.review.confirm", "intake.review.edit", "common.menu"],
    ["forget.yes", "forget.no"], ["booking.tz.yes", "booking.tz.change"],
    ["booking.day.later", "booking.day.earlier", "booking.tz.change"],
    ["booking.time.later", "booking.time.earlier", "booking.time.other_day"],
    ["booking.confirm.yes", "booking.confirm.other", "booking.confirm.stop"],
    ["booking.mine.move", "booking.mine.cancel", "booking.mine.calendar", "common.menu"],
    ["booking.cancel.yes", "booking.cancel.no"],
]


@pytest.mark.parametrize("lang", languages())
def test_labels_asked_together_differ(lang: str) -> None:
    t = Translator(lang)
    for group in OPTION_GROUPS:
        labels = [" ".join(t(key).casefold().split()) for key in group]
        assert len(set(labels)) == len(labels), (lang, group)
    base = KnowledgeBase.load()
    titles = {" ".join(base.topic(tid, lang).title.casefold().split()) for tid in base.topic_ids()}
    fixed = {" ".join(t(k).casefold().split()) for k in ("menu.book", "menu.handoff",
                                                         "common.menu")}
    assert not titles & fixed, (lang, titles & fixed)  # a FAQ answer offers both


@pytest.mark.parametrize("lang", languages())
def test_short_questions_fit_whatsapp_buttons(lang: str) -> None:
    """Two or three options go out as WhatsApp quick replies, whose titles are short."""
    from channels.whatsapp.content import BUTTON_TITLE_MAX

    t = Translator(lang)
    for group in OPTION_GROUPS:
        if len(group) <= 3 and "menu.book" not in group:  # FAQ answers add topics: a list
            for key in group:
                assert len(t(key)) <= BUTTON_TITLE_MAX, (lang, key, t(key))


def test_french_typography() -> None:
    for key, text in catalog("fr").items():
        if not isinstance(text, str):
            continue
        assert not re.search(r" [:;?!»]|« ", text), key  # a no-break space, not a space
        assert not re.search(r"[^\s\u00a0\u202f\d/:]([;?!])", text), key


@pytest.mark.parametrize(("digits", "expected", "absent"), [
    ("native", "١٢:٠٠", "[0-9]"), ("latin", "12:00", "[٠-٩]")])
def test_reminders_follow_the_digits_setting(make_runtime: Any, digits: str, expected: str,
                                             absent: str) -> None:
    from bot.notices.reminders import schedule_due_reminders
    from plumbing.clock import ManualClock
    from tests.bot.test_reminders import BOOKED_AT, OPEN_HOURS, SUNDAY_1000_BST, at, book, texts

    runtime = make_runtime(clock_=ManualClock(BOOKED_AT), **OPEN_HOURS, message_digits=digits)
    book(runtime, SUNDAY_1000_BST, language="ar", zone="Europe/Moscow")
    at(runtime, SUNDAY_1000_BST - timedelta(hours=24))
    schedule_due_reminders(runtime)
    [text] = texts(runtime)
    reminder, link = text.split("\n")
    assert expected in reminder and not re.search(absent, reminder), reminder
    assert link.endswith("https://zoom.example/j/123")  # the link keeps its digits

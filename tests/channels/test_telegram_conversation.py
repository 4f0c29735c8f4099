"""Real ``telegram.Update`` objects through the PTB application, with the Bot API faked
in-process: a whole intake, buttons, stale presses, redeliveries and long messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlmodel import select

from bot.flow.core import STATES
from bot.i18n import Translator, language_name, languages
from bot.identifiers import address_of, user_key
from bot.models import CaseFile, Conversation, InboundMessage
from channels.telegram.commands import register_commands
from consultbot.runtime import Runtime
from tests.channels.fake_telegram import TOKEN, TelegramUser
from tests.channels.telegram_harness import Harness, texts

en = Translator("en")
#: python-telegram-bot itself reads RetryAfter.retry_after in its constructor.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


#: What this module turns on, for every runtime it makes.
SETTINGS: dict[str, object] = {"telegram_bot_token": TOKEN}


@pytest.fixture
def make_runtime(make_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """The shared factory with :data:`SETTINGS`."""
    return lambda **overrides: make_runtime(**{**SETTINGS, **overrides})


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Iterator[Runtime]:
    rt = make_runtime()
    yield rt
    rt.db.dispose()


@pytest.fixture
def harness(runtime: Runtime) -> Iterator[Harness]:
    h = Harness(runtime)
    yield h
    h.close()


def start_in_english(harness: Harness, user: TelegramUser) -> None:
    harness.feed(user.message("/start"))
    harness.feed(user.press(en("welcome.keep_language")))


def stored(runtime: Runtime, model: type, **where: object) -> list:
    with runtime.db.transaction() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.exec(query).all())


def test_a_whole_intake_by_buttons_and_typing(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5001, first_name="Amina", language_code="en")
    welcome = harness.feed(user.message("/start"))
    assert en("welcome.greeting", company=runtime.settings.company_name) in texts(welcome)
    others = [language_name(code) for code in languages() if code != "en"]
    assert user.buttons() == [en("welcome.keep_language"), *others]

    menu = harness.feed(user.press(en("welcome.keep_language")))
    assert en("menu.prompt") in texts(menu)
    steps = [
        ("press", en("menu.book"), en("intake.role.prompt")),
        ("press", en("intake.role.applicant"), en("intake.name.prompt.applicant")),
        ("type", "Amina Yusuf", en("intake.origin.prompt.applicant")),
        ("type", "Syria", en("intake.asylum_country.prompt.applicant")),
        ("type", "United Kingdom", en("intake.stage.prompt")),
        ("press", en("intake.stage.appealing"), en("intake.represented.prompt")),
        ("type", en("intake.represented.no"), en("intake.deadline.prompt")),  # typed, not pressed
        ("press", en("intake.deadline.none"), en("intake.description.prompt")),
        ("type", "I was detained for my political views and cannot go back.",
         en("intake.email.prompt")),
        ("type", "amina@example.org", en("intake.consent.prompt")),
        ("press", en("intake.consent.yes"), en("intake.review.title")),
        ("press", en("intake.review.confirm"), en("intake.saved")),
    ]
    for kind, value, expected in steps:
        update = user.press(value) if kind == "press" else user.message(value)
        answer = texts(harness.feed(update))
        assert expected in answer, f"after {value!r}: {answer}"

    cases = stored(runtime, CaseFile)
    assert len(cases) == 1
    assert runtime.cipher.decrypt_json(cases[0].payload_enc)["name"] == "Amina Yusuf"
    if "booking.start" in STATES:
        book_the_first_free_time(harness, user, runtime)
    else:  # until the booking flow is part of the core
        assert en("intake.team_will_contact") in texts(harness.api.sent(user.chat_id)[-1:])
    # Every press was answered (the spinner stops) and every pressed keyboard is gone.
    answered = [c.params["callback_query_id"] for c in harness.api.calls_to("answerCallbackQuery")]
    assert answered == harness.pressed and len(answered) >= 7
    # Only the newest question's buttons can still be pressed, also after a typed answer.
    sent = harness.api.sent(user.chat_id)
    assert [m for m in sent if "reply_markup" in m] == [sent[-1]]


def book_the_first_free_time(harness: Harness, user: TelegramUser, runtime: Runtime) -> None:
    """From the confirmed case to a confirmed booking, by buttons, with its calendar file."""
    from booking.models import Booking

    assert en("booking.tz.yes") in user.buttons()
    days = texts(harness.feed(user.press(en("booking.tz.yes"))))
    assert prefix("booking.day.prompt") in days
    times = texts(harness.feed(user.press(user.buttons()[0])))  # the first day offered
    assert prefix("booking.time.prompt") in times
    confirm = texts(harness.feed(user.press(user.buttons()[0])))  # its first time
    assert prefix("booking.confirm.prompt") in confirm
    done = harness.feed(user.press(en("booking.confirm.yes")))
    assert prefix("booking.confirmed") in texts(done)
    [booking] = stored(runtime, Booking)
    assert booking.channel == "telegram"
    with runtime.db.transaction() as session:
        person = session.get(Conversation, booking.conversation_id)
    assert person is not None and address_of(runtime.cipher, person) == str(user.chat_id)
    documents = harness.api.calls_to("sendDocument")
    if documents:  # the calendar file comes now unless a Zoom link is still being made
        [(filename, content)] = documents[-1].files.values()
        assert filename.endswith(".ics") and content.startswith(b"BEGIN:VCALENDAR")
    else:
        assert en("booking.link_follows") in texts(done)


def prefix(key: str) -> str:
    """The fixed start of a message with placeholders."""
    return en.raw(key).split("{")[0]


def test_the_language_hint_chooses_russian(harness: Harness) -> None:
    user = harness.user(5002, language_code="ru")
    welcome = texts(harness.feed(user.message("/start")))
    assert Translator("ru")("welcome.privacy") in welcome
    assert user.buttons()[0] == Translator("ru")("welcome.keep_language")


def test_a_stale_button_gets_a_polite_answer_and_the_current_question(
        harness: Harness) -> None:
    user = harness.user(5003)
    start_in_english(harness, user)
    menu_message = user.keyboards()[-1]
    book_data = next(b["callback_data"] for row in menu_message["reply_markup"]["inline_keyboard"]
                     for b in row if b["text"] == en("menu.book"))
    harness.feed(user.press(en("menu.language")))  # now the language question is open
    assert "reply_markup" not in menu_message
    # The old menu's "Book" button, pressed anyway (a client that had not refreshed yet).
    answer = harness.feed(user.press_data(book_data, menu_message))
    assert en("common.stale_choice") in texts(answer)
    assert en("language.prompt") in texts(answer)
    assert answer[-1]["reply_markup"]  # the current question, with fresh buttons
    assert len(harness.api.calls_to("answerCallbackQuery")) == 3


def test_a_double_tap_is_taken_once(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5004)
    harness.feed(user.message("/start"))
    welcome = user.keyboards()[-1]
    first = user.press(en("welcome.keep_language"), welcome)
    second = user.press(en("welcome.keep_language"), welcome)  # sent before the first's edit
    assert en("menu.prompt") in texts(harness.feed(first))
    assert en("common.stale_choice") in texts(harness.feed(second))
    conversation = stored(runtime, Conversation,
                          user_key=user_key(runtime.cipher, "telegram", "5004"))[0]
    assert conversation.state == "menu"


def test_typed_numbers_and_labels_work_where_buttons_do(harness: Harness) -> None:
    user = harness.user(5005)
    start_in_english(harness, user)
    assert en("language.prompt") in texts(harness.feed(user.message("6")))
    assert en("language.changed", language="English") in texts(
        harness.feed(user.message("english")))


def test_a_redelivered_update_is_not_answered_twice(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5006)
    start_in_english(harness, user)
    update = user.message(en("menu.handoff"))
    first = harness.feed(update)
    assert en("handoff.recorded") in texts(first)
    assert harness.feed(update) == []  # the same update_id again: nothing sent, nothing changed
    assert len(stored(runtime, InboundMessage,
                      platform_message_id=f"u{update['update_id']}")) == 1


def test_a_redelivered_press_is_not_answered_twice(harness: Harness) -> None:
    user = harness.user(5007)
    harness.feed(user.message("/start"))
    press = user.press(en("welcome.keep_language"))
    assert harness.feed(press)
    assert harness.feed(press) == []
    # The repeated answerCallbackQuery was refused by Telegram, which did not break anything.
    assert len(harness.api.calls_to("answerCallbackQuery")) == 2


@pytest.mark.usefixtures("lexical_faq")  # the cut is the subject, not the model
def test_a_message_of_5000_characters(harness: Harness) -> None:
    user = harness.user(5008)
    start_in_english(harness, user)
    long_text = ("My story. " * 500)[:4999] + "!"
    assert len(long_text) == 5000
    at_menu = harness.feed(user.message(long_text))
    assert at_menu and all(len(m["text"]) <= 4096 for m in at_menu)
    for label in (en("menu.book"), en("intake.role.applicant"), "Amina Yusuf", "Syria",
                  "United Kingdom", en("intake.stage.waiting"), en("intake.represented.no"),
                  en("intake.deadline.none")):
        harness.feed(user.message(label))  # typing the labels works as well as pressing
    too_long = texts(harness.feed(user.message(long_text)))
    assert en("common.text_cut") in too_long  # cut at Telegram's own limit, and said so
    assert en("intake.too_long", length=en.count("count.characters", 4096),
              limit=en.count("count.characters", 1000)) in too_long
    assert en("intake.description.prompt") in too_long


def test_attachments_we_do_not_keep_get_a_text_answer(harness: Harness) -> None:
    """A location cannot be kept; a photo is noted for the case file (tests/casefiles)."""
    user = harness.user(5009)
    start_in_english(harness, user)
    location = user.message("", location={"latitude": 51.5, "longitude": -0.12})
    del location["message"]["text"]
    assert en("common.attachment") in texts(harness.feed(location))
    photo = user.message("", photo=[{"file_id": "p1", "file_unique_id": "p1u", "width": 90,
                                    "height": 90}])
    del photo["message"]["text"]
    assert texts(harness.feed(photo)) == ""  # the download job acknowledges it


def test_commands_with_a_payload_or_the_bot_name(harness: Harness) -> None:
    user = harness.user(5010)
    start_in_english(harness, user)
    assert en("help.text") in texts(harness.feed(user.message("/help@consult_test_bot")))
    assert en("menu.prompt") in texts(harness.feed(user.message("/start from-website")))


def test_documents_go_out_with_send_document(make_runtime: Callable[..., Runtime],
                                             tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "sample.pdf"
    report.write_bytes(b"%PDF-1.4 sample report")
    runtime = make_runtime(sample_report=str(report),
                           expert_cv="https://example.org/files/expert-cv.pdf")
    harness = Harness(runtime)
    try:
        user = harness.user(5011)
        start_in_english(harness, user)
        harness.feed(user.press(en("menu.documents")))
        calls = harness.api.calls_to("sendDocument")
        assert len(calls) == 2
        assert list(calls[0].files.values()) == [("sample.pdf", b"%PDF-1.4 sample report")]
        assert calls[0].params["caption"] == en("documents.sample_report")
        assert calls[1].params["document"] == "https://example.org/files/expert-cv.pdf"
    finally:
        harness.close()
        runtime.db.dispose()


def test_a_person_who_blocked_the_bot_is_marked(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5012)
    start_in_english(harness, user)
    harness.api.blocked_chats.add(5012)
    assert harness.feed(user.message("/help")) == []
    assert stored(runtime, Conversation,
                  user_key=user_key(runtime.cipher, "telegram", "5012"))[0].unreachable


def test_retry_after_on_a_reply_waits_and_sends_again(harness: Harness) -> None:
    user = harness.user(5013)
    harness.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    sent = harness.feed(user.message("/start"))
    assert harness.waits == [3.0]
    assert len(sent) == 1 and sent[0]["reply_markup"]


def test_a_long_retry_after_drops_the_reply_without_waiting(harness: Harness) -> None:
    user = harness.user(5014)
    harness.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 90",
                          retry_after=90)
    assert harness.feed(user.message("/start")) == []
    assert harness.waits == []  # longer than the reply's longest wait: not waited for


def test_a_second_retry_after_drops_the_reply(harness: Harness) -> None:
    user = harness.user(5015)
    for _ in range(2):
        harness.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 2",
                              retry_after=2)
    assert harness.feed(user.message("/start")) == []
    assert harness.waits == [2.0]


def test_a_refused_reply_does_not_mark_the_person(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5016)
    start_in_english(harness, user)
    harness.api.fail_next("sendMessage", 400, "Bad Request: message text is empty")
    assert harness.feed(user.message("/help")) == []
    assert not stored(runtime, Conversation,
                  user_key=user_key(runtime.cipher, "telegram", "5016"))[0].unreachable


def test_commands_are_registered_in_english_and_russian(harness: Harness) -> None:
    harness.loop.run_until_complete(register_commands(harness.app.bot))
    names = [c["command"] for c in harness.api.commands[""]]
    assert names == ["start", "menu", "book", "mybooking", "human", "language", "help"]
    assert [c["command"] for c in harness.api.commands["ru"]] == names
    assert harness.api.commands["ru"][1]["description"] == "Главное меню"


def test_group_chats_are_left_alone(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5014)
    update = user.message("/start")
    update["message"]["chat"] = {"id": -100500, "type": "supergroup", "title": "Staff"}
    assert harness.feed(update) == []
    press = user.press_data("1:menu", {"message_id": 77, "date": 0, "chat": {
        "id": -100500, "type": "supergroup", "title": "Staff"}})
    assert harness.feed(press) == []
    assert harness.api.calls_to("answerCallbackQuery") == []  # not ours to answer
    assert stored(runtime, InboundMessage) == []


# --- understanding people in their own words (issue 11) ---------------------------------

ru, ar = Translator("ru"), Translator("ar")


def start_in(harness: Harness, user: TelegramUser, lang: str) -> None:
    """First contact with a Telegram whose language is ``lang``, kept."""
    harness.feed(user.message("/start"))
    harness.feed(user.press(Translator(lang)("welcome.keep_language")))


def test_a_question_at_the_name_prompt_in_russian(harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5101, language_code="ru")
    start_in(harness, user, "ru")
    harness.feed(user.press(ru("menu.book")))
    harness.feed(user.press(ru("intake.role.applicant")))
    answer = texts(harness.feed(user.message("сколько стоит консультация?")))
    assert ru("understanding.not_an_answer", label=ru("intake.name.label")) in answer
    assert answer.rstrip().endswith(ru("intake.name.prompt.applicant"))
    data = runtime.cipher.decrypt_json(stored(runtime, Conversation,
                  user_key=user_key(runtime.cipher, "telegram", "5101"))[0].data_enc)
    assert "name" not in data["intake"]
    assert ru("intake.origin.prompt.applicant") in texts(harness.feed(user.message("Анна Петрова")))


def test_a_person_asked_for_in_arabic_at_the_menu_and_mid_intake(
        harness: Harness, runtime: Runtime) -> None:
    from bot.models import HandoffRequest

    user = harness.user(5102, language_code="ar")
    start_in(harness, user, "ar")
    at_menu = texts(harness.feed(user.message("أريد التحدث مع شخص")))
    assert ar("handoff.recorded") in at_menu
    [request] = stored(runtime, HandoffRequest)
    # Staff answered; the person books, and mid-intake asks for a person again, in Arabizi.
    with runtime.db.transaction() as session:
        request = session.get(HandoffRequest, request.id)
        request.resolved_at = runtime.clock()
        session.add(request)
    harness.feed(user.press(ar("menu.book")))
    harness.feed(user.press(ar("intake.role.applicant")))
    harness.feed(user.message("أمينة يوسف"))
    mid_intake = texts(harness.feed(user.message("bde a7ki m3 mowazaf")))
    assert ar("handoff.recorded") in mid_intake and ar("understanding.answers_kept") in mid_intake
    assert len(stored(runtime, HandoffRequest)) == 2
    data = runtime.cipher.decrypt_json(stored(runtime, Conversation,
                  user_key=user_key(runtime.cipher, "telegram", "5102"))[0].data_enc)
    assert data["intake"]["name"] == "أمينة يوسف"


def test_changing_language_mid_intake_asks_the_same_question_in_the_new_one(
        harness: Harness, runtime: Runtime) -> None:
    user = harness.user(5103, language_code="en")
    start_in_english(harness, user)
    harness.feed(user.press(en("menu.book")))
    harness.feed(user.press(en("intake.role.applicant")))
    harness.feed(user.message("Amina Yusuf"))
    answer = texts(harness.feed(user.message("in Russian please")))
    assert ru("language.changed", language=language_name("ru")) in answer
    assert ru("intake.origin.prompt.applicant") in answer
    assert stored(runtime, Conversation,
                  user_key=user_key(runtime.cipher, "telegram", "5103"))[0].state == "intake.origin"

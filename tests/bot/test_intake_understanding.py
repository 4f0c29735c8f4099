"""Replies that are not answers, requests in words in any state, and the FAQ matched
outside the person's transaction: whole conversations through the terminal adapter."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from sqlmodel import select

from bot.engine import Bot
from bot.faq import KnowledgeBase
from bot.models import HandoffRequest, InboundMessage
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime
from plumbing.db import Database
from tests.bot.test_conversation import DESCRIPTION, start_intake, state_of


@pytest.fixture
def chat(runtime: Runtime) -> ConsoleChannel:
    return ConsoleChannel(Bot(runtime), "anna")


def intake(runtime: Runtime) -> dict[str, Any]:
    data = runtime.cipher.decrypt_json(state_of(runtime).data_enc)
    return data.get("intake", {})


def handoffs(runtime: Runtime) -> list[HandoffRequest]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(HandoffRequest)).all())


def test_a_question_at_the_name_prompt_is_answered_and_the_name_asked_again(
        chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    answer = chat.send("how much does it cost?")
    assert "free" in answer.lower()  # the cost topic's answer
    assert "I have not saved that as “Full name”" in answer
    assert answer.rstrip().endswith("What is your full name?")
    assert "name" not in intake(runtime)
    assert "Which country are you from?" in chat.send("Anna Petrova")
    assert intake(runtime)["name"] == "Anna Petrova"


def test_a_question_without_an_answer_offers_a_person_and_asks_again(
        chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    answer = chat.send("Can you help me?")
    assert "I do not have a sure answer" in answer and "human" in answer
    assert answer.rstrip().endswith("What is your full name?")
    assert "name" not in intake(runtime)


def test_a_description_may_hold_a_question_inside_its_story(
        chat: ConsoleChannel, runtime: Runtime) -> None:
    story = ("Why did they arrest me? I was detained twice for anti-war posts, a person from "
             "the police told me to cancel my trip, and I was called up for mobilisation.")
    reach_description(chat)
    assert "What email address" in chat.send(story)
    assert intake(runtime)["description"] == story


def test_a_short_question_at_the_description_is_not_the_description(
        chat: ConsoleChannel, runtime: Runtime) -> None:
    reach_description(chat)
    answer = chat.send("how much does the report cost?")
    assert "Please describe the case" in answer and "description" not in intake(runtime)
    assert "What email address" in chat.send(DESCRIPTION)


def test_an_email_with_a_question_is_asked_again(chat: ConsoleChannel,
                                                 runtime: Runtime) -> None:
    reach_description(chat)
    chat.send(DESCRIPTION)
    answer = chat.send("why do you need my email?")
    assert "What email address" in answer and "email" not in intake(runtime)
    assert "May we keep these details" in chat.send("anna@example.com")


def test_a_person_asked_for_mid_intake_keeps_the_answers(chat: ConsoleChannel,
                                                         runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    chat.send("Anna Petrova")
    answer = chat.send("I want to talk to a person")
    assert "A member of our team will answer you here" in answer
    assert "Your answers so far are kept" in answer
    assert len(handoffs(runtime)) == 1 and intake(runtime)["name"] == "Anna Petrova"
    # Coming back to the booking resumes at the next question.
    assert "Which country are you from?" in chat.send("book")


def test_greetings_and_thanks_get_a_word_and_the_same_question(chat: ConsoleChannel) -> None:
    start_intake(chat)
    chat.send("1")
    hello = chat.send("hello")
    assert hello.startswith("Hello!") and hello.rstrip().endswith("What is your full name?")
    thanks = chat.send("thanks!")
    assert thanks.startswith("You are welcome.") and "What is your full name?" in thanks


def test_a_language_asked_for_in_words_mid_intake_returns_to_the_question(
        chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    answer = chat.send("по-русски, пожалуйста")
    assert "Готово" in answer and "Как вас зовут" in answer
    assert state_of(runtime).language == "ru" and state_of(runtime).state == "intake.name"


def test_book_typed_in_words_mid_intake_asks_the_same_question(chat: ConsoleChannel) -> None:
    start_intake(chat)
    chat.send("1")
    assert chat.send("I want to book a consultation").rstrip().endswith(
        "What is your full name?")


def test_cancel_in_words_without_a_booking(chat: ConsoleChannel) -> None:
    chat.send("/start")
    chat.send("Continue in English")
    answer = chat.send("please cancel my booking")
    assert "You have no booked consultation yet." in answer and "How can we help?" in answer


def test_the_first_message_asking_for_a_person_is_honoured_after_the_welcome(
        runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "omar")
    assert "Which language do you prefer?" in chat.send("أريد التحدث مع شخص")
    answer = chat.send("1")
    assert len(handoffs(runtime)) == 1 and "How can we help?" in answer


def reach_description(chat: ConsoleChannel) -> None:
    start_intake(chat)
    for reply in ("1", "Anna Petrova", "Russia", "Germany", "Applied, waiting", "no"):
        chat.send(reply)
    assert "Please describe the case" in chat.send("No deadline")


# --- nothing is matched while the person's row is locked --------------------------------


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Records each FAQ look-up and whether a database transaction was open at the time."""
    open_transactions = [0]
    calls: list[tuple[str, bool]] = []

    def counting(real: Any) -> Any:
        @contextmanager
        def counted(self: Database, *args: Any):  # type: ignore[no-untyped-def]
            open_transactions[0] += 1
            try:
                with real(self, *args) as session:
                    yield session
            finally:
                open_transactions[0] -= 1
        return counted

    def spy(name: str) -> None:
        real = getattr(KnowledgeBase, name)

        def recorded(self: KnowledgeBase, *args: Any, **kwargs: Any) -> Any:
            calls.append((name, open_transactions[0] > 0))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(KnowledgeBase, name, recorded)

    monkeypatch.setattr(Database, "transaction", counting(Database.transaction))
    monkeypatch.setattr(Database, "begin", counting(Database.begin))  # the turn's
    spy("match")
    spy("suggestions")
    spy("answer")
    return calls


def test_the_faq_is_matched_before_the_transaction(chat: ConsoleChannel,
                                                    probe: list[tuple[str, bool]]) -> None:
    chat.send("/start")
    chat.send("Continue in English")
    assert "free" in chat.send("how much does a report cost?").lower()  # at the menu
    chat.send("Main menu")
    chat.send("book")
    chat.send("1")
    chat.send("is the consultation free?")  # at the name prompt
    chat.send("Anna Petrova")
    assert probe and [inside for _, inside in probe] == [False] * len(probe)


def test_options_and_plain_answers_are_not_looked_up_in_the_faq(
        chat: ConsoleChannel, probe: list[tuple[str, bool]]) -> None:
    chat.send("/start")
    chat.send("1")  # the language's number
    chat.send("book")
    assert "What is your full name?" in chat.send("1")
    assert "Which country are you from?" in chat.send("Anna Petrova")  # no question in it
    assert "In which country are you claiming asylum?" in chat.send("Russia")
    assert probe == []
    assert "free" in chat.send("how much does it cost?").lower()  # a question: looked up
    assert probe == [("answer", False)]


def test_a_wrong_guess_redoes_the_turn_with_the_look_up_outside_the_lock(
        chat: ConsoleChannel, runtime: Runtime, probe: list[tuple[str, bool]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.engine

    monkeypatch.setattr(bot.engine, "faq_likely", lambda state, understood: False)
    chat.send("/start")
    chat.send("Continue in English")
    assert "free" in chat.send("how much does a report cost?").lower()  # at the menu
    assert probe == [("answer", False)]  # asked by the menu, then made outside
    with runtime.db.transaction() as session:  # each message stored once: the redone turn too
        assert len(session.exec(select(InboundMessage)).all()) == 3


@pytest.fixture
def any_chat(make_runtime: Any, any_database_url: str) -> tuple[ConsoleChannel, Runtime]:
    runtime = make_runtime(database_url=any_database_url)
    return ConsoleChannel(Bot(runtime), "anna"), runtime


def test_matched_outside_the_transaction_on_both_databases(
        any_chat: tuple[ConsoleChannel, Runtime], probe: list[tuple[str, bool]]) -> None:
    chat, runtime = any_chat
    start_intake(chat)
    chat.send("1")
    assert "I have not saved that" in chat.send("how much does it cost?")
    assert "Как вас зовут" in chat.send("по-русски")
    assert "Из какой вы страны?" in chat.send("Анна Петрова")
    assert probe and not any(inside for _, inside in probe)
    assert state_of(runtime).language == "ru"


def test_the_language_is_read_while_another_message_holds_the_write_lock(
        runtime: Runtime) -> None:
    import threading

    from bot.engine import peek
    from bot.identifiers import user_keys
    from bot.messages import Inbound

    chat = ConsoleChannel(Bot(runtime), "anna")
    chat.send("/start")
    chat.send("Русский")
    inbound = Inbound(channel="console", user_id="anna", message_id="x")
    read: list[str | None] = []
    with runtime.db.transaction() as session:  # SQLite: BEGIN IMMEDIATE, the write lock
        session.exec(select(HandoffRequest)).all()
        reader = threading.Thread(target=lambda: read.append(
            peek(runtime.db, user_keys(runtime.cipher, "console", "anna"), inbound,
                 runtime.clock()).language))
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "the lock-free read waited for the write lock"
    assert read == ["ru"]


def test_a_language_changed_meanwhile_is_read_again_inside(
        chat: ConsoleChannel, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.engine

    chat.send("/start")
    chat.send("Русский")
    # Another message switched to Russian after this one read the language: it read English.
    monkeypatch.setattr(bot.engine, "peek",
                        lambda *_args: bot.engine.Peeked("en", False))
    languages: list[str] = []
    real = bot.engine.understand
    monkeypatch.setattr(bot.engine, "understand",
                        lambda text, lang: languages.append(lang) or real(text, lang))
    chat.send("сколько стоит отчёт?")
    assert languages == ["en", "ru"]


def test_move_and_cancel_the_booking_in_words(runtime: Runtime) -> None:
    from booking.models import BookingStatus
    from tests.bot.test_booking_chat import bookings
    from tests.bot.test_booking_chat import intake as book_intake

    chat = ConsoleChannel(Bot(runtime), "anna")
    book_intake(chat)
    chat.send("1")
    chat.send("1")
    chat.send("1")
    assert "is booked" in chat.send("Confirm")
    moving = chat.send("I'd like to change the time of my consultation")
    assert "Choose a new day for your consultation" in moving
    chat.send("menu")
    # Typed in Russian while the conversation is in English: still understood.
    asked = chat.send("хочу отменить консультацию")
    assert "Cancel your consultation on Tuesday, March 3" in asked  # asked first, never at once
    assert "is cancelled" in chat.send("Yes, cancel it")
    [booking] = bookings(runtime)
    assert booking.status == BookingStatus.CANCELLED


def test_a_first_message_asking_for_a_language_is_welcomed_in_it(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "ivan")
    welcome = chat.send("in Russian please")
    assert "Здравствуйте" in welcome and "Продолжить по-русски" in welcome


def test_change_language_in_words_mid_intake_asks_which_then_returns(
        chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    assert "Choose your language" in chat.send("I want to change the language")
    assert "¿Cuál es su nombre completo?" in chat.send("Español")
    assert (state_of(runtime).state, state_of(runtime).language) == ("intake.name", "es")


def test_change_the_time_while_booking_shows_the_days_again(runtime: Runtime) -> None:
    from tests.bot.test_booking_chat import intake as book_intake

    chat = ConsoleChannel(Bot(runtime), "anna")
    book_intake(chat)
    chat.send("1")
    chat.send("1")
    assert "Please confirm" in chat.send("1")
    again = chat.send("change the time")
    assert "Choose a day for your free Zoom consultation" in again
    assert "no booked consultation" not in again


def test_names_that_start_like_questions_are_names(chat: ConsoleChannel,
                                                    runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    asked = chat.send("how much does it cost")  # no question mark, but a FAQ question
    assert "I have not saved that" in asked and "name" not in intake(runtime)
    assert "Which country are you from?" in chat.send("Will Smith")
    assert intake(runtime)["name"] == "Will Smith"

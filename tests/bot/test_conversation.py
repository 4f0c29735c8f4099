"""Whole conversations through the terminal adapter: intake, validation, back, menu, language."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.models import CaseFile, Conversation, HandoffRequest, InboundMessage
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime

DESCRIPTION = "I was detained twice for anti-war posts and was called up for mobilisation."


@pytest.fixture
def chat(runtime: Runtime) -> ConsoleChannel:
    return ConsoleChannel(Bot(runtime), "anna")


def start_intake(chat: ConsoleChannel) -> None:
    assert "Which language do you prefer?" in chat.send("/start")
    assert "Book free consultation" in chat.send("Continue in English")
    assert "Who is writing to us?" in chat.send("book")


def answer_all(chat: ConsoleChannel) -> str:
    """Answer every intake question validly; return the review text."""
    chat.send("1")
    chat.send("Anna Petrova")
    assert "among the countries our experts cover" in chat.send("Russia")
    chat.send("United Kingdom")
    chat.send("Applied, waiting")
    chat.send("yes")
    chat.send("Smith & Partners LLP")
    chat.send("15.06.2026")
    chat.send(DESCRIPTION)
    chat.send("anna@example.com")
    return chat.send("Yes, I agree")


def state_of(runtime: Runtime, user: str = "anna") -> Conversation:
    with runtime.db.transaction() as session:
        found = find_conversation(session, runtime.cipher, "console", user)
        assert found is not None
        return found


def cases(runtime: Runtime) -> list[dict]:
    with runtime.db.transaction() as session:
        rows = session.exec(select(CaseFile)).all()
    return [runtime.cipher.decrypt_json(r.payload_enc) for r in rows if r.payload_enc]


def test_happy_path_to_confirmed_case(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    review = answer_all(chat)
    for expected in ("Anna Petrova", "Russia", "United Kingdom", "Applied, waiting",
                     "Smith & Partners LLP", "June 15, 2026", "anna@example.com", DESCRIPTION):
        assert expected in review
    chat.send("Confirm")
    [case] = cases(runtime)
    assert case == {
        "role": "applicant", "name": "Anna Petrova", "origin": "RU", "asylum_country": "GB",
        "stage": "waiting", "represented": "yes", "firm": "Smith & Partners LLP",
        "deadline": "2026-06-15", "description": DESCRIPTION, "email": "anna@example.com",
    }


def test_case_details_are_not_stored_in_clear(chat: ConsoleChannel, runtime: Runtime,
                                              database_url: str) -> None:
    start_intake(chat)
    answer_all(chat)
    chat.send("Confirm")
    runtime.db.dispose()
    path = Path(database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                   if p.exists())
    for secret in (b"Anna Petrova", b"anna@example.com", b"anti-war", b"Smith & Partners"):
        assert secret not in raw


@pytest.mark.parametrize(
    ("prepare", "bad", "error"),
    [
        ([], "7", "Please choose one of the options"),
        (["1"], "12345", "Please write the full name in letters"),
        (["1"], "x" * 101, "please keep it under 100"),
        (["1", "Anna Petrova"], "Qwertyzxcv", "I could not recognise that country"),
        (["1", "Anna Petrova", "Russia", "UK", "2", "no"], "someday soon-ish maybe",
         "I could not read that date"),
        (["1", "Anna Petrova", "Russia", "UK", "2", "no"], "01.01.2020", "already passed"),
        (["1", "Anna Petrova", "Russia", "UK", "2", "no", "No deadline"], "too short",
         "at least a sentence"),
        (["1", "Anna Petrova", "Russia", "UK", "2", "no", "No deadline"], "word " * 300,
         "please keep it under 1000"),
        (["1", "Anna Petrova", "Russia", "UK", "2", "no", "No deadline", DESCRIPTION],
         "anna(at)example", "does not look like an email address"),
    ],
)
def test_each_invalid_answer_is_explained_and_asked_again(
    chat: ConsoleChannel, runtime: Runtime, prepare: list[str], bad: str, error: str
) -> None:
    start_intake(chat)
    for answer in prepare:
        chat.send(answer)
    before = state_of(runtime).state
    answer = chat.send(bad)
    assert error in answer
    assert state_of(runtime).state == before


def test_ambiguous_country_offers_suggestions(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    chat.send("Anna Petrova")
    answer = chat.send("Korea")
    assert "Did you mean" in answer and "North Korea" in answer and "South Korea" in answer
    assert state_of(runtime).state == "intake.origin"
    assert "In which country are you claiming asylum?" in chat.send("North Korea")
    assert cases(runtime) == []
    data = runtime.cipher.decrypt_json(state_of(runtime).data_enc)
    assert data["intake"]["origin"] == "KP"


def test_back_returns_one_question(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    chat.send("Anna Petrova")
    assert "What is your full name?" in chat.send("back")
    assert "Which country are you from?" in chat.send("Anna K. Petrova")
    assert "What is your full name?" in chat.send("back")
    assert "Who is writing to us?" in chat.send("back")


def test_back_from_first_question_goes_to_menu(chat: ConsoleChannel) -> None:
    start_intake(chat)
    assert "How can we help?" in chat.send("back")


def test_menu_in_mid_intake_keeps_answers(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    chat.send("Anna Petrova")
    chat.send("Russia")
    assert "How can we help?" in chat.send("menu")
    resumed = chat.send("/book")
    assert "continue where we stopped" in resumed
    assert "claiming asylum" in resumed


def test_review_can_change_a_field(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    answer_all(chat)
    assert "What would you like to change?" in chat.send("Change something")
    assert "What email address" in chat.send("Email")
    review = chat.send("new@example.org")
    assert "new@example.org" in review and "Please check the details" in review
    chat.send("Confirm")
    assert cases(runtime)[0]["email"] == "new@example.org"


def test_refusing_consent_discards_the_answers(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    chat.send("1")
    for answer in ("Anna Petrova", "Russia", "UK", "2", "no", "No deadline", DESCRIPTION,
                   "anna@example.com"):
        chat.send(answer)
    assert "deleted the answers" in chat.send("No")
    assert cases(runtime) == []
    data = runtime.cipher.decrypt_json(state_of(runtime).data_enc)
    assert "intake" not in data


def test_switching_language_mid_intake(chat: ConsoleChannel) -> None:
    start_intake(chat)
    chat.send("1")
    assert "Русский" in chat.send("language")
    # The same question again, in the new language (not the menu).
    assert "Как вас зовут" in chat.send("Русский")
    assert "Из какой вы страны?" in chat.send("Анна Петрова")
    assert "среди стран, с которыми работают наши эксперты" in chat.send("России")


def test_russian_from_the_platform_hint(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "ivan", language_hint="ru-RU")
    first = chat.send("/start")
    assert "Здравствуйте" in first and "Продолжить по-русски" in first
    assert "Чем мы можем помочь?" in chat.send("1")


def test_first_question_is_not_lost(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "olga")
    chat.send("how much does a report cost?")
    answer = chat.send("Continue in English")
    assert "after the free consultation" in answer.lower() or "consultation" in answer.lower()
    assert "How can we help?" in answer


def test_repeated_message_id_changes_nothing(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    first = chat.send("1", message_id="wamid-1")
    again = chat.send("1", message_id="wamid-1")
    assert first == again
    assert state_of(runtime).state == "intake.name"
    with runtime.db.transaction() as session:
        stored = session.exec(select(InboundMessage).where(
            InboundMessage.platform_message_id == "wamid-1")).all()
    assert len(stored) == 1


def test_human_request_is_recorded_once(chat: ConsoleChannel, runtime: Runtime) -> None:
    chat.send("/start")
    chat.send("1")
    assert "within one hour" in chat.send("human")
    assert "already with our team" in chat.send("/human")
    with runtime.db.transaction() as session:
        assert len(session.exec(select(HandoffRequest)).all()) == 1


def test_documents_without_configuration_go_to_staff(chat: ConsoleChannel,
                                                      runtime: Runtime) -> None:
    chat.send("/start")
    chat.send("1")
    assert "will send you a sample report" in chat.send("Sample report & CV")
    with runtime.db.transaction() as session:
        [request] = session.exec(select(HandoffRequest)).all()
    assert request.reason == "documents"


def test_delete_my_data(chat: ConsoleChannel, runtime: Runtime) -> None:
    start_intake(chat)
    answer_all(chat)
    chat.send("Confirm")
    assert "How can we help?" in chat.send("menu")
    assert "Are you sure?" in chat.send("Delete my data")
    assert "has been deleted" in chat.send("Yes, delete")
    assert cases(runtime) == []
    with runtime.db.transaction() as session:
        messages = session.exec(select(InboundMessage)).all()
    assert all(m.text_enc is None for m in messages[:-1])


def test_no_input_dead_ends(chat: ConsoleChannel) -> None:
    chat.send("/start")
    chat.send("1")
    assert "did not understand" in chat.send("zzzz qqqq")
    assert "Reply with an option's number" in chat.send("help")
    assert "How can we help?" in chat.send("/menu")


def test_stale_button_is_answered_politely(runtime: Runtime) -> None:
    from bot.messages import Choices, Inbound

    bot = Bot(runtime)
    first = bot.handle(Inbound("telegram", "42", "u1", text="/start"))
    token = next(r for r in first if isinstance(r, Choices)).token
    bot.handle(Inbound("telegram", "42", "u2", choice_id="lang:en", choice_token=token))
    again = bot.handle(Inbound("telegram", "42", "u3", choice_id="lang:en", choice_token=token))
    assert "no longer works" in again[0].text


def test_superscripts_and_keycap_digits_pick_or_are_refused_politely(
        chat: ConsoleChannel) -> None:
    chat.send("/start")
    chat.send("1")
    for typed in ("²", "①"):  # digits to str.isdigit, not to int()
        assert "did not understand" in chat.send(typed)
    assert "Who is writing to us?" in chat.send("2\ufe0f\u20e3")  # the "2️⃣" emoji


def test_a_failing_step_leaves_state_and_answers_as_they_were(
        chat: ConsoleChannel, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.flow.core import STATES

    start_intake(chat)

    def broken(turn: object) -> None:  # a bug half-way through a step
        turn.data.intake.role = "lawyer"  # type: ignore[attr-defined]
        turn.conversation.state = "intake.name"  # type: ignore[attr-defined]
        raise RuntimeError("bug")

    monkeypatch.setattr(STATES["intake.role"], "handle", broken)
    assert "something went wrong" in chat.send("1")
    monkeypatch.undo()
    conversation = state_of(runtime)
    data = runtime.cipher.decrypt_json(conversation.data_enc or "")
    assert conversation.state == "intake.role" and data.get("intake", {}) == {}
    assert "Who is writing to us?" in chat.send("help")


def test_buttons_from_before_an_erasure_stay_stale(runtime: Runtime) -> None:
    from bot.messages import Choices, Inbound

    bot = Bot(runtime)
    tokens: list[str] = []
    steps = [("/start", None), (None, "lang:en"), (None, "forget"), (None, "erase"),
             ("menu", None)]
    for n, (text, choice) in enumerate(steps):
        replies = bot.handle(Inbound("telegram", "7", f"m{n}", text=text, choice_id=choice,
                                     choice_token=tokens[-1] if choice else None))
        tokens += [r.token for r in replies if isinstance(r, Choices)]
    first_menu = tokens[1]  # shown before the erasure; the current menu offers "faq" too
    again = bot.handle(Inbound("telegram", "7", "m9", choice_id="faq", choice_token=first_menu))
    assert "no longer works" in again[0].text

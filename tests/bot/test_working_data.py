"""The typed working data and case details read what earlier versions stored, unchanged."""

from __future__ import annotations

import copy

from sqlmodel import select

from bot.case import FIELDS, CaseDetails
from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.models import CaseFile
from bot.working import BookingProgress, WorkingData
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime

#: Working data as the dict-based flow stored it: a move half done, answers of a second
#: intake, a legacy key and one this version does not know.
STORED_BEFORE = {
    "asked": 14,
    "choices": [["confirm", "Confirm"], ["other", "Another time"], ["stop", "Stop"]],
    "case_id": 3,
    "booking": {"move_id": 7, "suggested": "Europe/London", "day_page": 0,
                "day": "2026-03-04", "time_page": 1, "slot": "slot:202603041000", "hold": 5,
                "consultant": 2, "request": "0123456789abcdef0123",
                "nearest": ["slot:202603041100", "slot:202603041130"]},
    "intake": {"role": "lawyer", "name": "Amina Yusuf", "origin": "SY"},
    "intake_editing": True,
    "pending_intent": "book",
    "pending_topic": "cost",
    "language_return": "intake.name",
    "last_number": {"text": "2", "at": "2026-03-01T10:00:00+00:00", "token": "e"},
    "held_number": "2",
    "pending_text": "kept by an early version",
    "documents": {"uploaded": 2},
}
#: A case file's payload as the dict-based intake stored it.
CASE_BEFORE = {"role": "applicant", "name": "Anna Petrova", "origin": "RU",
               "asylum_country": "GB", "stage": "waiting", "represented": "yes",
               "firm": "Smith & Partners LLP", "deadline": "2026-06-15",
               "description": "Detained twice for anti-war posts.", "email": "anna@example.com"}


def test_working_data_stored_before_reads_typed_and_writes_back_the_same() -> None:
    data = WorkingData.from_dict(copy.deepcopy(STORED_BEFORE))
    assert (data.asked, data.case_id, data.intake_editing) == (14, 3, True)
    assert data.choices == [("confirm", "Confirm"), ("other", "Another time"),
                            ("stop", "Stop")]
    assert (data.booking.move_id, data.booking.hold, data.booking.day) == (7, 5, "2026-03-04")
    assert data.intake.role == "lawyer" and data.intake.name == "Amina Yusuf"
    assert data.intake.email is None
    assert data.extra == {"pending_text": "kept by an early version",
                          "documents": {"uploaded": 2}}
    assert data.to_dict() == STORED_BEFORE


def test_a_fresh_start_is_stored_as_an_empty_object() -> None:
    assert WorkingData().to_dict() == {}
    for unreadable in (None, [], "x", {"asked": "many", "booking": [1], "intake": 3}):
        data = WorkingData.from_dict(unreadable)
        assert data.asked == 0 and not data.booking.to_dict() and not data.intake


def test_resets_are_one_call_each() -> None:
    data = WorkingData.from_dict(copy.deepcopy(STORED_BEFORE))
    data.booking.release()
    assert (data.booking.slot, data.booking.hold, data.booking.consultant,
            data.booking.request) == (None, None, None, None)
    assert data.booking.move_id == 7 and data.booking.day == "2026-03-04"
    data.end_booking()
    assert "booking" not in data.to_dict()
    data.end_intake()
    assert "intake" not in data.to_dict()
    data.forget()
    assert data.to_dict() == {"asked": 14}  # buttons from before stay stale
    assert BookingProgress(mine=4).to_dict() == {"mine": 4}


def test_case_details_stored_before_read_typed_and_write_back_the_same() -> None:
    details = CaseDetails.from_dict({**CASE_BEFORE, "documents": ["cv.pdf"]})
    assert details.name == "Anna Petrova" and details.asylum_country == "GB"
    assert details.to_dict() == {**CASE_BEFORE, "documents": ["cv.pdf"]}
    assert not CaseDetails.from_dict({}) and not CaseDetails.from_dict(["not", "a", "dict"])
    answered = CaseDetails.from_dict({**CASE_BEFORE, "consent": "yes"})
    assert answered.for_case_file().to_dict() == CASE_BEFORE
    assert answered.consent == "yes"  # the answers themselves are left as they are
    assert [f.name for f in FIELDS if f.stored] == list(CASE_BEFORE)


def test_a_conversation_stored_before_carries_on(runtime: Runtime) -> None:
    """A review left open under the dict-based flow is confirmed under the typed one."""
    chat = ConsoleChannel(Bot(runtime), "anna")
    chat.send("/start")
    stored = {"asked": 9, "pending_text": "kept by an early version",
              "choices": [["confirm", "Confirm"], ["edit", "Change an answer"],
                          ["menu", "Main menu"]],
              "intake": {**CASE_BEFORE, "consent": "yes"}}
    with runtime.db.transaction() as session:
        conversation = find_conversation(session, runtime.cipher, "console", "anna")
        assert conversation is not None
        conversation.state = "intake.review"
        conversation.data_enc = runtime.cipher.encrypt_json(stored)
        session.add(conversation)
    chat.send("Confirm")
    with runtime.db.transaction() as session:
        [case] = session.exec(select(CaseFile)).all()
        conversation = find_conversation(session, runtime.cipher, "console", "anna")
        assert conversation is not None and conversation.data_enc is not None
    assert runtime.cipher.decrypt_json(case.payload_enc or "") == CASE_BEFORE
    after = runtime.cipher.decrypt_json(conversation.data_enc)
    assert "intake" not in after and after["case_id"] == case.id
    assert after["pending_text"] == "kept by an early version" and after["asked"] > 9


def test_every_question_has_an_attribute_and_a_state() -> None:
    from dataclasses import fields

    from bot.flow.core import STATES
    from bot.flow.intake import Question

    attributes = [f.name for f in fields(CaseDetails) if f.name != "extra"]
    assert [f.name for f in FIELDS] == attributes
    for question in FIELDS:
        state = STATES[f"intake.{question.name}"]
        assert isinstance(state, Question) and state.field == question.name

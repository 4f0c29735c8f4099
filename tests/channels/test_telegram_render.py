"""Replies as Telegram messages: length limits, keyboards, button data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.messages import Choice, Choices, Document, Text
from channels.telegram.render import (
    CALLBACK_DATA_LIMIT,
    TEXT_LIMIT,
    CallbackCodec,
    keyboard,
    plan_messages,
    split_text,
    telegram_length,
)


def test_a_long_text_is_cut_at_line_breaks_within_the_limit() -> None:
    paragraph = "Word " * 150  # 750 characters
    text = "\n\n".join(paragraph.strip() for _ in range(7))  # about 5,260 characters
    parts = split_text(text)
    assert len(parts) == 2
    assert all(telegram_length(part) <= TEXT_LIMIT for part in parts)
    assert parts[0].endswith("Word") and parts[1].startswith("Word")
    assert " ".join(parts).split() == text.split()


def test_a_paragraph_break_is_preferred_to_a_later_space() -> None:
    first, second = "A" * 3000, "B " * 600  # the limit falls inside the second paragraph
    parts = split_text(f"{first}\n\n{second}")
    assert parts[0] == first
    assert parts[1] == second.strip()


def test_text_without_breaks_is_cut_hard() -> None:
    parts = split_text("x" * 5000)
    assert [len(p) for p in parts] == [4096, 904]


def test_emoji_count_twice_as_telegram_counts_utf16() -> None:
    parts = split_text("😀" * 3000)  # 6,000 UTF-16 units
    assert all(telegram_length(p) <= TEXT_LIMIT for p in parts)
    assert "".join(parts) == "😀" * 3000


@given(st.text(alphabet=st.sampled_from("ab \n😀я"), max_size=9000),
       st.integers(min_value=8, max_value=TEXT_LIMIT))
def test_split_keeps_every_word_and_respects_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < telegram_length(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_texts_join_and_the_keyboard_goes_on_the_question() -> None:
    question = Choices("Which?", (Choice("a", "A"), Choice("b", "B")), "3")
    planned = plan_messages([Text("Hello."), Text("Privacy."), question, Text("After.")])
    assert [p.text for p in planned] == ["Hello.\n\nPrivacy.\n\nWhich?", "After."]
    assert planned[0].choices is question and planned[1].choices is None


def test_a_long_question_keeps_its_keyboard_on_the_last_part() -> None:
    question = Choices("Q " * 3000, (Choice("a", "A"),), "1")
    planned = plan_messages([question])
    assert len(planned) == 2
    assert planned[0].choices is None and planned[1].choices is question


def test_documents_keep_their_place_and_long_captions_become_text() -> None:
    ics = Document("booking.ics", "Your booking", "text/calendar", content=b"BEGIN:VCALENDAR")
    long = Document("cv.pdf", "C" * 1100, url="https://example.org/cv.pdf")
    planned = plan_messages([Text("Before"), ics, long, Text("After")])
    assert [(p.text[:6], p.document.filename if p.document else None) for p in planned] == [
        ("Before", None), ("", "booking.ics"), ("CCCCCC", None), ("", "cv.pdf"), ("After", None)]
    assert planned[3].document is not None and planned[3].document.caption == ""


def test_button_data_is_token_and_id() -> None:
    codec = CallbackCodec()
    choices = Choices("Q", (Choice("lang:en", "English"), Choice("lang:ru", "Русский")), "a")
    markup = keyboard(42, choices, codec)
    data = [row[0].callback_data for row in markup.inline_keyboard]
    assert data == ["a:lang:en", "a:lang:ru"]
    assert codec.decode(42, "a:lang:ru") == ("a", "lang:ru")


def test_ids_too_long_for_64_bytes_use_an_index_mapped_back() -> None:
    codec = CallbackCodec()
    long_id = "slot:" + "é" * 40  # 85 bytes
    choices = Choices("Q", (Choice("short", "S"), Choice(long_id, "L")), "1f")
    data = codec.encode(7, choices)
    assert data[0] == "1f:short" and data[1] == "1f#1"
    assert all(len(item.encode()) <= CALLBACK_DATA_LIMIT for item in data)
    assert codec.decode(7, data[1]) == ("1f", long_id)
    # Another chat, or a process that never offered it, cannot map it: it reads as stale.
    assert codec.decode(8, data[1]) == ("1f", "#1")
    # Data a modified client made up, with digits int() does not read, is stale too.
    assert codec.decode(7, "1f#²") == ("1f", "#²")


def test_unreadable_button_data_reads_as_stale() -> None:
    codec = CallbackCodec()
    assert codec.decode(1, None) == ("stale", "")
    assert codec.decode(1, "from another bot version") == ("stale", "from another bot version")
    assert codec.decode(1, ":menu") == (None, "menu")

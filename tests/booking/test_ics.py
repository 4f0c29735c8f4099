"""Calendar files read back with a small RFC 5545 unfolder and unescaper."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.ics import CalendarEvent, booking_calendar, calendar_feed, escape_text, fold

NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
START = datetime(2030, 6, 10, 14, 30, tzinfo=ZoneInfo("Europe/London"))  # 13:30 UTC (BST)
JOIN = "https://zoom.test/j/85746065432?pwd=abc,def;x"
RUSSIAN = (
    "Бесплатная консультация по вопросу экспертного заключения. "
    "Пожалуйста, подключитесь за пять минут до начала; ссылка ниже, в приглашении."
)


def invite(**overrides: object) -> bytes:
    values: dict[str, object] = {
        "uid": "booking-42@consultbot.test",
        "start": START,
        "duration_minutes": 30,
        "summary": "Free consultation — The Human Rights",
        "description": "Join with the link below.",
        "join_url": JOIN,
        "organizer_email": "consultant@example.org",
        "now": NOW,
    }
    values.update(overrides)
    return booking_calendar(**values)  # type: ignore[arg-type]


def physical_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    lines = data[:-2].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line and b"\r" not in line, "bare line break"
    return lines


def unfold(data: bytes) -> list[str]:
    """Content lines: CRLF followed by one space or tab continues the previous line."""
    text = data.decode("utf-8")
    return re.sub(r"\r\n[ \t]", "", text).removesuffix("\r\n").split("\r\n")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def components(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """(component name, {property: raw value}) for every component, outermost first."""
    found: list[tuple[str, dict[str, str]]] = []
    stack: list[dict[str, str]] = []
    for line in unfold(data):
        name, sep, value = line.partition(":")
        assert sep, f"not a content line: {line!r}"
        if name == "BEGIN":
            props: dict[str, str] = {}
            found.append((value, props))
            stack.append(props)
        elif name == "END":
            assert stack, "END without BEGIN"
            stack.pop()
        else:
            assert name not in stack[-1], f"repeated {name}"
            stack[-1][name] = value
    assert not stack, "unclosed component"
    return found


def events(data: bytes) -> list[dict[str, str]]:
    return [props for name, props in components(data) if name == "VEVENT"]


def test_invite_has_every_property_in_utc():
    data = invite()
    (calendar_name, calendar), (event_name, event) = components(data)

    assert (calendar_name, event_name) == ("VCALENDAR", "VEVENT")
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["METHOD"] == "PUBLISH"
    assert event["UID"] == "booking-42@consultbot.test"
    assert event["DTSTAMP"] == "20300301T090000Z"
    assert event["DTSTART"] == "20300610T133000Z"
    assert event["DTEND"] == "20300610T140000Z"
    assert event["SEQUENCE"] == "0"
    assert event["STATUS"] == "CONFIRMED"
    assert unescape(event["SUMMARY"]) == "Free consultation — The Human Rights"
    assert unescape(event["DESCRIPTION"]) == "Join with the link below."
    assert event["URL"] == JOIN
    assert unescape(event["LOCATION"]) == JOIN
    assert event["ORGANIZER"] == "mailto:consultant@example.org"


def test_every_line_ends_in_crlf():
    data = invite(description="one\ntwo\r\nthree\rfour")
    assert data.count(b"\r\n") == len(physical_lines(data))
    assert unescape(events(data)[0]["DESCRIPTION"]) == "one\ntwo\nthree\nfour"


def test_cancelled_invite():
    data = invite(cancelled=True, sequence=2)
    calendar = components(data)[0][1]
    (event,) = events(data)
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == "2"
    assert event["UID"] == "booking-42@consultbot.test"


def test_long_russian_text_folds_at_75_octets_on_character_boundaries():
    text = RUSSIAN * 3
    data = invite(description=text)

    lines = physical_lines(data)
    assert any(line.startswith(b" ") for line in lines)
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # a split multibyte character would fail here
    assert unescape(events(data)[0]["DESCRIPTION"]) == text


def test_fold_never_splits_a_character_straddling_the_limit():
    line = "DESCRIPTION:" + "ж" * 40  # 12 octets, then 2-octet letters: the 32nd would end at 76
    first, second, rest = fold(line).split(b"\r\n")
    assert first == ("DESCRIPTION:" + "ж" * 31).encode()
    assert len(first) == 74
    assert second == b" " + ("ж" * 9).encode()
    assert rest == b""


def test_fold_exact_boundaries():
    assert fold("X" * 75) == b"X" * 75 + b"\r\n"
    assert fold("X" * 76) == b"X" * 75 + b"\r\n X\r\n"
    emoji = "😀" * 30  # 4 octets each
    folded = fold(emoji)
    for part in folded.removesuffix(b"\r\n").split(b"\r\n"):
        assert len(part) <= 75
        part.decode("utf-8")
    assert folded.split(b"\r\n")[0] == "😀".encode() * 18  # 72 octets; a 19th would be 76


def test_text_escaping():
    tricky = "Room 4, floor 2; bring ID\\passport\nthen wait"
    data = invite(summary=tricky)
    raw = events(data)[0]["SUMMARY"]
    assert raw == "Room 4\\, floor 2\\; bring ID\\\\passport\\nthen wait"
    assert unescape(raw) == tricky
    assert escape_text("a\x00b\x1bc\td") == "abc\td"


def test_optional_fields_are_left_out():
    data = invite(join_url=None, organizer_email=None, description="")
    (event,) = events(data)
    assert not {"URL", "LOCATION", "ORGANIZER", "DESCRIPTION"} & event.keys()


def test_naive_times_and_bad_durations_are_refused():
    with pytest.raises(ValueError):
        invite(start=datetime(2030, 6, 10, 14, 30))
    with pytest.raises(ValueError):
        invite(now=datetime(2030, 3, 1, 9, 0))
    with pytest.raises(ValueError):
        invite(duration_minutes=0)


def test_feed_holds_many_events_rendered_like_single_invites():
    first = CalendarEvent(
        uid="booking-1@consultbot.test",
        start=START,
        duration_minutes=30,
        summary="Консультация",
        description=RUSSIAN,
        join_url=JOIN,
        organizer_email=None,
        stamp=NOW,
    )
    second = CalendarEvent(
        uid="booking-2@consultbot.test",
        start=START + timedelta(days=1),
        duration_minutes=45,
        summary="Free consultation",
        description="",
        join_url=None,
        organizer_email="consultant@example.org",
        stamp=NOW + timedelta(hours=1),
        sequence=3,
        cancelled=True,
    )
    feed = calendar_feed([first, second], name="Consultations, staff")

    calendar = components(feed)[0][1]
    assert "METHOD" not in calendar
    assert unescape(calendar["X-WR-CALNAME"]) == "Consultations, staff"
    got = events(feed)
    assert [e["UID"] for e in got] == ["booking-1@consultbot.test", "booking-2@consultbot.test"]
    assert got[1]["STATUS"] == "CANCELLED"
    assert got[1]["DTEND"] == "20300611T141500Z"
    single = invite(
        uid=first.uid,
        summary=first.summary,
        description=first.description,
        organizer_email=None,
    )
    assert got[0] == events(single)[0]
    assert calendar_feed([]).count(b"BEGIN:VEVENT") == 0


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85")
    | st.sampled_from("\n,;\\:\"'\t"),
    max_size=400,
)


@given(summary=printable, description=printable)
def test_any_text_round_trips(summary, description):
    data = invite(summary=summary, description=description or "x")
    for line in physical_lines(data):
        assert len(line) <= 75
        line.decode("utf-8")
    (event,) = events(data)
    assert unescape(event["SUMMARY"]) == summary
    assert unescape(event["DESCRIPTION"]) == (description or "x")

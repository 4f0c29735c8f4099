"""Booking in the chat, through the terminal adapter, with Zoom faked by respx."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import respx
from sqlmodel import select

from booking import service
from booking.models import Booking, BookingStatus
from bot.engine import Bot
from bot.messages import Choices, Document, Inbound, Text, reply_from_dict
from bot.models import Conversation
from bot.notices.booking_notices import run_meeting_sync
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage
from tests.fixtures import ZOOM_API, ZOOM_SETTINGS

DESCRIPTION = "I was detained twice for anti-war posts and was called up for mobilisation."


@pytest.fixture
def zoom_runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(**ZOOM_SETTINGS)


def meeting(meeting_id: int) -> httpx.Response:
    return httpx.Response(201, json={
        "id": meeting_id, "join_url": f"https://zoom.test/j/{meeting_id}?pwd=x",
        "start_url": f"https://zoom.test/s/{meeting_id}?zak=host", "password": "x"})


def intake(chat: ConsoleChannel, asylum_country: str = "United Kingdom") -> str:
    """From the first message to the confirmed case; returns the answer to "Confirm"."""
    chat.send("/start")
    chat.send("1")  # keep the suggested language
    chat.send("book")
    for answer in ("1", "Anna Petrova", "Russia", asylum_country, "2", "no", "No deadline",
                   DESCRIPTION, "anna@example.com", "1"):
        chat.send(answer)
    return chat.send("1")  # confirm the review


def bookings(runtime: Runtime) -> list[Booking]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(Booking).order_by(Booking.id)).all())


def outbox(runtime: Runtime) -> list[tuple[OutboxMessage, dict]]:
    with runtime.db.transaction() as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [(row, runtime.cipher.decrypt_json(row.payload_enc)) for row in rows]


def test_from_the_menu_to_a_booking_with_a_zoom_link(zoom_runtime: Runtime,
                                                     zoom: respx.MockRouter) -> None:
    create = zoom.post(f"{ZOOM_API}/users/me/meetings").mock(return_value=meeting(8123))
    chat = ConsoleChannel(Bot(zoom_runtime), "anna")
    answer = intake(chat)
    # The case is in the UK: London time is suggested, then confirmed.
    assert "Your details are saved" in answer
    assert "I will show all times in your local time: London (GMT+00:00)" in answer
    days = chat.send("Yes, that is right")
    assert "Times are in London (GMT+00:00)" in days
    assert "1. Tue 3 Mar" in days and "7. Wed 11 Mar" in days and "8. Later dates" in days
    times = chat.send("Tue 3 Mar")
    assert "Tuesday, March 3, 2026: choose a time" in times
    assert "1. 9:00\u202fAM" in times and "2. 9:40\u202fAM" in times
    assert "9. Later times" not in times and "8. Later times" in times
    confirm = chat.send("9:40")  # typed, not numbered
    assert "Tuesday, March 3, 2026, 9:40\u202fAM – 10:10\u202fAM" in confirm
    assert "keeping this time for you for 10 minutes" in confirm
    done = chat.send("Confirm")
    assert "Your free consultation is booked: Tuesday, March 3, 2026, 9:40" in done
    assert "The Zoom link and a calendar file will follow here in a moment." in done
    assert create.call_count == 0  # no remote call inside the chat turn

    [booking] = bookings(zoom_runtime)
    assert (booking.status, booking.meeting_status) == (BookingStatus.CONFIRMED, "pending")
    assert booking.applicant_timezone == "Europe/London"
    assert run_meeting_sync(zoom_runtime) == 1
    body = json.loads(create.calls.last.request.content)
    assert "Anna" not in body["topic"] and "anti-war" not in json.dumps(body)
    assert body["start_time"] == "2026-03-03T09:40:00Z"

    [(message, payload)] = outbox(zoom_runtime)
    assert message.key == f"meeting-link:{booking.id}:8123"
    assert (message.channel, zoom_runtime.cipher.decrypt(message.recipient_enc or ""),
            message.kind) == ("console", "anna", "meeting_link")
    text, document = payload["replies"]
    assert "Tuesday, March 3, 2026, 9:40" in text["text"]
    assert "Join on Zoom: https://zoom.test/j/8123?pwd=x" in text["text"]
    assert "zak=host" not in json.dumps(payload)  # the host's link is for staff only
    assert document["filename"] == "consultation.ics"
    assert payload["template"]["name"] == "notice"  # WhatsApp, after the 24-hour window
    when, link = payload["template"]["variables"]
    assert "Tuesday, March 3, 2026, 9:40" in when and link == "https://zoom.test/j/8123?pwd=x"

    mine = chat.send("my booking")
    assert "Your free Zoom consultation: Tuesday, March 3, 2026, 9:40" in mine
    assert "Join on Zoom: https://zoom.test/j/8123?pwd=x" in mine


def test_zoom_down_the_booking_stands_and_the_link_follows_later(
        zoom_runtime: Runtime, zoom: respx.MockRouter, clock: ManualClock) -> None:
    zoom.post(f"{ZOOM_API}/users/me/meetings").mock(
        side_effect=[httpx.Response(503), httpx.ReadTimeout("slow"), meeting(77)])
    chat = ConsoleChannel(Bot(zoom_runtime), "anna")
    intake(chat)
    chat.send("1")
    chat.send("1")
    chat.send("1")
    done = chat.send("Confirm")
    assert "is booked" in done and "will follow" in done
    assert run_meeting_sync(zoom_runtime) == 0
    clock.advance(timedelta(minutes=1))
    assert run_meeting_sync(zoom_runtime) == 0
    assert outbox(zoom_runtime) == []
    assert bookings(zoom_runtime)[0].status == BookingStatus.CONFIRMED
    assert "The Zoom link will be sent here shortly." in chat.send("my booking")
    clock.advance(timedelta(minutes=2))
    assert run_meeting_sync(zoom_runtime) == 1
    [(_, payload)] = outbox(zoom_runtime)
    assert "https://zoom.test/j/77?pwd=x" in payload["replies"][0]["text"]


def test_times_follow_the_persons_zone_across_a_dst_change(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    answer = intake(chat, asylum_country="United States")
    # The US has many clocks: no guess, the person names a city.
    assert "Which city or country are you in?" in answer
    days = chat.send("New York")
    assert "New York (GMT-05:00)" in days
    # London 09:00 is 4:00 AM in New York before the US change (8 March), 5:00 AM after it.
    assert "1. 4:00\u202fAM" in chat.send("Tue 3 Mar")
    chat.send("Another day")
    monday = chat.send("Mon 9 Mar")
    assert "1. 5:00\u202fAM" in monday and "New York (GMT-04:00)" in monday


def test_russian_dates_and_a_zone_typed_as_an_offset(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "olga", language_hint="ru")
    chat.send("/start")
    chat.send("1")
    chat.send("записаться")
    for answer in ("1", "Ольга Смирнова", "Россия", "Германия", "2", "нет", "1",
                   "Меня дважды задерживали за антивоенные посты, теперь призывают.",
                   "olga@example.com", "1"):
        chat.send(answer)
    answer = chat.send("1")
    assert "по вашим местным часам: Берлин (GMT+01:00)" in answer
    days = chat.send("Сменить часовой пояс")
    assert "В каком городе или стране" in days
    days = chat.send("UTC+3")
    assert "GMT+03:00" in days and "1. вт 3 мар." in days
    times = chat.send("1")
    assert "вторник, 3 марта 2026\u202fг.: выберите время" in times and "1. 12:00" in times
    chat.send("1")
    done = chat.send("Подтвердить")
    assert "записаны на бесплатную консультацию: вторник, 3 марта 2026\u202fг., 12:00 – 12:30 "\
        "(часовой пояс: GMT+03:00)" \
        in done
    assert "Наша команда пришлёт вам ссылку на Zoom" in done  # no Zoom, no fallback link
    assert "consultation.ics" in done


def test_a_phone_number_narrows_the_guess(runtime: Runtime) -> None:
    bot = Bot(runtime)
    count = iter(range(1000))

    def send(text: str) -> list:  # type: ignore[type-arg]
        runtime.clock.advance(timedelta(seconds=6))  # type: ignore[attr-defined]  # a person's pace
        return bot.handle(Inbound("whatsapp", "whatsapp:+12125550123", f"m{next(count)}",
                                  text=text, phone="+12125550123"))

    send("hi")
    send("1")
    send("book")
    for answer in ("1", "Ann Lee", "Russia", "United States", "2", "no", "No deadline",
                   DESCRIPTION, "ann@example.com", "1"):
        send(answer)
    replies = send("1")
    assert any(isinstance(r, Choices) and "New York (GMT-05:00)" in r.text for r in replies)


def test_a_slot_taken_meanwhile_gets_the_nearest_free_times(runtime: Runtime,
                                                            clock: ManualClock) -> None:
    anna = ConsoleChannel(Bot(runtime), "anna")
    boris = ConsoleChannel(Bot(runtime), "boris")
    for chat in (anna, boris):
        intake(chat)
        chat.send("1")  # London
        chat.send("1")  # Tuesday
    assert "Please confirm" in anna.send("2")  # 9:40, held for Anna
    assert "2. 9:40" not in boris.send("Another day") + boris.send("1")
    clock.advance(timedelta(minutes=11))  # Anna's hold has lapsed
    boris.send("Another day")
    boris.send("1")
    assert "9:40" in boris.send("2")
    assert "is booked" in boris.send("Confirm")
    answer = anna.send("Confirm")
    assert "Sorry, someone has just booked that time." in answer
    assert "These are the nearest free times" in answer
    assert "1. Tue, Mar 3, 9:00\u202fAM" in answer and "2. Tue, Mar 3, 10:20\u202fAM" in answer
    anna.send("2")
    assert "is booked" in anna.send("Confirm")
    starts = sorted(b.start.strftime("%H:%M") for b in bookings(runtime))
    assert starts == ["09:40", "10:20"]


def test_the_same_confirmation_delivered_twice_books_once(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    chat.send("1")
    chat.send("1")
    chat.send("1")
    first = chat.send("Confirm", message_id="wamid.1")
    again = chat.send("Confirm", message_id="wamid.1")  # the platform redelivers it
    assert first == again and "is booked" in first
    assert len(bookings(runtime)) == 1


def test_reschedule_then_cancel_with_a_reason(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    chat.send("1")
    chat.send("1")
    chat.send("1")
    chat.send("Confirm")
    assert "already have a consultation" in chat.send("book")
    chat.send("Change the time")  # the zone is known: straight to the days
    chat.send("Wed 4 Mar")
    confirm = chat.send("1")
    assert "Move your consultation from Tuesday, March 3, 2026, 9:00" in confirm
    assert "to:\nWednesday, March 4, 2026, 9:00" in confirm
    moved = chat.send("Confirm")
    assert "Your consultation is moved to Wednesday, March 4, 2026, 9:00" in moved
    old, new = bookings(runtime)
    assert (old.status, new.status, new.rescheduled_from_id) == \
        (BookingStatus.RESCHEDULED, BookingStatus.CONFIRMED, old.id)
    assert new.ics_sequence == 1 and new.ics_uid == old.ics_uid

    assert "Cancel your consultation on Wednesday, March 4" in chat.send("my booking") + \
        chat.send("Cancel it")
    cancelled = chat.send("Yes, cancel it")
    assert "is cancelled" in cancelled and "Calendar update" in cancelled
    assert "Thank you for telling us" in chat.send("I found another expert")
    _, new = bookings(runtime)
    assert new.status == BookingStatus.CANCELLED and new.cancelled_by == "applicant"
    assert runtime.cipher.decrypt(new.cancel_reason_enc or "") == "I found another expert"
    assert "no booked consultation" in chat.send("my booking")


def test_cancel_sends_a_calendar_cancellation(runtime: Runtime) -> None:
    bot = Bot(runtime)
    inbound = iter(range(1000))

    def send(text: str) -> list:  # type: ignore[type-arg]
        return bot.handle(Inbound("console", "anna", f"m{next(inbound)}", text=text))

    chat = ConsoleChannel(bot, "anna")
    intake(chat)
    for text in ("1", "1", "1", "Confirm", "my booking", "Cancel it"):
        send(text)
    documents = [r for r in send("Yes, cancel it") if isinstance(r, Document)]
    [ics] = documents
    content = (ics.content or b"").decode()
    assert "METHOD:CANCEL" in content and "SEQUENCE:1" in content
    assert "STATUS:CANCELLED" in content


def test_deleting_my_data_cancels_the_booking(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    for text in ("1", "1", "1", "Confirm"):
        chat.send(text)
    chat.send("Delete my data")
    assert "Your data has been deleted" in chat.send("Yes, delete")
    [booking] = bookings(runtime)
    assert (booking.status, booking.cancelled_by) == (BookingStatus.CANCELLED, "erasure")
    with runtime.db.transaction() as session:
        conversation = session.exec(select(Conversation)).one()
    assert conversation.timezone is None


def test_no_free_times_hands_over_to_the_team(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(booking_weekly_hours="sat 10:00-11:00", booking_horizon_days=3)
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    answer = chat.send("1")
    assert "no free consultation times in the next 3 days" in answer
    assert "How can we help?" in answer


def test_every_offered_page_fits_the_channels(runtime: Runtime) -> None:
    bot = Bot(runtime)
    numbers = iter(range(1000))
    seen: list[Choices] = []

    def send(text: str) -> None:
        for reply in bot.handle(Inbound("console", "anna", f"m{next(numbers)}", text=text)):
            if isinstance(reply, Choices):
                seen.append(reply)
            assert isinstance(reply, Text | Choices | Document)

    chat = ConsoleChannel(bot, "anna")
    intake(chat)
    for text in ("1", "Later dates", "Later dates", "Later dates", "Earlier dates", "1",
                 "Later times", "Earlier times"):
        send(text)
    assert seen and all(len(c.choices) <= 10 for c in seen)
    assert all(len(choice.id.encode()) <= 40 for c in seen for choice in c.choices)


def test_staff_are_alerted_to_bookings_moves_and_cancellations(
        make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(telegram_staff_chat_id="-100200")
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    for text in ("1", "1", "1", "Confirm", "my booking", "Change the time", "1", "2",
                 "Confirm", "my booking", "Cancel it", "Yes, cancel it"):
        chat.send(text)
    first, second = bookings(runtime)
    alerts = [(row.key.split(":")[1:3], payload["replies"][0]["text"])
              for row, payload in outbox(runtime) if row.kind == "staff_alert"]
    assert [key for key, _ in alerts] == [
        ["booking_confirmed", str(first.id)], ["booking_moved", str(second.id)],
        ["booking_cancelled", str(second.id)]]
    assert alerts[1][1].startswith(
        "Booking moved: Anna, from Tue 3 Mar 2026, 09:00 GMT to Tue 3 Mar 2026, 09:40 GMT\n")
    assert all("anti-war" not in text for _, text in alerts)


def test_a_day_can_be_typed(runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    chat.send("1")
    assert "Thursday, March 5, 2026: choose a time" in chat.send("5 March")
    chat.send("Another day")
    answer = chat.send("Saturday")  # no hours at weekends
    assert "There are no free times on Saturday, March 7, 2026" in answer
    assert "Choose a day" in answer


def test_zoom_refusing_the_meeting_reaches_staff_and_the_person(
        make_runtime: Callable[..., Runtime], zoom: respx.MockRouter) -> None:
    runtime = make_runtime(**ZOOM_SETTINGS, telegram_staff_chat_id="-100200")
    zoom.post(f"{ZOOM_API}/users/me/meetings").mock(return_value=httpx.Response(
        400, json={"code": 300, "message": "Invalid meeting settings"}))
    chat = ConsoleChannel(Bot(runtime), "olga", language_hint="ru")
    chat.send("/start")
    chat.send("1")
    chat.send("записаться")
    for answer in ("1", "Ольга Смирнова", "Россия", "Германия", "2", "нет", "1",
                   "Меня дважды задерживали за антивоенные посты, теперь призывают.",
                   "olga@example.com", "1"):
        chat.send(answer)
    chat.send("1")  # confirm the case
    chat.send("1")  # keep Berlin time
    chat.send("1")  # Tuesday
    chat.send("1")  # 10:00 in Berlin
    assert "Ссылка на Zoom и файл для календаря придут сюда" in chat.send("Подтвердить")
    assert run_meeting_sync(runtime) == 0
    assert run_meeting_sync(runtime) == 0  # nothing is due any more: nothing new is stored
    [booking] = bookings(runtime)
    assert booking.meeting_status == "failed" and booking.status == BookingStatus.CONFIRMED
    by_kind = {row.kind: (row, payload) for row, payload in outbox(runtime)}
    assert sorted(by_kind) == ["meeting_failed", "staff_alert"]
    alert, payload = by_kind["staff_alert"]
    assert alert.key.startswith(f"staff:meeting_failed:{booking.id}:")
    assert payload["replies"][0]["text"] == (
        "Zoom refused the meeting for Ольга at Tue 3 Mar 2026, 09:00 GMT: please send a link "
        f"by hand\nOpen the dashboard: /staff/bookings/{booking.id}")
    notice, payload = by_kind["meeting_failed"]
    assert (notice.key, notice.channel, runtime.cipher.decrypt(notice.recipient_enc or ""),
            notice.conversation_id) == \
        (f"meeting-failed:{booking.id}", "console", "olga", booking.conversation_id)
    text, document = (reply_from_dict(r) for r in payload["replies"])
    assert isinstance(text, Text) and isinstance(document, Document)
    assert text.text.startswith("Ваша бесплатная консультация вторник, 3 марта 2026\u202fг., "
                                "10:00 – 10:30 (часовой пояс: Берлин (GMT+01:00)) остаётся в силе")
    assert "Наша команда пришлёт вам ссылку на встречу сюда" in text.text
    assert "антивоенные" not in json.dumps(payload)
    assert b"DTSTART:20260303T090000Z" in (document.content or b"")
    assert payload["template"] == {"name": "notice",
                                   "variables": [text.text, runtime.settings.company_website]}
    mine = chat.send("моя запись")
    assert "Наша команда пришлёт вам ссылку на Zoom здесь до начала консультации" in mine
    assert "скоро придёт" not in mine


def test_a_move_left_unfinished_is_forgotten_once_its_booking_is_cancelled(
        runtime: Runtime) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    intake(chat)
    for text in ("1", "1", "1", "Confirm", "my booking"):
        chat.send(text)
    assert "Choose a new day" in chat.send("Change the time")
    chat.send("menu")  # the person leaves the move half-way
    [booking] = bookings(runtime)
    with runtime.db.transaction() as session:
        service.cancel(session, booking.id or 0, runtime.clock(), by="staff")
    days = chat.send("book")
    assert "Choose a day for your free Zoom consultation" in days
    chat.send("1")
    chat.send("1")
    assert "is booked" in chat.send("Confirm")
    assert [b.status for b in bookings(runtime)] == \
        [BookingStatus.CANCELLED, BookingStatus.CONFIRMED]


def test_a_move_refused_at_confirm_frees_the_held_time(runtime: Runtime) -> None:
    anna = ConsoleChannel(Bot(runtime), "anna")
    intake(anna)
    for text in ("1", "1", "1", "Confirm", "my booking", "Change the time", "Wed 4 Mar"):
        anna.send(text)
    assert "Move your consultation" in anna.send("9:00")  # Wednesday 9:00 held for Anna
    [booking] = bookings(runtime)
    with runtime.db.transaction() as session:  # staff cancel it meanwhile
        service.cancel(session, booking.id or 0, runtime.clock(), by="staff")
    assert "can no longer be changed" in anna.send("Confirm")
    boris = ConsoleChannel(Bot(runtime), "boris")
    intake(boris)
    boris.send("1")
    assert "1. 9:00\u202fAM" in boris.send("Wed 4 Mar")


def test_a_link_message_still_waiting_is_withdrawn_when_the_booking_moves(
        zoom_runtime: Runtime, zoom: respx.MockRouter) -> None:
    zoom.post(f"{ZOOM_API}/users/me/meetings").mock(return_value=meeting(8123))
    chat = ConsoleChannel(Bot(zoom_runtime), "anna")
    intake(chat)
    for text in ("1", "1", "1", "Confirm"):
        chat.send(text)
    assert run_meeting_sync(zoom_runtime) == 1  # "Tuesday 9:00, join here" waits to go
    for text in ("my booking", "Change the time", "Wed 4 Mar", "1"):
        chat.send(text)
    assert "moved to Wednesday" in chat.send("Confirm")
    [(message, payload)] = outbox(zoom_runtime)
    assert "Tuesday, March 3" in payload["replies"][0]["text"]
    assert message.status == "cancelled"

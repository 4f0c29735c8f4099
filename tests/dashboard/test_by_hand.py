"""Writing to a booking's person by hand: the meeting link when Zoom refused, any message."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import select

from booking.models import Booking
from bot.messages import Text, reply_from_dict
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.outbox import OutboxMessage
from tests.dashboard.helpers import booking, token_from
from tests.dashboard.test_waiting import Inbox


def zoom_refused(runtime: Runtime, user: str, channel: str) -> int:
    made = booking(runtime, user, channel=channel)
    with runtime.db.transaction() as session:
        row = session.get(Booking, made.id)
        assert row is not None
        row.meeting_status, row.meeting_error = "failed", "Zoom said 429: too many requests"
        session.add(row)
    assert made.id is not None
    return made.id


def send(staff: FlaskClient, booking_id: int, **fields: str):  # type: ignore[no-untyped-def]
    url = f"/staff/bookings/{booking_id}/message"
    page = staff.get(url).text
    nonce = page.split('name="nonce" type="hidden" value="', 1)[1].split('"', 1)[0]
    return staff.post(url, data={"csrf_token": token_from(page), "nonce": nonce, **fields})


def sent(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "staff_message")).all())


def test_the_meeting_link_goes_to_the_person_by_hand(
        runtime: Runtime, staff: FlaskClient) -> None:
    booking_id = zoom_refused(runtime, "anna", "webchat")
    page = staff.get(f"/staff/bookings/{booking_id}").text
    assert f'href="/staff/bookings/{booking_id}/message">Send the meeting link by hand' in page
    form = staff.get(f"/staff/bookings/{booking_id}/message").text
    assert "Zoom said 429" in form and "language en" in form
    done = send(staff, booking_id, text="Here is your meeting link.",
                link="https://meet.example.org/j/42")
    assert done.headers["Location"].endswith(f"/staff/bookings/{booking_id}#messages-h")
    [message] = sent(runtime)
    assert message.key.startswith(f"staff-message:{booking_id}:")
    payload = runtime.cipher.decrypt_json(message.payload_enc)
    assert reply_from_dict(payload["replies"][0]) == \
        Text("Here is your meeting link.\n\nhttps://meet.example.org/j/42")
    assert payload["template"]["variables"] == ["Here is your meeting link.",
                                                "https://meet.example.org/j/42"]
    inbox = Inbox()
    Worker(runtime, senders={"webchat": inbox}).run_once()
    assert [d.recipient for d in inbox.received] == ["anna"]
    shown = staff.get(f"/staff/bookings/{booking_id}").text
    assert "Staff message" in shown and "Message queued" in shown


def test_a_bad_link_or_nothing_at_all_is_refused(runtime: Runtime, staff: FlaskClient) -> None:
    booking_id = zoom_refused(runtime, "anna", "webchat")
    assert "a meeting link is an https:// address" in \
        send(staff, booking_id, text="Hi", link="meet.example.org/j/42").text
    assert "write a message or give a meeting link" in send(staff, booking_id).text
    assert sent(runtime) == []


def test_nothing_can_be_written_to_the_terminal_chat(
        runtime: Runtime, staff: FlaskClient) -> None:
    booking_id = zoom_refused(runtime, "tess", "console")
    page = staff.get(f"/staff/bookings/{booking_id}/message").text
    assert "No message can be sent from here: this person uses the terminal chat" in page
    assert 'name="text"' not in page
    response = staff.post(f"/staff/bookings/{booking_id}/message",
                          data={"csrf_token": token_from(page), "nonce": "n", "text": "Hi"})
    assert "Nothing was sent: this person uses the terminal chat" in response.text
    assert sent(runtime) == []

"""People waiting for a human: oldest first, against the one-hour promise; replies go out."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlmodel import select

from bot.messages import reply_from_dict
from bot.models import HandoffRequest
from channels.delivery import Delivery
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage
from tests.dashboard.helpers import booking, handoff, token_from


class Inbox:
    """A channel's sender that keeps what it is given."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []

    def send(self, delivery: Delivery) -> str:
        self.received.append(delivery)
        return "id-1"


def outbox_rows(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_waiting_people_oldest_first_with_time_against_the_promise(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    now = clock()
    handoff(runtime, "late", now - timedelta(minutes=95), said="Nobody answers me",
            name="Omar Haddad")
    handoff(runtime, "fresh", now - timedelta(minutes=20), said="Can someone call me?",
            name="Lena Novak")
    page = staff.get("/staff/waiting").text
    assert page.index("Omar Haddad") < page.index("Lena Novak")
    assert "Waiting 1 h 35 min" in page and "over the one-hour promise" in page
    assert "Waiting 20 min" in page and "(within the promise)" in page
    # The transcript is decrypted for staff.
    assert "Nobody answers me" in page and "Can someone call me?" in page
    assert 'class="count" aria-label="2 waiting"' in page


def test_a_reply_is_queued_for_the_person_s_channel_once(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    request_id = handoff(runtime, "omar", clock() - timedelta(minutes=5))
    page = staff.get("/staff/waiting").text
    form = {"csrf_token": token_from(page), f"r{request_id}-text": "Hello Omar, this is Kate.",
            f"r{request_id}-nonce": "nonce-1"}
    assert staff.post(f"/staff/waiting/{request_id}/reply", data=form).status_code == 302
    staff.post(f"/staff/waiting/{request_id}/reply", data=form)  # a double click
    rows = outbox_rows(runtime)
    assert len(rows) == 1
    message = rows[0]
    assert (message.kind, message.channel, runtime.cipher.decrypt(message.recipient_enc or "")) \
        == ("staff_reply", "webchat", "omar")
    payload = runtime.cipher.decrypt_json(message.payload_enc)
    assert reply_from_dict(payload["replies"][0]).text == "Hello Omar, this is Kate."  # type: ignore[union-attr]
    assert payload["template"] == {  # outside WhatsApp's window: {{1}} the text, {{2}} a link
        "name": "notice",
        "variables": ["Hello Omar, this is Kate.", runtime.settings.company_website]}
    assert "Hello Omar" not in message.payload_enc  # encrypted at rest


def test_the_list_shows_why_a_reply_did_not_go(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    request_id = handoff(runtime, "omar", clock() - timedelta(minutes=5))
    page = staff.get("/staff/waiting").text
    staff.post(f"/staff/waiting/{request_id}/reply",
               data={"csrf_token": token_from(page), f"r{request_id}-text": "Hi",
                     f"r{request_id}-nonce": "n"})
    Worker(runtime, senders={}).run_once()  # a worker without the web chat's sender
    page = staff.get("/staff/waiting").text
    assert "failed" in page and "channel not configured" in page
    [message] = outbox_rows(runtime)
    again = staff.post(f"/staff/messages/{message.id}/retry",
                       data={"csrf_token": token_from(page),
                             "next": f"/staff/waiting#request-{request_id}"})
    assert again.headers["Location"] == f"/staff/waiting#request-{request_id}"
    inbox = Inbox()
    Worker(runtime, senders={"webchat": inbox}).run_once()
    assert [d.recipient for d in inbox.received] == ["omar"]
    assert outbox_rows(runtime)[0].status == "sent"
    assert "Try again" not in staff.get("/staff/waiting").text


def test_a_waiting_person_s_booking_is_linked(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    made = booking(runtime, "anna")
    with runtime.db.transaction() as session:
        session.add(HandoffRequest(conversation_id=made.conversation_id, requested_at=clock()))
    assert f'href="/staff/bookings/{made.id}"' in staff.get("/staff/waiting").text


def test_an_empty_reply_is_refused(runtime: Runtime, staff: FlaskClient,
                                   clock: ManualClock) -> None:
    request_id = handoff(runtime, "omar", clock())
    page = staff.get("/staff/waiting").text
    staff.post(f"/staff/waiting/{request_id}/reply",
               data={"csrf_token": token_from(page), f"r{request_id}-text": "  ",
                     f"r{request_id}-nonce": "n"})
    assert outbox_rows(runtime) == []


def test_resolving_takes_the_person_off_the_list(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    request_id = handoff(runtime, "omar", clock(), name="Omar Haddad")
    page = staff.get("/staff/waiting").text
    response = staff.post(f"/staff/waiting/{request_id}/resolve",
                          data={"csrf_token": token_from(page)})
    assert response.status_code == 302
    assert "Omar Haddad" not in staff.get("/staff/waiting").text
    with runtime.db.transaction() as session:
        request = session.exec(select(HandoffRequest)).one()
    assert request.resolved_at == clock()
    assert request.resolved_by == "staff@example.org"
    late = staff.post(f"/staff/waiting/{request_id}/reply",
                      data={"csrf_token": token_from(page), f"r{request_id}-text": "Hi",
                            f"r{request_id}-nonce": "n"})
    assert late.status_code == 404


def test_a_reply_to_the_terminal_chat_is_refused_up_front(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    request_id = handoff(runtime, "tess", clock(), channel="console", name="Tess Terminal")
    page = staff.get("/staff/waiting").text
    assert "Tess Terminal" in page and "the terminal chat" in page
    assert f'action="/staff/waiting/{request_id}/reply"' not in page  # no form to fill in
    refused = staff.post(f"/staff/waiting/{request_id}/reply",
                         data={"csrf_token": token_from(page), f"r{request_id}-text": "Hi",
                               f"r{request_id}-nonce": "n"})
    shown = staff.get(refused.headers["Location"]).text
    assert "The reply was not sent: this person uses the terminal chat" in shown
    assert "Reply queued" not in shown
    assert outbox_rows(runtime) == []


def test_a_reply_on_a_channel_without_settings_is_refused(
        runtime: Runtime, staff: FlaskClient, clock: ManualClock) -> None:
    request_id = handoff(runtime, "wanda", clock(), channel="whatsapp")
    page = staff.get("/staff/waiting").text
    assert "this server cannot send whatsapp messages" in page
    staff.post(f"/staff/waiting/{request_id}/reply",
               data={"csrf_token": token_from(page), f"r{request_id}-text": "Hi",
                     f"r{request_id}-nonce": "n"})
    assert outbox_rows(runtime) == []

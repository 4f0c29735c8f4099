"""The messages page: what could not be sent (staff alerts too), what still waits; no text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from booking.models import Booking
from bot.messages import Text, reply_to_dict
from bot.notices.reminders import reminder_key
from bot.notices.staff_alerts import AlertKind, alert_staff
from channels.email_sender import EmailSender
from channels.whatsapp.parsing import StatusReport
from channels.whatsapp.status import record_status
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from dashboard.messages import mask
from plumbing import outbox
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.settings import Settings, load_settings
from tests.dashboard.helpers import booking, token_from
from tests.dashboard.test_auth import staff_urls
from tests.fake_smtp import FakeSmtpServer

ALERTS_TO = "alerts@firm.org"
PHONE = "whatsapp:+447700900123"
REMINDER_TEXT = "Your consultation about the persecution case is tomorrow"


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer(username="alerts", password="s3cret") as server:
        yield server


@pytest.fixture
def settings(any_database_url: str, smtp: FakeSmtpServer) -> Settings:
    """Alerts by e-mail through a mail server that refuses our (wrong) password; every test
    runs on SQLite and on PostgreSQL (when ``TEST_POSTGRES_URL`` is set)."""
    return load_settings(database_url=any_database_url, data_encryption_key=new_key(),
                         cookie_secure=False, staff_timezone="Europe/Berlin",
                         staff_alert_emails=ALERTS_TO, smtp_host="127.0.0.1",
                         smtp_port=smtp.port, smtp_username="alerts", smtp_password="wrong",
                         smtp_from=f"Consultbot <{ALERTS_TO}>")


def rows(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def booked_with_alert(runtime: Runtime, user: str = PHONE, channel: str = "whatsapp") -> Booking:
    made = booking(runtime, user, channel=channel)
    with runtime.db.transaction() as session:
        assert alert_staff(session, runtime, kind=AlertKind.BOOKED,
                           booking=session.get(Booking, made.id), now=runtime.clock()) == 1
    return made


def remind(runtime: Runtime, made: Booking, hours: int, *, due_now: bool = False) -> None:
    """Queue the booking's reminder ``hours`` before it (or due at once)."""
    now = runtime.clock()
    with runtime.db.transaction() as session:
        assert outbox.enqueue(session, runtime.cipher, key=reminder_key(made, hours),
                              kind="reminder", channel=made.channel, recipient="+447700900123",
                              replies=[reply_to_dict(Text(REMINDER_TEXT))], now=now,
                              due_at=now if due_now else made.start - timedelta(hours=hours),
                              conversation_id=made.conversation_id)


def send_round(runtime: Runtime, smtp: FakeSmtpServer) -> None:
    """One worker round with the real mail sender (WhatsApp has no sender here)."""
    mail = EmailSender(runtime.settings, clock=runtime.clock,
                       ssl_context=smtp.certificate.client_context())
    Worker(runtime, senders={"email": mail}).run_once()


def test_the_page_needs_sign_in_and_is_in_the_every_url_check(
        app: Flask, client: FlaskClient) -> None:
    assert ("GET", "/staff/messages") in staff_urls(app)
    assert ("POST", "/staff/messages/1/retry") in staff_urls(app)
    response = client.get("/staff/messages?tab=waiting")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def test_a_failed_e_mail_alert_is_listed_with_its_reason(
        runtime: Runtime, staff: FlaskClient, smtp: FakeSmtpServer) -> None:
    made = booked_with_alert(runtime)
    send_round(runtime, smtp)
    [alert] = rows(runtime)
    assert alert.status == OutboxStatus.FAILED and alert.conversation_id is None
    page = staff.get("/staff/messages").text
    assert "Staff alert: new booking" in page
    assert ALERTS_TO in page  # a staff address, shown in full
    assert alert.last_error and "SMTP_PASSWORD" in alert.last_error
    assert alert.last_error in page
    assert f'href="/staff/bookings/{made.id}"' in page  # found through the alert's key
    assert 'class="count" aria-label="1 failed"' in page
    assert "New booking: Anna" not in page and "Anna" not in page  # the alert's text
    assert smtp.received == []


def test_a_person_s_recipient_is_masked_and_no_text_is_shown(
        runtime: Runtime, staff: FlaskClient, smtp: FakeSmtpServer, clock: ManualClock) -> None:
    made = booked_with_alert(runtime)
    send_round(runtime, smtp)
    clock.advance(timedelta(minutes=10))
    remind(runtime, made, 24, due_now=True)
    send_round(runtime, smtp)  # no WhatsApp sender: the reminder fails
    assert [r.status for r in rows(runtime)] == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    page = staff.get("/staff/messages").text
    assert "Reminder" in page and "channel not configured" in page
    assert PHONE not in page and "447700900123" not in page
    assert '<span class="visually-hidden">ending in </span>0123' in page
    assert REMINDER_TEXT not in page and "persecution" not in page
    assert page.count(f'href="/staff/bookings/{made.id}"') == 2
    assert 'aria-label="2 failed"' in page
    # Newest failure first: the reminder's try was due after the alert's.
    assert page.index("Reminder") < page.index("Staff alert")


def test_masking_keeps_only_a_short_tail() -> None:
    assert mask("whatsapp:+447700900123") == "0123"
    assert mask("5550001234") == "1234"
    assert mask("omar") == "ar"
    assert mask("7") == ""


def test_try_again_puts_it_back_in_the_queue_and_needs_its_token(
        runtime: Runtime, staff: FlaskClient, smtp: FakeSmtpServer) -> None:
    booked_with_alert(runtime)
    send_round(runtime, smtp)
    [alert] = rows(runtime)
    page = staff.get("/staff/messages").text
    assert f'action="/staff/messages/{alert.id}/retry"' in page
    refused = staff.post(f"/staff/messages/{alert.id}/retry",
                         data={"next": "/staff/messages?tab=failed"})
    assert refused.status_code == 400
    assert rows(runtime)[0].status == OutboxStatus.FAILED
    again = staff.post(f"/staff/messages/{alert.id}/retry",
                       data={"csrf_token": token_from(page), "next": "/staff/messages?tab=failed"})
    assert again.status_code == 302
    assert again.headers["Location"] == "/staff/messages?tab=failed"
    [queued] = rows(runtime)
    assert (queued.status, queued.attempts, queued.due_at) == \
        (OutboxStatus.PENDING, 0, runtime.clock())
    page = staff.get("/staff/messages").text
    assert "The message will be sent again." in page and "Every message has been sent" in page
    assert ALERTS_TO not in page and 'aria-label="1 failed"' not in page
    assert ALERTS_TO in staff.get("/staff/messages?tab=waiting").text


def test_the_waiting_tab_shows_a_pending_reminder_due_in_the_staff_zone(
        runtime: Runtime, staff: FlaskClient) -> None:
    made = booking(runtime, PHONE, channel="whatsapp")  # at least 12 hours ahead
    remind(runtime, made, 1)
    due = (made.start - timedelta(hours=1)).astimezone(ZoneInfo("Europe/Berlin"))
    assert due > runtime.clock()
    page = staff.get("/staff/messages?tab=waiting").text
    assert "Reminder" in page and "scheduled" in page
    assert f"{due.day} {due:%b %Y, %H:%M} {due.tzname()}" in page
    assert REMINDER_TEXT not in page and PHONE not in page
    assert f'href="/staff/bookings/{made.id}"' in page
    assert "Try again" not in page
    assert "Every message has been sent" in staff.get("/staff/messages").text


def test_a_whatsapp_report_of_non_delivery_is_listed_without_try_again(
        runtime: Runtime, staff: FlaskClient) -> None:
    made = booking(runtime, PHONE, channel="whatsapp")
    remind(runtime, made, 24)
    with runtime.db.transaction() as session:
        sent = session.exec(select(OutboxMessage)).one()
        sent.status, sent.provider_message_id = OutboxStatus.SENT, "SM1"
        sent.sent_at = runtime.clock()
        session.add(sent)
    assert record_status(runtime, StatusReport("SM1", "undelivered", "63016"))
    page = staff.get("/staff/messages").text
    assert "Twilio error 63016" in page and "undelivered" in page
    assert "sent, then reported undelivered" in page
    assert "/retry" not in page
    assert 'aria-label="1 failed"' in page

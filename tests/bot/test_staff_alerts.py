"""Staff alerts: a name, what happened, a time and a link, by Telegram and e-mail; nothing else."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from booking import service
from booking.models import Booking
from bot.engine import Bot
from bot.identifiers import new_conversation
from bot.messages import Inbound, Text
from bot.models import CaseFile
from bot.notices.staff_alerts import AlertKind, alert_staff, destinations
from channels.delivery import Delivery, DeliveryFailed
from channels.email_sender import EmailSender
from channels.email_sender import build_sender as build_email_sender
from channels.staff_telegram import StaffTelegramSender
from channels.staff_telegram import build_sender as build_staff_telegram_sender
from consultbot.registry import build_senders
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, OutboxStatus
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer
from tests.fake_smtp import FakeSmtpServer

START = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)  # Sunday 10:00 in London (summer time)
LATER = datetime(2026, 3, 30, 13, 30, tzinfo=UTC)  # Monday 14:30 in London
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
STAFF_CHAT = "-1001234567890"
CASE = {"role": "applicant", "name": "Anna Petrova", "origin": "RU", "asylum_country": "GB",
        "stage": "waiting", "represented": "no", "deadline": "none",
        "description": "Detained twice for anti-war posts", "email": "anna@example.com"}
SECRETS = ("Petrova", "anti-war", "anna@example.com", "Detained", "RU", "waiting")


#: This module's settings: long hours, both staff destinations, a public address.
SETTINGS: dict[str, object] = {
    "booking_weekly_hours": "mon-sun 08:00-20:00", "booking_buffer_minutes": 0,
    "booking_min_notice_hours": 0, "booking_horizon_days": 60,
    "telegram_staff_chat_id": STAFF_CHAT, "staff_alert_emails": "a@firm.org, b@firm.org",
    "public_base_url": "https://bot.example.org"}


@pytest.fixture
def make_runtime(make_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """The shared factory with this module's settings, at :data:`NOW`."""
    return lambda **overrides: make_runtime(clock_=ManualClock(NOW), **{**SETTINGS, **overrides})


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


def booked(runtime: Runtime, *, case: dict[str, str] | None = CASE) -> int:
    """A booking with its case, and the alert the booking flow raises in its transaction."""
    with runtime.db.transaction() as session:
        person = new_conversation(runtime.cipher, channel="telegram", user_id="77",
                                  state="menu", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        case_id = None
        if case is not None:
            case_file = CaseFile(conversation_id=person.id,
                                 payload_enc=runtime.cipher.encrypt_json(case),
                                 consent_at=NOW, created_at=NOW)
            session.add(case_file)
            session.flush()
            case_id = case_file.id
        booking = service.book(session, runtime.settings, NOW, conversation_id=person.id,
                               start=START, request_key="k1", channel="telegram",
                               language="en",
                               applicant_timezone="Asia/Tbilisi", case_id=case_id)
        assert alert_staff(session, runtime, kind=AlertKind.BOOKED, booking=booking, now=NOW) == \
            len(destinations(runtime))
        return booking.id  # type: ignore[return-value]


def moved(runtime: Runtime, booking_id: int, start: datetime = LATER) -> int:
    """Move the booking as the chat does, with the alert it raises in its transaction."""
    with runtime.db.transaction() as session:
        old = session.get(Booking, booking_id)
        assert old is not None
        new = service.reschedule(session, runtime.settings, NOW, booking_id=booking_id,
                                 conversation_id=old.conversation_id, start=start,
                                 request_key=f"move:{booking_id}")
        assert alert_staff(session, runtime, kind=AlertKind.MOVED, booking=new, now=NOW) == \
            len(destinations(runtime))
        return new.id  # type: ignore[return-value]


def messages(runtime: Runtime) -> list[tuple[OutboxMessage, str]]:
    with runtime.db.transaction() as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [(row, "\n".join(r["text"] for r in
                            runtime.cipher.decrypt_json(row.payload_enc)["replies"]))
            for row in rows]


def test_a_new_booking_alerts_every_destination_with_name_time_and_link(rt: Runtime) -> None:
    booking = booked(rt)
    found = messages(rt)
    assert [(m.channel, rt.cipher.decrypt(m.recipient_enc or ""), m.kind) for m, _ in found] == [
        ("staff_telegram", STAFF_CHAT, "staff_alert"), ("email", "a@firm.org", "staff_alert"),
        ("email", "b@firm.org", "staff_alert")]
    assert {text for _, text in found} == {
        "New booking: Anna, Sun 29 Mar 2026, 10:00 BST\n"
        f"Open the dashboard: https://bot.example.org/staff/bookings/{booking}"}


def test_a_moved_booking_is_one_alert_with_both_times(rt: Runtime) -> None:
    new = moved(rt, booked(rt))
    found = messages(rt)[3:]
    assert [(m.channel, rt.cipher.decrypt(m.recipient_enc or "")) for m, _ in found] == [
        ("staff_telegram", STAFF_CHAT), ("email", "a@firm.org"), ("email", "b@firm.org")]
    assert {text for _, text in found} == {
        "Booking moved: Anna, from Sun 29 Mar 2026, 10:00 BST to Mon 30 Mar 2026, 14:30 BST\n"
        f"Open the dashboard: https://bot.example.org/staff/bookings/{new}"}
    with rt.db.transaction() as session:
        assert alert_staff(session, rt, kind=AlertKind.MOVED, booking=session.get(Booking, new),
                           now=NOW) == 0  # the same move again: nothing new


def test_a_moved_alert_needs_a_moved_booking(rt: Runtime) -> None:
    booking_id = booked(rt)
    with rt.db.transaction() as session, pytest.raises(ValueError, match="replaced"):
        alert_staff(session, rt, kind=AlertKind.MOVED, booking=session.get(Booking, booking_id),
                    now=NOW)


def test_a_meeting_zoom_refused_asks_staff_for_a_link_by_hand(rt: Runtime) -> None:
    booking_id = booked(rt)
    with rt.db.transaction() as session:
        booking = session.get(Booking, booking_id)
        failed = AlertKind.MEETING_FAILED
        assert alert_staff(session, rt, kind=failed, booking=booking, now=NOW) == 3
        assert alert_staff(session, rt, kind=failed, booking=booking, now=NOW) == 0
    assert {text for _, text in messages(rt)[3:]} == {
        "Zoom refused the meeting for Anna at Sun 29 Mar 2026, 10:00 BST: please send a link "
        f"by hand\nOpen the dashboard: https://bot.example.org/staff/bookings/{booking_id}"}


def test_an_alert_carries_no_case_details(rt: Runtime) -> None:
    new = moved(rt, booked(rt))
    with rt.db.transaction() as session:
        alert_staff(session, rt, kind=AlertKind.MEETING_FAILED, booking=session.get(Booking, new),
                    now=NOW)
    found = messages(rt)
    assert {message.key.split(":")[1] for message, _ in found} == \
        {AlertKind.BOOKED, AlertKind.MOVED, AlertKind.MEETING_FAILED}
    for message, text in found:
        for secret in SECRETS:
            assert secret not in text
            assert secret not in message.key


def test_the_same_change_alerts_once(rt: Runtime) -> None:
    booking_id = booked(rt)
    with rt.db.transaction() as session:
        booking = session.get(Booking, booking_id)
        assert alert_staff(session, rt, kind=AlertKind.BOOKED, booking=booking, now=NOW) == 0
        booking = service.cancel(session, booking_id, NOW, by="applicant")
        assert alert_staff(session, rt, kind=AlertKind.CANCELLED, booking=booking, now=NOW) == 3
    texts = [text for _, text in messages(rt)]
    assert texts[-1].startswith("Booking cancelled: Anna, Sun 29 Mar 2026, 10:00 BST\n")
    assert len(texts) == 6


def test_time_in_the_staff_zone_and_a_relative_link_without_a_public_address(
        make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(staff_timezone="America/New_York",
                           public_base_url=None, staff_alert_emails=None)
    booking = booked(runtime, case=None)
    ((_, text),) = messages(runtime)
    assert text == ("New booking: A Telegram user, Sun 29 Mar 2026, 05:00 Eastern Daylight Time\n"
                    f"Open the dashboard: /staff/bookings/{booking}")
    runtime.db.dispose()


def test_no_destination_no_alert(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(telegram_staff_chat_id=None, staff_alert_emails=None)
    with runtime.db.transaction() as session:
        person = new_conversation(runtime.cipher, channel="telegram", user_id="1",
                                  state="menu", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        assert alert_staff(session, runtime, kind=AlertKind.HANDOFF, conversation=person,
                           now=NOW) == 0
    runtime.db.dispose()


def test_asking_for_a_person_in_the_chat_alerts_staff_once(rt: Runtime) -> None:
    bot = Bot(rt)
    bot.handle(Inbound("telegram", "501", "m1", text="/start", language_hint="en"))
    bot.handle(Inbound("telegram", "501", "m2", text="human"))
    bot.handle(Inbound("telegram", "501", "m3", text="human"))  # already waiting: no new alert
    found = messages(rt)
    assert len(found) == 3
    assert {text for _, text in found} == {
        "Asks for a member of staff: A Telegram user, Wed 25 Mar 2026, 12:00 GMT\n"
        "Open the dashboard: https://bot.example.org/staff/waiting"}


# -- e-mail ------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer(username="alerts", password="s3cret") as server:
        yield server


def mail_runtime(make_runtime: Callable[..., Runtime], smtp: FakeSmtpServer,
                 **overrides: object) -> Runtime:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_username": "alerts",
        "smtp_password": "s3cret", "smtp_from": "Consultbot <alerts@firm.org>",
        "telegram_staff_chat_id": None, **overrides}
    return make_runtime(**values)


def mail_sender(runtime: Runtime, smtp: FakeSmtpServer) -> EmailSender:
    return EmailSender(runtime.settings, clock=runtime.clock,
                       ssl_context=smtp.certificate.client_context())


def test_alerts_go_by_mail_over_starttls_with_login(make_runtime: Callable[..., Runtime],
                                                    smtp: FakeSmtpServer) -> None:
    runtime = mail_runtime(make_runtime, smtp)
    booking_id = _book_without_alert(runtime)
    with runtime.db.transaction() as session:
        alert_staff(session, runtime, kind=AlertKind.BOOKED,
                    booking=session.get(Booking, booking_id), now=NOW)
    worker = Worker(runtime, {"email": mail_sender(runtime, smtp)})
    assert worker.drain() == 2
    assert [(r.sender, r.recipients, r.over_tls, r.user) for r in smtp.received] == [
        ("alerts@firm.org", ["a@firm.org"], True, "alerts"),
        ("alerts@firm.org", ["b@firm.org"], True, "alerts")]
    mail = smtp.received[0].message
    assert mail["Subject"] == "New booking: Anna, Sun 29 Mar 2026, 10:00 BST"
    assert mail["To"] == "a@firm.org"
    assert mail.get_content().strip() == \
        f"Open the dashboard: https://bot.example.org/staff/bookings/{booking_id}"
    stored = [m for m, _ in messages(runtime)]
    assert [m.status for m in stored] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert stored[0].provider_message_id == mail["Message-ID"]
    runtime.db.dispose()


def _book_without_alert(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        person = new_conversation(runtime.cipher, channel="telegram", user_id="88",
                                  state="menu", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        case = CaseFile(conversation_id=person.id, payload_enc=runtime.cipher.encrypt_json(CASE),
                        consent_at=NOW, created_at=NOW)
        session.add(case)
        session.flush()
        return service.book(session, runtime.settings, NOW, conversation_id=person.id,
                            start=START, request_key="k2", channel="telegram",
                            language="en", applicant_timezone="Europe/London",
                            case_id=case.id).id  # type: ignore[return-value]


def delivery(key: str = "staff:x:email:1", to: str = "a@firm.org") -> Delivery:
    return Delivery(key=key, kind="staff_alert", recipient=to,
                    replies=(Text("Subject line\nBody line"),))


def test_a_resent_mail_has_the_same_message_id(make_runtime: Callable[..., Runtime],
                                               smtp: FakeSmtpServer) -> None:
    runtime = mail_runtime(make_runtime, smtp)
    sender = mail_sender(runtime, smtp)
    first, again, other = (sender.send(delivery()), sender.send(delivery()),
                           sender.send(delivery("staff:y:email:1")))
    assert first == again != other
    assert first is not None and first.endswith("@firm.org>")
    runtime.db.dispose()


def test_mail_failures_are_classified(make_runtime: Callable[..., Runtime],
                                      smtp: FakeSmtpServer) -> None:
    runtime = mail_runtime(make_runtime, smtp)
    sender = mail_sender(runtime, smtp)
    smtp.refused.add("gone@firm.org")
    with pytest.raises(DeliveryFailed) as refused:
        sender.send(delivery(to="gone@firm.org"))
    assert (refused.value.permanent, refused.value.reason) == \
        (True, "the mail server refused the address")
    smtp.fail_next("DATA", "451 4.3.0 try again later")
    with pytest.raises(DeliveryFailed) as later:
        sender.send(delivery())
    assert (later.value.permanent, later.value.reason) == \
        (False, "the mail server answered 451")
    wrong = EmailSender(mail_runtime(make_runtime, smtp, smtp_password="nope").settings,
                        ssl_context=smtp.certificate.client_context())
    with pytest.raises(DeliveryFailed) as login:
        wrong.send(delivery())
    assert login.value.permanent and "SMTP_PASSWORD" in login.value.reason
    untrusting = EmailSender(runtime.settings)  # the system's CAs do not know the fake
    with pytest.raises(DeliveryFailed) as certificate:
        untrusting.send(delivery())
    assert certificate.value.reason == "the mail server's certificate is not trusted"
    assert smtp.received == []
    runtime.db.dispose()


def test_an_unreachable_mail_server_is_retried_then_failed_with_the_reason(
        make_runtime: Callable[..., Runtime], smtp: FakeSmtpServer) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    runtime = mail_runtime(make_runtime, smtp, smtp_port=closed_port, outbox_max_attempts=3,
                           staff_alert_emails="a@firm.org")
    _book_and_alert(runtime)
    worker = Worker(runtime, {"email": mail_sender(runtime, smtp)})
    for _ in range(3):
        worker.drain()
        runtime.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    ((message, _),) = messages(runtime)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)
    assert message.last_error == \
        "mail server unreachable: ConnectionRefusedError (gave up after 3 attempts)"
    runtime.db.dispose()


def _book_and_alert(runtime: Runtime) -> None:
    booking_id = _book_without_alert(runtime)
    with runtime.db.transaction() as session:
        alert_staff(session, runtime, kind=AlertKind.BOOKED,
                    booking=session.get(Booking, booking_id), now=NOW)


# -- the staff Telegram chat -------------------------------------------------------------


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as server:
        yield server


def test_alerts_reach_the_staff_telegram_chat(make_runtime: Callable[..., Runtime],
                                              telegram: FakeTelegramServer) -> None:
    runtime = make_runtime(telegram_bot_token=TOKEN, staff_alert_emails=None,
                           telegram_api_base_url=telegram.base_url)
    senders = build_senders(runtime)
    assert isinstance(senders["staff_telegram"], StaffTelegramSender)
    _book_and_alert(runtime)
    assert Worker(runtime, {"staff_telegram": senders["staff_telegram"]}).drain() == 1
    (sent,) = telegram.api.sent(int(STAFF_CHAT))
    assert sent["text"].startswith("New booking: Anna, Sun 29 Mar 2026, 10:00 BST\n")
    ((message, _),) = messages(runtime)
    assert (message.status, message.provider_message_id) == \
        (OutboxStatus.SENT, str(sent["message_id"]))
    runtime.db.dispose()


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter
def test_staff_telegram_failures_are_classified(telegram: FakeTelegramServer) -> None:
    sender = StaffTelegramSender(telegram.base_url, TOKEN)
    item = delivery(to=STAFF_CHAT)
    telegram.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 5",
                           retry_after=5)
    with pytest.raises(DeliveryFailed) as limited:
        sender.send(item)
    assert (limited.value.retry_after, limited.value.permanent) == (5.0, False)
    telegram.api.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    with pytest.raises(DeliveryFailed) as kicked:
        sender.send(item)
    assert kicked.value.permanent and not kicked.value.unreachable
    assert "bot was kicked" in kicked.value.reason
    telegram.api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(DeliveryFailed) as gateway:
        sender.send(item)
    assert not gateway.value.permanent
    with pytest.raises(DeliveryFailed) as token:
        StaffTelegramSender(telegram.base_url, "999:wrong").send(item)
    assert token.value.permanent and "TELEGRAM_BOT_TOKEN" in token.value.reason
    assert sender.send(item) is not None


def test_an_unreachable_telegram_never_shows_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = StaffTelegramSender(f"http://127.0.0.1:{port}/bot", TOKEN)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(delivery(to=STAFF_CHAT))
    assert failed.value.reason == "Telegram unreachable: ConnectError"
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_senders_are_built_only_when_configured(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    assert build_email_sender(runtime) is None  # no SMTP_HOST / SMTP_FROM
    assert build_staff_telegram_sender(runtime) is None  # a chat id but no bot token
    runtime.db.dispose()

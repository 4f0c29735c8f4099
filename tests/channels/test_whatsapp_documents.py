"""Documents the bot holds as bytes reach WhatsApp users: the calendar file as a link they can
tap (WhatsApp takes no text/calendar media), a PDF as media. Through the signed webhook and
through the outbox's sender against a fake Twilio; every URL is then fetched from the app."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import select

from booking.models import Booking, BookingStatus
from bot.messages import Document, Text
from channels.delivery import Delivery
from channels.whatsapp.documents import as_media, publish_documents
from channels.whatsapp.sender import WhatsAppSender, build_sender
from consultbot.runtime import Runtime
from consultbot.web import create_app
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    FakeTwilioApi,
    TwilioWebhooks,
    twiml_bodies,
    twiml_media,
)
from tests.channels.test_whatsapp_conversation import ANNA, DESCRIPTION, Phone

_FILE_URL = re.compile(re.escape(PUBLIC_BASE_URL) + r"/files/[A-Za-z0-9_-]{43}/[A-Za-z0-9._-]+")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


#: What this module turns on, for every runtime it makes.
SETTINGS: dict[str, object] = {
    "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
    "twilio_whatsapp_from": SENDER, "public_base_url": PUBLIC_BASE_URL}


@pytest.fixture
def make_runtime(make_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """The shared factory with :data:`SETTINGS`."""
    return lambda **overrides: make_runtime(**{**SETTINGS, **overrides})


@pytest.fixture
def fake() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER) as api:
        yield api


def fetch(app: Flask, url: str) -> tuple[bytes, str]:
    """What Twilio (or the person's phone) gets from a URL we sent: body and type."""
    assert url.startswith(f"{PUBLIC_BASE_URL}/files/"), url
    response = app.test_client().get(urlsplit(url).path)
    assert response.status_code == 200, url
    return response.data, response.headers["Content-Type"]


def file_urls(text_: str) -> list[str]:
    return _FILE_URL.findall(text_)


def calendar_fields(ics: bytes) -> dict[str, str]:
    """The VEVENT's properties of a calendar file (unfolded), by name without parameters."""
    unfolded = ics.decode().replace("\r\n ", "").replace("\r\n\t", "")
    lines = unfolded.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    event = lines[lines.index("BEGIN:VEVENT") + 1:lines.index("END:VEVENT")]
    return {line.split(":", 1)[0].split(";", 1)[0]: line.split(":", 1)[1] for line in event}


def shared_rows(runtime: Runtime) -> int:
    with runtime.db.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM shared_file")).scalar_one())


def the_booking(runtime: Runtime) -> Booking:
    with runtime.db.transaction() as session:
        return session.exec(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)).one()


def book_over_whatsapp(phone: Phone) -> str:
    """Greeting to a confirmed booking; returns the last answer (the confirmation)."""
    phone.send("Hello")
    phone.choose("Continue in English")
    phone.choose("Book free consultation")
    phone.choose("I am the applicant")
    for answer in ("Anna Petrova", "Russia", "Germany", "Applied, waiting"):
        phone.send(answer)
    phone.choose("Yes")
    for answer in ("Smith & Partners LLP", "15.06.2026", DESCRIPTION, "anna@example.com"):
        phone.send(answer)
    phone.choose("Yes, I agree")
    phone.choose("Confirm")
    phone.choose("Yes, that is right")
    phone.choose(next(iter(phone.options())))  # the first day
    phone.choose(next(iter(phone.options())))  # its first time
    return phone.choose("Confirm")


def assert_is_the_bookings_calendar(ics: bytes, booking: Booking) -> None:
    fields = calendar_fields(ics)
    assert fields["UID"] == booking.ics_uid
    assert fields["DTSTART"] == booking.start.strftime("%Y%m%dT%H%M%SZ")


def test_a_booking_ends_with_its_calendar_file_one_tap_away(make_runtime: Callable[..., Runtime],
                                                            clock: ManualClock) -> None:
    runtime = make_runtime()  # no Zoom: the calendar comes in the chat
    try:
        app = create_app(runtime)
        phone = Phone(TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL), ANNA,
                      runtime.clock)  # type: ignore[arg-type]
        confirmed = book_over_whatsapp(phone)
        assert "booked" in confirmed
        response = phone.twilio.post("/webhooks/whatsapp", phone.last_fields)
        twiml = response.data
        # text/calendar is no WhatsApp media type: the caption with the link, as text.
        assert twiml_media(twiml) == []
        [url] = file_urls(confirmed)
        assert url.endswith("/consultation.ics")
        assert f"Add the consultation to your calendar\n{url}" in confirmed
        ics, content_type = fetch(app, url)
        assert content_type == "text/calendar; charset=utf-8"
        assert_is_the_bookings_calendar(ics, the_booking(runtime))
        # Twilio retried "Confirm" above: the same answer, the same URL, one stored file.
        assert "\n\n".join(twiml_bodies(twiml)) == confirmed
        assert shared_rows(runtime) == 1
    finally:
        runtime.db.dispose()


def test_the_link_message_sent_later_carries_the_calendar_link(
        make_runtime: Callable[..., Runtime], clock: ManualClock, fake: FakeTwilioApi) -> None:
    runtime = make_runtime(twilio_api_base_url=fake.base_url,
                           zoom_fallback_link="https://zoom.us/j/5551234567")
    try:
        app = create_app(runtime)
        phone = Phone(TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL), ANNA,
                      runtime.clock)  # type: ignore[arg-type]
        confirmed = book_over_whatsapp(phone)
        assert file_urls(confirmed) == []  # the link and the calendar follow
        worker = Worker(runtime)
        worker.tick()  # creates the meeting and queues the link message
        worker.tick()  # sends it
        bodies = [m.get("Body", "") for m in fake.messages]
        [url] = [u for body in bodies for u in file_urls(body)]
        assert any("https://zoom.us/j/5551234567" in body for body in bodies)
        assert all(m["MediaUrl"] == [] for m in fake.messages)
        ics, _ = fetch(app, url)
        booking = the_booking(runtime)
        assert_is_the_bookings_calendar(ics, booking)
        assert "zoom.us/j/5551234567" in ics.decode().replace("\r\n ", "")
    finally:
        runtime.db.dispose()


def test_the_sender_sends_a_pdf_as_media_with_its_caption(
        make_runtime: Callable[..., Runtime], clock: ManualClock, fake: FakeTwilioApi) -> None:
    runtime = make_runtime(twilio_api_base_url=fake.base_url)
    try:
        sender = build_sender(runtime)
        assert isinstance(sender, WhatsAppSender)
        report = Document("Sample report.pdf", "Sample expert witness report",
                          "application/pdf", content=PDF)
        sender.send(Delivery(key="documents:1", kind="reply", recipient=ANNA,
                             replies=(Text("Here it is."), report),
                             last_inbound_at=clock()))
        first, second = fake.messages
        assert first["Body"] == "Here it is." and first["MediaUrl"] == []
        assert second["Body"] == "Sample expert witness report"
        [url] = second["MediaUrl"]
        assert url.endswith("/Sample-report.pdf")
        assert fetch(create_app(runtime), url) == (PDF, "application/pdf")
    finally:
        runtime.db.dispose()


def test_the_webhook_sends_a_local_sample_report_as_media(
        make_runtime: Callable[..., Runtime], tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    runtime = make_runtime(sample_report=str(report))
    try:
        app = create_app(runtime)
        phone = Phone(TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL), ANNA,
                      runtime.clock)  # type: ignore[arg-type]
        phone.send("Hello")
        phone.choose("Continue in English")
        options = phone.options()
        [label] = [label for label in options if "sample" in label.lower()]
        phone.choose(label)
        response = phone.twilio.post("/webhooks/whatsapp", phone.last_fields)
        [url] = twiml_media(response.data)
        assert "Sample expert witness report" in twiml_bodies(response.data)
        assert fetch(app, url) == (PDF, "application/pdf")
    finally:
        runtime.db.dispose()


def test_which_documents_go_as_media() -> None:
    assert as_media(Document("r.pdf", "", "application/pdf", content=PDF))
    assert as_media(Document("card.vcf", "", content=b"BEGIN:VCARD"))
    assert not as_media(Document("c.ics", "", "text/calendar", content=b"BEGIN:VCALENDAR"))
    assert not as_media(Document("big.png", "", "image/png", content=b"\0" * (5 * 2**20 + 1)))
    # Without a publisher (or for a file too large to publish) only the caption is sent.
    invite = Document("c.ics", "Add it", "text/calendar", content=b"BEGIN:VCALENDAR")
    assert publish_documents([invite], None) == [invite]
    huge = Document("h.pdf", "Huge", "application/pdf", content=b"\0" * (16 * 2**20 + 1))
    assert publish_documents([huge], lambda d: "https://x/never") == [huge]

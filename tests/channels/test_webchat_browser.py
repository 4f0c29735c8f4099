"""The web chat in a real headless Chromium on a phone: the demo page, a booking made with
the buttons (with a reload in the middle), the Zoom link and a staff reply arriving in the
open page, and Arabic turning the panel right-to-left.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the ``playwright`` package; skipped
without them unless ``REQUIRE_BROWSER`` is set. Screenshots: ``docs/screenshots/webchat-*``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from booking.models import Booking, BookingStatus
from bot.identifiers import address_of
from bot.models import Conversation
from channels.webchat.models import WebchatMessage
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.crypto import new_key
from plumbing.outbox import enqueue
from plumbing.settings import Settings, load_settings
from tests.dashboard.helpers import PASSWORD, add_staff
from tests.fixtures import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ZOOM_LINK = "https://zoom.us/j/5550001234"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}

if not CHROMIUM.exists() and not os.environ.get("REQUIRE_BROWSER"):
    pytest.skip("no /usr/bin/chromium (set REQUIRE_BROWSER to make this a failure)",
                allow_module_level=True)

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Plain http, and a fixed Zoom link so bookings get a meeting without Zoom's servers."""
    return load_settings(database_url=database_url, data_encryption_key=new_key(),
                         cookie_secure=False, zoom_fallback_link=ZOOM_LINK,
                         webchat_stream_seconds=2, webchat_rate_limit_session="100/minute")


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    """The real app under waitress on a free local port, in a thread."""
    with live_server(runtime, threads=6) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module's tests (a launch is a second of CPU); each test opens
    contexts of its own. Not for the session: Playwright's sync API keeps an event loop
    running, which other tests' ``asyncio`` refuses."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"webchat-{name}.png"))


class Chat:
    """The person's side: the panel of the widget on the demo page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.panel = page.get_by_role("dialog")
        self.log = page.get_by_role("log")

    def tap(self, label: str) -> None:
        """Press the button of the latest question."""
        group = self.log.get_by_role("group").last
        button = group.get_by_role("button", name=label, exact=True)
        expect(button).to_be_enabled()
        button.click()

    def tap_first(self) -> str:
        button = self.log.get_by_role("group").last.get_by_role("button").first
        expect(button).to_be_enabled()
        label = button.inner_text()
        button.click()
        return label

    def write(self, text: str) -> None:
        box = self.page.get_by_role("textbox", name="Your message")
        box.fill(text)
        box.press("Enter")

    def last_says(self, text: str) -> None:
        expect(self.log.locator(".cbw-out").last).to_contain_text(text)

    def message(self, text: str) -> Locator:
        return self.log.locator(".cbw-msg").filter(has_text=text)


def test_a_booking_on_a_phone_with_a_reload_a_staff_reply_and_arabic(
        runtime: Runtime, browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, **PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/chat?lang=en")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_visible()
    shot(page, "01-demo-page")
    launcher.click()
    chat = Chat(page)
    expect(chat.panel).to_be_visible()
    expect(page.get_by_role("textbox", name="Your message")).to_be_focused()
    box = chat.panel.bounding_box()
    assert box is not None and box["width"] == 390  # the whole phone screen
    expect(chat.log).to_have_attribute("aria-live", "polite")
    chat.last_says("Which language do you prefer?")
    shot(page, "02-welcome")

    chat.tap("Continue in English")
    expect(page.get_by_role("textbox", name="Your message")).to_be_focused()  # focus kept
    chat.tap("Book free consultation")
    chat.tap("I am the applicant")
    chat.last_says("What is your full name?")
    chat.write("Anna Petrova")
    chat.last_says("Which country are you from?")
    chat.write("Russia")
    chat.last_says("In which country are you claiming asylum?")
    chat.write("United Kingdom")
    chat.tap("Applied, waiting")
    chat.tap("Yes")
    chat.last_says("name of your lawyer")
    chat.write("Smith & Partners LLP")
    shot(page, "03-intake")

    page.reload()  # in the middle of the intake: the chat comes back as it was
    chat = Chat(page)
    expect(chat.panel).to_be_visible()
    expect(chat.message("Smith & Partners LLP")).to_have_count(1)
    chat.last_says("Is there a deadline or a hearing date?")
    shot(page, "04-after-reload")
    chat.write("15.06.2026")
    chat.last_says("describe the case")
    chat.write("I was persecuted for my political views and need an expert report.")
    chat.last_says("email address")
    chat.write("anna@example.com")
    chat.last_says("May we keep these details")
    chat.tap("Yes, I agree")
    chat.tap("Confirm")
    chat.tap("Yes, that is right")
    chat.last_says("Choose a day")
    chat.tap_first()
    chat.last_says("choose a time")
    chat.tap_first()
    chat.tap("Confirm")
    expect(chat.message("Your free consultation is booked")).to_have_count(1)
    with runtime.db.transaction() as session:
        booking = session.exec(select(Booking)).one()
    assert booking.status == BookingStatus.CONFIRMED and booking.channel == "webchat"
    shot(page, "05-booked")

    worker = Worker(runtime)  # the real senders: the web chat's among them
    worker.tick()  # the meeting is made and its link sent, as `consultbot serve` does
    expect(chat.message(ZOOM_LINK)).to_have_count(1)
    expect(chat.log.get_by_role("link", name=ZOOM_LINK)).to_have_attribute("href", ZOOM_LINK)
    calendar = chat.log.get_by_role("link", name=re.compile(r"\.ics$"))
    href = calendar.get_attribute("href")
    assert href and href.startswith(f"{base_url}/files/")
    downloaded = page.request.get(href)
    assert downloaded.ok and b"BEGIN:VCALENDAR" in downloaded.body()
    shot(page, "06-zoom-link")

    chat.tap("Talk to a person")
    expect(chat.message("A member of our team will answer you here")).to_have_count(1)
    add_staff(runtime)
    staff = browser.new_context(base_url=base_url).new_page()
    staff.goto("/staff/waiting")
    staff.get_by_label("E-mail").fill("staff@example.org")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff).to_have_url(f"{base_url}/staff/waiting")
    card = staff.locator("article").filter(has_text="Anna Petrova")
    card.get_by_label("Your reply").fill("Hello Anna, this is Maria. We have your case.")
    card.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_role("status")).to_contain_text("Reply queued")
    worker.tick()
    reply = chat.message("Hello Anna, this is Maria")
    expect(reply).to_have_count(1, timeout=10_000)  # streamed into the open page
    expect(page.get_by_role("heading", name="Chat with us")).to_be_in_viewport()
    shot(page, "07-staff-reply")

    chat.write("language")
    chat.last_says("Choose your language")
    chat.tap("العربية")
    widget = page.locator(".cbw")
    expect(widget).to_have_attribute("dir", "rtl")
    expect(widget).to_have_attribute("lang", "ar")
    assert chat.panel.evaluate("panel => getComputedStyle(panel).direction") == "rtl"
    expect(page.get_by_role("button", name="إرسال")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="تحدث معنا")).to_be_in_viewport()
    panel_box, send_box = chat.panel.bounding_box(), page.get_by_role(
        "button", name="إرسال").bounding_box()
    assert panel_box and send_box and send_box["x"] < panel_box["width"] / 2  # mirrored
    shot(page, "08-arabic-rtl")

    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(page.get_by_role("button", name="تحدث معنا", exact=True)).to_be_focused()

    # Closed, the page does not listen; a reminder waits, unread, for the next visit.
    with runtime.db.transaction() as session:
        person = session.get(Conversation, booking.conversation_id)
        assert person is not None
        enqueue(session, runtime.cipher, key="reminder:test", kind="reminder",
                channel="webchat", recipient=address_of(runtime.cipher, person) or "",
                replies=[{"kind": "text", "text": "تذكير: استشارتك غدًا."}],
                now=runtime.clock(), conversation_id=booking.conversation_id)
    worker.tick()
    page.goto("/chat?lang=ar")
    launcher = page.get_by_role("button", name="تحدث معنا – رسالة جديدة: 1")
    expect(launcher).to_contain_text("1")
    shot(page, "09-unread-badge")
    launcher.click()
    expect(chat.message("تذكير: استشارتك غدًا.")).to_have_count(1)
    for _ in range(50):  # the page tells the server it has shown it
        if not _unread(runtime):
            break
        page.wait_for_timeout(100)
    assert _unread(runtime) == []
    assert requested and all(url.startswith(base_url) for url in requested)
    staff.context.close()  # left open, its connection kept the server from stopping for 10 s
    context.close()


def _unread(runtime: Runtime) -> list[WebchatMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(WebchatMessage).where(
            WebchatMessage.read_at.is_(None))).all())  # type: ignore[union-attr]


def test_without_event_source_the_page_long_polls(
        runtime: Runtime, browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, **PHONE)  # type: ignore[arg-type]
    context.add_init_script("delete window.EventSource;")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/chat?lang=ru")
    page.get_by_role("button", name="Напишите нам").click()
    chat = Chat(page)
    chat.tap("Продолжить по-русски")
    chat.last_says("Чем мы можем помочь?")
    with runtime.db.transaction() as session:
        conversation = session.exec(select(Conversation)).one()
        enqueue(session, runtime.cipher, key="staff_reply:9:poll", kind="staff_reply",
                channel="webchat", recipient=address_of(runtime.cipher, conversation) or "",
                replies=[{"kind": "text", "text": "Здравствуйте, это Мария."}],
                now=runtime.clock(), conversation_id=conversation.id)
    Worker(runtime).tick()
    expect(chat.message("Здравствуйте, это Мария.")).to_have_count(1, timeout=10_000)
    assert any("/webchat/api/poll" in url for url in requests)
    assert all("/webchat/api/events" not in url for url in requests)
    context.close()

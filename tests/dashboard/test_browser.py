"""End to end in a real headless Chromium: a chat books, staff sign in, find it, cancel it,
and the applicant's channel receives the cancellation; then every page on a desktop and a
phone screen.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the ``playwright`` package; it is
skipped without them unless ``REQUIRE_BROWSER`` is set (CI sets it, so there it fails).
Screenshots of the cancel walk-through are kept in ``artifacts/screenshots/``; those of the
pages, referenced from the README, in ``docs/screenshots/dashboard-*.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from booking.models import Booking, BookingStatus
from bot.engine import Bot
from bot.messages import Choices, Inbound, Text
from bot.models import Conversation, HandoffRequest
from channels.console import ConsoleChannel
from channels.delivery import Delivery, DeliveryFailed
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.settings import Settings, load_settings
from tests.dashboard.helpers import PASSWORD, add_staff
from tests.fixtures import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ZOOM_LINK = "https://zoom.us/j/5550001234"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

if not CHROMIUM.exists() and not os.environ.get("REQUIRE_BROWSER"):
    pytest.skip("no /usr/bin/chromium (set REQUIRE_BROWSER to make this a failure)",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

#: The person's side of the chat: intake, then a time zone, a day, a time and confirmation.
CHAT = ["/start", "Continue in English", "book", "I am the applicant", "Anna Petrova", "Russia",
        "United Kingdom", "Applied, waiting", "yes", "Smith & Partners LLP", "15.06.2026",
        "I was persecuted for my political views and need an expert report.",
        "anna@example.com", "Yes, I agree", "Confirm", "Yes, that is right", "1", "1",
        "Confirm"]


class ConsoleInbox:
    """The applicant's console channel, as the outbox worker's sender: keeps what arrives."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []

    def send(self, delivery: Delivery) -> str | None:
        self.received.append(delivery)
        return f"console-{len(self.received)}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Plain http, and a fixed Zoom link so bookings get a meeting without Zoom's servers."""
    return load_settings(database_url=database_url, data_encryption_key=new_key(),
                         cookie_secure=False, zoom_fallback_link=ZOOM_LINK)


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    """The real app under waitress on a free local port, in a thread."""
    with live_server(runtime, threads=4) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module's tests (a launch is a second of CPU); each test has a
    context of its own, so no cookie or storage passes between them. Not for the session:
    Playwright's sync API keeps an event loop running, which other tests' ``asyncio`` refuses."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_staff_cancel_a_booking_made_in_the_chat(
        runtime: Runtime, page: Page, base_url: str) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    answers = [chat.send(line) for line in CHAT]
    assert "Your free consultation is booked" in answers[-1]
    inbox = ConsoleInbox()
    worker = Worker(runtime, senders={"console": inbox})
    worker.tick()  # the meeting is made and its link sent, as `consultbot serve` does
    assert [d.kind for d in inbox.received] == ["meeting_link"]
    add_staff(runtime)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/staff/bookings")
    expect(page).to_have_url(f"{base_url}/staff/login?next=/staff/bookings")
    shot(page, "01-sign-in")
    page.get_by_label("E-mail").fill("staff@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{base_url}/staff/bookings")
    row = page.get_by_role("row").filter(has_text="Anna Petrova")
    expect(row).to_contain_text("Russia (RU)")
    expect(row).to_contain_text("Applied, waiting")
    expect(row).to_contain_text("confirmed")
    expect(row.get_by_role("link", name="Join")).to_have_attribute("href", ZOOM_LINK)
    shot(page, "02-bookings-list")

    page.get_by_role("link", name="Anna Petrova", exact=True).click()
    expect(page.get_by_role("heading", name="Anna Petrova")).to_be_visible()
    case = page.get_by_role("region", name="Case details")
    expect(case).to_contain_text("I was persecuted for my political views")
    expect(case).to_contain_text("Smith & Partners LLP")
    expect(case).to_contain_text("anna@example.com")
    transcript = page.get_by_role("region", name="Conversation")
    expect(transcript).to_contain_text("Your free consultation is booked")
    expect(transcript).not_to_contain_text("Which language do you prefer?")  # only the latest
    shot(page, "03-booking-page")
    page.get_by_role("link", name="Show the whole conversation").click()
    expect(transcript).to_contain_text("Which language do you prefer?")
    expect(transcript).to_contain_text("Smith & Partners LLP")  # what she typed, decrypted
    shot(page, "03b-booking-whole-conversation")

    page.get_by_label("Reason (for staff; not sent to the applicant)").fill("Consultant ill")
    page.get_by_label("Yes, cancel this consultation and tell the applicant").check()
    page.get_by_role("button", name="Cancel consultation").click()
    expect(page.get_by_role("status")).to_contain_text("Booking cancelled")
    expect(page.locator("p .status")).to_have_text("cancelled")
    shot(page, "04-booking-cancelled")

    worker.tick()
    notices = [d for d in inbox.received if d.kind == "cancellation"]
    assert [d.recipient for d in notices] == ["anna"]
    text = notices[0].replies[0]
    assert isinstance(text, Text) and "cancel your free consultation" in text.text
    with runtime.db.transaction() as session:
        booked = session.exec(select(Booking)).one()
        sent = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "cancellation")).one()
    assert booked.status == BookingStatus.CANCELLED and sent.status == OutboxStatus.SENT

    page.reload()
    expect(page.get_by_role("region", name="Messages about this booking")).to_contain_text(
        "Cancellation")
    shot(page, "05-booking-notice-sent")
    page.goto("/staff/bookings?tab=cancelled")
    expect(page.get_by_role("row").filter(has_text="Anna Petrova")).to_contain_text("cancelled")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto("/staff/bookings?tab=cancelled")
    shot(page, "06-bookings-on-a-phone")
    assert requested and all(url.startswith(base_url) for url in requested)


class GoneVisitor:
    """The web chat's far side when the visitor's session has ended: every send refused."""

    def send(self, delivery: Delivery) -> str | None:
        raise DeliveryFailed("the visitor's chat session has ended", permanent=True)


def someone_waiting(runtime: Runtime) -> None:
    """A web-chat visitor greets the bot, presses a button, and asks for a person."""
    bot = Bot(runtime)
    replies = bot.handle(Inbound(channel="webchat", user_id="visitor-1", message_id="w1",
                                 text="Hello, I need help with my appeal"))
    question = next(r for r in replies if isinstance(r, Choices))
    bot.handle(Inbound(channel="webchat", user_id="visitor-1", message_id="w2",
                       choice_id=question.choices[0].id, choice_token=question.token or None))
    with runtime.db.transaction() as session:
        conversation = session.exec(select(Conversation).where(
            Conversation.channel == "webchat")).one()
        session.add(HandoffRequest(conversation_id=conversation.id, reason="human",
                                   requested_at=runtime.clock()))


def test_every_page_on_a_desktop_and_a_phone(
        runtime: Runtime, page: Page, base_url: str) -> None:
    chat = ConsoleChannel(Bot(runtime), "anna")
    assert "Your free consultation is booked" in [chat.send(line) for line in CHAT][-1]
    worker = Worker(runtime, senders={"console": ConsoleInbox(), "webchat": GoneVisitor()})
    worker.tick()
    someone_waiting(runtime)
    add_staff(runtime)

    def shots(name: str) -> None:
        for screen, size in SCREENS.items():
            page.set_viewport_size(size)
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SCREENSHOTS / f"dashboard-{name}-{screen}.png"),
                            full_page=True)
        page.set_viewport_size(SCREENS["desktop"])

    front = page.goto("/")
    if front is not None and front.ok:  # the front door, where this version has one
        shots("front-door")
    page.goto("/staff/login")
    shots("sign-in")
    page.get_by_label("E-mail").fill("staff@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/staff/bookings")
    shots("bookings")
    page.get_by_role("link", name="Anna Petrova", exact=True).click()
    expect(page.get_by_role("heading", name="Anna Petrova")).to_be_visible()
    shots("booking")

    page.goto("/staff/waiting")
    person = page.locator("article.waiting")
    expect(person).to_contain_text("Applicant pressed a button")
    person.get_by_label("Your reply").fill("Hello, this is Kate from the team. How can I help?")
    person.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply queued")
    worker.tick()  # the visitor has gone: the reply fails, and says why
    page.reload()
    again = page.locator("article.waiting").get_by_role("button", name="Try again")
    expect(again).to_be_visible()
    colour, background = again.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b.closest('.card')).backgroundColor]")
    assert colour != background, "Try again is drawn in the colour of the card behind it"
    shots("waiting")
    page.goto("/staff/messages")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    shots("messages")
    page.goto("/staff/availability")
    expect(page.get_by_role("heading", name="What the bot offers now")).to_contain_text(
        "next 7 days")
    shots("availability")

"""The case file in a real headless Chromium: staff sign in, open a booking, see the
documents, photo and voice note the applicant sent, and the photo actually loads.

Skipped without Debian's ``chromium`` unless ``REQUIRE_BROWSER`` is set. Screenshot:
``docs/screenshots/case-files.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from consultbot.runtime import Runtime
from dashboard import audit
from plumbing.crypto import new_key
from plumbing.settings import Settings, load_settings
from tests.casefiles import samples
from tests.casefiles.helpers import keep_through_telegram
from tests.channels.fake_telegram import FakeTelegramServer
from tests.dashboard.helpers import PASSWORD, add_staff, booking
from tests.fixtures import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "case-files.png"

if not CHROMIUM.exists() and not os.environ.get("REQUIRE_BROWSER"):
    pytest.skip("no /usr/bin/chromium (set REQUIRE_BROWSER to make this a failure)",
                allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_encryption_key=new_key(),
                         cookie_secure=False)


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


def test_staff_see_the_case_file_on_the_booking_page(
        runtime: Runtime, server: FakeTelegramServer) -> None:
    made = booking(runtime, "anna")
    keep_through_telegram(runtime, server, made.conversation_id, samples.pdf(2),
                          name="refusal-letter.pdf", caption="Refusal of 12 November")
    keep_through_telegram(runtime, server, made.conversation_id, samples.jpeg_with_gps(),
                          kind="photo", caption="Hearing notice, page 1")
    keep_through_telegram(runtime, server, made.conversation_id, samples.ogg_voice(42),
                          kind="voice")
    add_staff(runtime)
    with live_server(runtime, threads=4) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      base_url=base_url)
        try:
            page = context.new_page()
            page.goto(f"/staff/bookings/{made.id}")
            page.get_by_label("E-mail").fill("staff@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            files = page.locator("section.case-files")
            expect(files.get_by_role("heading")).to_have_text("Documents (3)")
            expect(files).to_contain_text("refusal-letter.pdf")
            expect(files).to_contain_text("PDF, 2 pages")
            expect(files).to_contain_text("Refusal of 12 November")
            expect(files).to_contain_text("Voice note, 0:42")
            image = files.locator("img")
            expect(image).to_be_visible()
            image.scroll_into_view_if_needed()
            page.wait_for_function("() => document.querySelector('section.case-files img')"
                                   ".naturalWidth > 0")
            expect(files.locator("audio")).to_have_count(1)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            files.screenshot(path=str(SCREENSHOT))
        finally:
            context.close()
            browser.close()
    with runtime.db.transaction() as session:  # the photo shown was a recorded view
        assert audit.recent(session, action=audit.VIEW_FILE)

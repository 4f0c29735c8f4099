"""Staff see the case file on the booking and person pages and open each file inline:
signed in only, never cached, never sniffed, every view in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from consultbot.runtime import Runtime
from dashboard import audit
from tests.casefiles import samples
from tests.casefiles.helpers import keep_through_telegram
from tests.channels.fake_telegram import FakeTelegramServer
from tests.dashboard.helpers import booking


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


def test_the_booking_page_lists_the_files_and_serves_them_inline(
        runtime: Runtime, staff: FlaskClient, client: FlaskClient,
        server: FakeTelegramServer) -> None:
    made = booking(runtime, "anna")
    letter = samples.pdf(2)
    pdf_id = keep_through_telegram(runtime, server, made.conversation_id, letter,
                                   name="refusal-letter.pdf", caption="The refusal")
    photo_id = keep_through_telegram(runtime, server, made.conversation_id,
                                     samples.jpeg_with_gps(), kind="photo")
    voice_id = keep_through_telegram(runtime, server, made.conversation_id,
                                     samples.ogg_voice(12), kind="voice")

    page = staff.get(f"/staff/bookings/{made.id}").text
    assert "Documents (3)" in page
    assert "refusal-letter.pdf" in page and "PDF, 2 pages" in page and "The refusal" in page
    assert f'<img src="/staff/files/{photo_id}"' in page and "Photo (JPG)" in page
    assert f'<audio controls preload="none" src="/staff/files/{voice_id}"' in page
    assert "Voice note, 0:12" in page
    person_page = staff.get(f"/staff/people/{made.conversation_id}").text
    assert "Documents (3)" in person_page and "refusal-letter.pdf" in person_page

    served = staff.get(f"/staff/files/{pdf_id}")
    assert served.status_code == 200 and served.data == letter
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"] == \
        f'inline; filename="case-file-{pdf_id}.pdf"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "no-store"
    download = staff.get(f"/staff/files/{pdf_id}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    photo = staff.get(f"/staff/files/{photo_id}")
    assert photo.headers["Content-Type"] == "image/jpeg" and samples.gps_of(photo.data) == {}

    with runtime.db.transaction() as session:
        views = audit.recent(session, action=audit.VIEW_FILE)
    person = made.conversation_id
    assert [e.target for e in views] == [  # newest first
        f"file:{photo_id} of person:{person}", f"file:{pdf_id} of person:{person}",
        f"file:{pdf_id} of person:{person}"]
    assert all(e.actor == "staff@example.org" for e in views)

def test_files_need_a_signed_in_member_of_staff(runtime: Runtime, client: FlaskClient,
                                                server: FakeTelegramServer) -> None:
    made = booking(runtime, "anna")
    pdf_id = keep_through_telegram(runtime, server, made.conversation_id, samples.pdf(1))
    refused = client.get(f"/staff/files/{pdf_id}")
    assert refused.status_code == 302 and "/staff/login" in refused.headers["Location"]
    assert b"%PDF" not in refused.data

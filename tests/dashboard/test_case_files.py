"""Staff see the case file on the booking and person pages and open each file inline:
signed in only, never cached, never sniffed, every view in the audit trail."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from consultbot.runtime import Runtime
from dashboard import audit
from tests.casefiles import samples
from tests.casefiles.helpers import keep_through_telegram
from tests.channels.fake_telegram import FakeTelegramServer
from tests.dashboard.helpers import booking, post_form


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


def test_the_access_request_export_lists_the_files_and_bundles_them(
        runtime: Runtime, staff: FlaskClient, server: FakeTelegramServer,
        caplog: pytest.LogCaptureFixture) -> None:
    made = booking(runtime, "anna")
    letter, voice = samples.pdf(2), samples.ogg_voice(12)
    pdf_id = keep_through_telegram(runtime, server, made.conversation_id, letter,
                                   name="refusal-letter.pdf", caption="The refusal")
    voice_id = keep_through_telegram(runtime, server, made.conversation_id, voice,
                                     kind="voice")
    refused_id = keep_through_telegram(runtime, server, made.conversation_id,
                                       samples.executable(), name="letter.pdf")
    url = f"/staff/people/{made.conversation_id}"
    page = staff.get(url).text
    assert "the documents, photos and voice notes they sent" in page  # what erasing takes

    caplog.set_level(logging.DEBUG)
    answer = post_form(staff, url, f"{url}/export", {"format": "json", "confirm": "y"})
    listed = {d["id"]: d for d in json.loads(answer.text)["documents"]}
    assert listed[pdf_id] | {"received_at": None} == {
        "id": pdf_id, "sent_as": "document", "status": "stored", "refused_because": None,
        "type": "PDF, 2 pages", "media_type": "application/pdf", "bytes": len(letter),
        "size": "1 KB", "pages": 2, "duration_seconds": None, "received_at": None,
        "name": "refusal-letter.pdf", "caption": "The refusal", "transcript": None,
        "consultation": made.id}
    assert listed[pdf_id]["received_at"].startswith(runtime.clock().date().isoformat())
    assert (listed[voice_id]["type"], listed[voice_id]["duration_seconds"]) == \
        ("Voice note, 0:12", 12.0)
    assert (listed[refused_id]["status"], listed[refused_id]["refused_because"],
            listed[refused_id]["name"]) == ("refused", "type", None)

    readable = post_form(staff, url, f"{url}/export", {"format": "page", "confirm": "y"})
    assert "refusal-letter.pdf" in readable.text and "PDF, 2 pages" in readable.text

    zipped = post_form(staff, url, f"{url}/export", {"format": "zip", "confirm": "y"})
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    assert zipped.headers["Cache-Control"] == "no-store"
    assert zipped.headers["Content-Disposition"].startswith("attachment; filename=person-")
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["export.json", f"documents/{pdf_id}.pdf", f"documents/{voice_id}.ogg"])
        assert archive.read(f"documents/{pdf_id}.pdf") == letter
        assert archive.read(f"documents/{voice_id}.ogg") == voice
        inside = json.loads(archive.read("export.json"))
    assert [(d["id"], d.get("file")) for d in inside["documents"]] == [
        (pdf_id, f"documents/{pdf_id}.pdf"), (voice_id, f"documents/{voice_id}.ogg"),
        (refused_id, None)]
    with runtime.db.transaction() as session:
        exports = audit.recent(session, action=audit.EXPORT)
    assert exports[0].target == f"person:{made.conversation_id} (zip)"
    assert "refusal-letter" not in caplog.text and "The refusal" not in caplog.text


def test_files_need_a_signed_in_member_of_staff(runtime: Runtime, client: FlaskClient,
                                                server: FakeTelegramServer) -> None:
    made = booking(runtime, "anna")
    pdf_id = keep_through_telegram(runtime, server, made.conversation_id, samples.pdf(1))
    refused = client.get(f"/staff/files/{pdf_id}")
    assert refused.status_code == 302 and "/staff/login" in refused.headers["Location"]
    assert b"%PDF" not in refused.data

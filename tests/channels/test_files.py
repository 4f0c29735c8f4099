"""Shared files: published encrypted, served by the real Flask app at an unguessable URL
until they expire, then removed by the worker's round (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from bot.messages import Document
from channels.files import (
    DEFAULT_TTL,
    MAX_FILENAME,
    Publisher,
    publish,
    remove_expired_files,
    safe_filename,
)
from consultbot.runtime import Runtime, build_runtime
from consultbot.web import create_app
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings

BASE = "https://bot.example.org"
CALENDAR = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:42@consultbot\r\n"
            b"SUMMARY:Consultation with Ms Petrova\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
INVITE = Document("consultation.ics", "Add it to your calendar", "text/calendar",
                  content=CALENDAR)


@pytest.fixture
def files_runtime(any_database_url: str, make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(database_url=any_database_url, public_base_url=BASE)


@pytest.fixture
def client(files_runtime: Runtime) -> FlaskClient:
    return create_app(files_runtime).test_client()


def path_of(url: str) -> str:
    assert url.startswith(f"{BASE}/files/")
    return urlsplit(url).path


def rows(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(  # type: ignore[misc]
            text("SELECT token_hash, filename, content_enc FROM shared_file ORDER BY id"))]


def test_a_published_file_is_served_with_its_type_and_careful_headers(
        files_runtime: Runtime, client: FlaskClient) -> None:
    url = Publisher(files_runtime)(INVITE)
    assert url.endswith("/consultation.ics")
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response.data == CALENDAR
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consultation.ics"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Twilio checks the type with HEAD before it fetches.
    head = client.head(path_of(url))
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert create_app(files_runtime).config["AREAS"]["files"].startswith("on:")


def test_the_bytes_are_stored_encrypted_and_the_token_only_as_its_hash(
        files_runtime: Runtime) -> None:
    url = Publisher(files_runtime)(INVITE)
    token = path_of(url).split("/")[2]
    [(token_hash, filename, content_enc)] = rows(files_runtime)
    assert filename == "consultation.ics"
    for clear in (b"VCALENDAR", b"Petrova", base64.b64encode(CALENDAR)):
        assert clear.decode() not in content_enc
    assert token not in token_hash and len(token_hash) == 64
    assert base64.b64decode(files_runtime.cipher.decrypt(content_enc)) == CALENDAR


def test_unknown_changed_or_misnamed_tokens_get_404(files_runtime: Runtime,
                                                    client: FlaskClient) -> None:
    path = path_of(Publisher(files_runtime)(INVITE))
    _, _, token, name = path.split("/")
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    for wrong in (f"/files/{flipped}/{name}", f"/files/{secrets.token_urlsafe(32)}/{name}",
                  f"/files/{token[:-1]}/{name}", f"/files/{token}/other.ics",
                  f"/files/{token}x/{name}", "/files/%27%20OR%201=1--/consultation.ics"):
        response = client.get(wrong)
        assert response.status_code == 404, wrong
        assert CALENDAR not in response.data
        assert response.headers["Cache-Control"] == "private, no-store"
    assert client.get(path).status_code == 200


def test_expired_files_are_refused_then_removed_by_the_worker_round(
        files_runtime: Runtime, client: FlaskClient, clock: ManualClock) -> None:
    short = Publisher(files_runtime, ttl=timedelta(days=1))(INVITE)
    other = Document("report.pdf", "Sample report", "application/pdf", content=b"%PDF-1.4 x")
    long = Publisher(files_runtime)(other)
    clock.advance(timedelta(days=1))
    assert client.get(path_of(short)).status_code == 404  # expired at this very instant
    assert client.get(path_of(long)).status_code == 200
    assert len(rows(files_runtime)) == 2  # refused, but not yet removed
    Worker(files_runtime, senders={}).tick()
    assert [r[1] for r in rows(files_runtime)] == ["report.pdf"]
    clock.advance(DEFAULT_TTL)
    assert remove_expired_files(files_runtime) == 1
    assert rows(files_runtime) == []
    assert client.get(path_of(long)).status_code == 404


def test_the_same_document_keeps_one_url_and_row_and_publishing_extends_it(
        files_runtime: Runtime, client: FlaskClient, clock: ManualClock) -> None:
    publisher = Publisher(files_runtime, ttl=timedelta(days=2))
    first = publisher(INVITE)
    clock.advance(timedelta(days=1))
    assert publisher(INVITE) == first  # e.g. Twilio retrying the webhook
    assert len(rows(files_runtime)) == 1
    clock.advance(timedelta(days=1, hours=12))  # 2.5 days after the first publishing
    assert client.get(path_of(first)).status_code == 200
    changed = Document(INVITE.filename, INVITE.caption, INVITE.media_type,
                       content=CALENDAR.replace(b"UID:42", b"UID:43"))
    assert publisher(changed) != first
    assert len(rows(files_runtime)) == 2


def test_urls_differ_between_data_keys(files_runtime: Runtime, clock: ManualClock,
                                       database_url: str) -> None:
    """The token is keyed: knowing a document does not tell its URL elsewhere."""
    other = build_runtime(load_settings(database_url=database_url,
                                        data_encryption_key=new_key(), public_base_url=BASE),
                          clock=clock)
    try:
        assert Publisher(other)(INVITE) != Publisher(files_runtime)(INVITE)
    finally:
        other.db.dispose()


def test_a_file_type_is_guessed_from_its_name_when_not_given(
        files_runtime: Runtime, client: FlaskClient) -> None:
    url = Publisher(files_runtime)(Document("invite.ics", "", content=CALENDAR))
    assert client.get(path_of(url)).headers["Content-Type"] == "text/calendar; charset=utf-8"
    pdf = Publisher(files_runtime)(Document("Sample report.pdf", "", "application/pdf",
                                            content=b"%PDF-1.4 y"))
    response = client.get(path_of(pdf))
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Sample-report.pdf"'


@pytest.mark.parametrize(("name", "expected"), [
    ("consultation.ics", "consultation.ics"),
    ("Sample report (final) 2025.PDF", "Sample-report-fi.pdf"),
    ('"; evil=1.pdf', "evil-1.pdf"),
    ("../../etc/passwd", "etc-passwd"),
    ("Отчёт.pdf", "file.pdf"),
    ("", "file"),
])
def test_file_names_are_short_plain_ascii(name: str, expected: str) -> None:
    safe = safe_filename(name)
    assert safe == expected and len(safe) <= MAX_FILENAME


def test_publish_refuses_what_it_cannot_serve(files_runtime: Runtime, clock: ManualClock) -> None:
    with files_runtime.db.transaction() as session:
        with pytest.raises(ValueError, match="content"):
            publish(session, files_runtime.cipher, Document("a.pdf", "x", url="https://x/a.pdf"),
                    now=clock(), public_base_url=BASE)
        with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
            publish(session, files_runtime.cipher, INVITE, now=clock(), public_base_url="")

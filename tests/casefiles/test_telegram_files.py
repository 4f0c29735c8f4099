"""Telegram files end to end: real ``Update`` objects through the PTB application, the
download job fetching through ``getFile`` on the fake Bot API's HTTP server, "My documents"
listing and deleting, and erasure taking the files with everything else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from bot.casefiles.downloads import run_downloads
from bot.casefiles.models import DocumentStatus, Refusal
from bot.i18n import Translator
from consultbot.registry import build_fetchers
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from tests.casefiles import samples
from tests.casefiles.helpers import documents, outbox_texts, raw_chunks, stored_bytes
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.channels.telegram_harness import Harness, texts

en = Translator("en")
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], server: FakeTelegramServer) -> Runtime:
    return make_runtime(telegram_bot_token=TOKEN, telegram_api_base_url=server.base_url,
                        case_file_max_mb=1, telegram_staff_chat_id="-100200")


@pytest.fixture
def harness(runtime: Runtime, server: FakeTelegramServer) -> Iterator[Harness]:
    h = Harness(runtime, api=server.api)
    yield h
    h.close()


def in_menu(harness: Harness, user: TelegramUser, clock: ManualClock) -> None:
    harness.feed(user.message("/start"))
    harness.feed(user.press(en("welcome.keep_language")))
    clock.advance(timedelta(seconds=30))


def send(harness: Harness, user: TelegramUser, data: bytes, kind: str, **extra: object) -> str:
    file_id = harness.api.add_file(data, "pdf" if kind == "document" else "bin")
    return texts(harness.feed(user.file_message(kind, file_id, len(data), **extra)))  # type: ignore[arg-type]


def test_documents_photos_and_voice_notes_from_telegram(
        runtime: Runtime, harness: Harness, clock: ManualClock) -> None:
    user = harness.user()
    in_menu(harness, user, clock)
    letter, photo, voice = samples.pdf(2), samples.jpeg_with_gps(), samples.ogg_voice(12)
    assert send(harness, user, letter, "document", file_name="refusal-letter.pdf",
                mime_type="application/pdf", caption="The refusal") == ""
    send(harness, user, photo, "photo")
    send(harness, user, voice, "voice", mime_type="audio/ogg", duration=12)
    send(harness, user, samples.executable(), "document", file_name="letter.pdf",
         mime_type="application/pdf")
    send(harness, user, samples.pdf(1, padding=1_100_000), "document", file_name="big.pdf")

    run_downloads(runtime, build_fetchers(runtime))

    rows = documents(runtime)
    assert [(r.kind, r.status, r.refusal) for r in rows] == [
        ("document", DocumentStatus.STORED, None), ("photo", DocumentStatus.STORED, None),
        ("voice", DocumentStatus.STORED, None), ("document", DocumentStatus.REFUSED, Refusal.TYPE),
        ("document", DocumentStatus.REFUSED, Refusal.SIZE)]
    assert stored_bytes(runtime, rows[0].id or 0) == letter
    assert samples.gps_of(stored_bytes(runtime, rows[1].id or 0)) == {}
    assert rows[2].duration_seconds == 12.0
    assert harness.api.file_downloads == 4  # the oversized one was refused by its size first
    assert outbox_texts(runtime) == [
        "Received: refusal-letter.pdf, 2 pages.",
        "Received: your photo.",
        "Received: your voice note, length 0:12.",
        "I could not keep letter.pdf: I can only keep PDFs, photos (JPEG, PNG, HEIC, WebP), "
        "voice notes and audio (OGG, MP3, M4A) and MP4 videos. Please send it in one of "
        "these forms, for example as a photo of the page.",
        "I could not keep big.pdf: it is larger than 1 MB, the most I can keep for one "
        "file. Please send a smaller photo, or the PDF in parts."]
    # Staff hear how many arrived, never what they are called or say.
    [alert] = outbox_texts(runtime, "staff:documents:")
    assert alert.startswith("3 documents received: ")
    assert "refusal" not in alert.lower() and "pdf" not in alert.lower()


def test_my_documents_lists_and_deletes_one(runtime: Runtime, harness: Harness,
                                           clock: ManualClock) -> None:
    user = harness.user()
    in_menu(harness, user, clock)
    send(harness, user, samples.pdf(2), "document", file_name="refusal-letter.pdf",
         caption="The refusal")
    send(harness, user, samples.pdf(1), "document", file_name="hearing.pdf")
    run_downloads(runtime, build_fetchers(runtime))
    clock.advance(timedelta(seconds=30))
    harness.feed(user.message("/menu"))
    clock.advance(timedelta(seconds=30))
    listing = texts(harness.feed(user.press(en("menu.myfiles"))))
    assert "1. refusal-letter.pdf (2 pages): The refusal" in listing
    assert "2. hearing.pdf (1 page)" in listing
    assert user.buttons() == ["Delete 1", "Delete 2", en("common.menu")]
    clock.advance(timedelta(seconds=30))
    assert "Delete refusal-letter.pdf" in texts(harness.feed(user.press("Delete 1")))
    clock.advance(timedelta(seconds=30))
    after = texts(harness.feed(user.press(en("myfiles.yes"))))
    assert en("myfiles.removed") in after and "1. hearing.pdf (1 page)" in after
    first, second = documents(runtime)
    assert first.status == DocumentStatus.REMOVED and first.name_enc is None
    assert raw_chunks(runtime, first.id or 0) == []
    assert second.status == DocumentStatus.STORED


#: How each language calls the files the person sent ("My documents" in the menu).
DOCUMENTS = {"en": "documents", "ru": "документ", "uk": "документ", "ar": "المستندات",
             "fa": "مدارک", "es": "documentos", "fr": "documents"}


@pytest.mark.parametrize("lang", sorted(DOCUMENTS))
def test_the_delete_my_data_question_names_the_documents(lang: str) -> None:
    t = Translator(lang)
    word = DOCUMENTS[lang]
    assert word.removeprefix("ال") in t("menu.myfiles")  # the word the menu uses
    assert word in t("forget.confirm")


def test_erasing_the_person_erases_their_files(runtime: Runtime, harness: Harness,
                                              clock: ManualClock) -> None:
    user = harness.user()
    in_menu(harness, user, clock)
    send(harness, user, samples.pdf(2), "document", file_name="refusal-letter.pdf",
         caption="The refusal")
    run_downloads(runtime, build_fetchers(runtime))
    clock.advance(timedelta(seconds=30))
    harness.feed(user.message("/menu"))
    clock.advance(timedelta(seconds=30))
    asked = texts(harness.feed(user.press(en("menu.forget"))))
    assert "any documents you sent us" in asked  # the person is told the files go too
    clock.advance(timedelta(seconds=30))
    harness.feed(user.press(en("forget.yes")))
    [row] = documents(runtime)
    assert row.status == DocumentStatus.REMOVED
    assert (row.name_enc, row.caption_enc, row.chunks) == (None, None, 0)
    assert raw_chunks(runtime, row.id or 0) == []

"""What a file is told from its bytes, what cleaning leaves of a photo, the optional
transcriber, and what retention and booking do to the files."""

from __future__ import annotations

import io
import struct
import sys
from datetime import timedelta

import pillow_heif
import pytest
from PIL import Image
from sqlmodel import select

from bot.casefiles import kinds, transcripts
from bot.casefiles.content import Unreadable, clean_image, ogg_duration
from bot.casefiles.models import CaseDocument, DocumentStatus
from bot.casefiles.store import write_chunks
from bot.retention import purge
from consultbot.runtime import Runtime
from plumbing.settings import Settings
from tests.casefiles import samples
from tests.dashboard.helpers import booking, conversation


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\0" * 32


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (9, 9, 9)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("head", "expected"), [
    (samples.pdf(1), kinds.PDF), (samples.jpeg_with_gps(), kinds.JPEG),
    (image_bytes("PNG"), kinds.PNG), (image_bytes("WEBP"), kinds.WEBP),
    (samples.ogg_voice(1), kinds.OGG), (b"ID3\x04\0\0\0\0\0\0" + b"\0" * 60, kinds.MP3),
    (b"\xff\xfb\x90\x64" + b"\0" * 60, kinds.MP3),
    (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), kinds.M4A),
    (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), kinds.MP4),
    (ftyp(b"heic", b"mif1", b"heic"), kinds.HEIC),
])
def test_kinds_are_told_by_their_first_bytes(head: bytes, expected: kinds.Kind) -> None:
    assert kinds.sniff(head[:kinds.HEAD]) == expected


@pytest.mark.parametrize("head", [
    samples.executable(), b"\x7fELF\x02\x01\x01" + b"\0" * 60, b"PK\x03\x04" + b"\0" * 60,
    b"<html><script>alert(1)</script>", b"GIF89a" + b"\0" * 60, ftyp(b"qqqq", b"zzzz"), b"",
])
def test_anything_else_is_no_kind_we_keep(head: bytes) -> None:
    assert kinds.sniff(head[:kinds.HEAD]) is None


def test_an_iphone_photo_is_kept_as_a_jpeg_without_its_position() -> None:
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[samples.GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 40)).save(out, "HEIF", exif=exif.tobytes())
    heic = out.getvalue()
    assert kinds.sniff(heic[:kinds.HEAD]) == kinds.HEIC and samples.gps_of(heic)
    cleaned, kind = clean_image(heic, kinds.HEIC)
    assert kind == kinds.JPEG and kinds.sniff(cleaned[:kinds.HEAD]) == kinds.JPEG
    assert samples.gps_of(cleaned) == {}
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (40, 30)


def test_a_jpeg_header_on_garbage_is_unreadable() -> None:
    with pytest.raises(Unreadable):
        clean_image(b"\xff\xd8\xff\xe0" + b"not an image" * 20, kinds.JPEG)


def test_an_ogg_stream_without_a_usable_end_has_no_duration() -> None:
    assert ogg_duration(b"OggS" + b"\0" * 10) is None
    assert ogg_duration(samples.ogg_voice(65)) == 65.0


def test_the_transcriber_is_off_by_default_and_runs_a_configured_command(
        tmp_path, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    voice = samples.ogg_voice(2)
    off = settings
    assert off.case_file_transcriber is None
    assert transcripts.transcribe(off, voice, kinds.OGG) is None
    script = tmp_path / "stt.py"
    script.write_text("import sys\ndata = open(sys.argv[-1], 'rb').read()\n"
                      "print('I was called up,', len(data), 'bytes', data[:4].decode())\n")
    on = settings.model_copy(update={"case_file_transcriber": f"{sys.executable} {script}"})
    assert transcripts.transcribe(on, voice, kinds.OGG) == \
        f"I was called up, {len(voice)} bytes OggS"
    broken = settings.model_copy(update={
        "case_file_transcriber": f"{sys.executable} -c 'raise SystemExit(3)'"})
    assert transcripts.transcribe(broken, voice, kinds.OGG) is None


def stored_file(runtime: Runtime, conversation_id: int) -> int:
    now = runtime.clock()
    with runtime.db.transaction() as session:
        row = CaseDocument(conversation_id=conversation_id, channel="telegram",
                           platform_message_id=f"m{conversation_id}", kind="document",
                           status=DocumentStatus.STORED, media_type="application/pdf",
                           size=100, name_enc=runtime.cipher.encrypt("letter.pdf"),
                           received_at=now, due_at=now, attempts=1, chunks=0)
        session.add(row)
        session.flush()
        assert row.id is not None
        row.chunks = write_chunks(session, runtime.cipher, row.id, samples.pdf(1))
        return row.id


def test_retention_purges_the_files_with_the_rest(runtime: Runtime) -> None:
    person = conversation(runtime, "quiet", said=("hello",))
    document_id = stored_file(runtime, person)
    runtime.clock.advance(timedelta(days=runtime.settings.retention_days_not_booked + 1))  # type: ignore[attr-defined]
    assert [d.conversation_id for d in purge(runtime)] == [person]
    with runtime.db.transaction() as session:
        row = session.get(CaseDocument, document_id)
        assert row is not None and row.status == DocumentStatus.REMOVED
        assert row.name_enc is None and row.chunks == 0


def test_files_sent_before_booking_belong_to_the_booking(runtime: Runtime) -> None:
    from bot.booking_changes import confirm_booking

    made = booking(runtime, "anna")
    assert made.id is not None
    document_id = stored_file(runtime, made.conversation_id)
    with runtime.db.transaction() as session:
        confirm_booking(session, runtime, made, runtime.clock())
    with runtime.db.transaction() as session:
        [row] = session.exec(select(CaseDocument).where(CaseDocument.id == document_id)).all()
        assert row.booking_id == made.id

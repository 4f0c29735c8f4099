"""Real small files made in the test: a PDF, a JPEG with a GPS position, an Ogg Opus voice
note, an executable dressed as a PDF."""

from __future__ import annotations

import io
import struct

from PIL import Image
from pypdf import PdfWriter

GPS_IFD = 0x8825


def pdf(pages: int = 2, padding: int = 0) -> bytes:
    """A PDF with ``pages`` blank pages (and ``padding`` bytes of comment, to make it big)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    return data + (b"%" + b"x" * (padding - 2) + b"\n" if padding else b"")


def jpeg_with_gps() -> bytes:
    """A photo whose EXIF says where it was taken (London)."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def gps_of(data: bytes) -> dict:  # type: ignore[type-arg]
    """The GPS tags of an image (empty when there are none)."""
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def _crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _page(payload: bytes, *, granule: int, seq: int, flags: int) -> bytes:
    segments = [255] * (len(payload) // 255) + [len(payload) % 255]
    header = b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, 0x5EED, seq, 0,
                                   len(segments)) + bytes(segments)
    page = header + payload
    return page[:22] + struct.pack("<I", _crc(page)) + page[26:]


def ogg_voice(seconds: int = 3) -> bytes:
    """An Ogg Opus voice note of ``seconds`` (real page headers and CRCs; silent packets)."""
    pre_skip = 312
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    audio = b"\xf8\xff\xfe" * 50
    return (_page(head, granule=0, seq=0, flags=2) + _page(tags, granule=0, seq=1, flags=0)
            + _page(audio, granule=seconds * 48000 + pre_skip, seq=2, flags=4))


def executable() -> bytes:
    """A Windows executable's first bytes (what a "letter.pdf" may really be)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200

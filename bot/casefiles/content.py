"""What is done to a file's content before it is kept, and what is read from it.

Photos are decoded and encoded again with Pillow, keeping only the pixels (turned upright
by their orientation tag first): EXIF, and so any GPS position, XMP, comments and
thumbnails are gone. HEIC (iPhone photos) is read by pillow-heif and kept as JPEG. PDFs
have their pages counted; Ogg voice notes their duration read from the last page.
"""

from __future__ import annotations

import io
import logging

from bot.casefiles.kinds import HEIC, JPEG, PNG, WEBP, Kind

log = logging.getLogger(__name__)

#: Pillow refuses images above this many pixels (a "decompression bomb"): about 90 MP.
MAX_IMAGE_PIXELS = 90_000_000
_OPUS_RATE = 48_000


class Unreadable(ValueError):
    """The content claims a kind (by its magic bytes) but cannot be read as one."""


def clean_image(data: bytes, kind: Kind) -> tuple[bytes, Kind]:
    """The image re-encoded without any metadata, and its kind afterwards (HEIC -> JPEG)."""
    if kind == HEIC:
        import pillow_heif

        pillow_heif.register_heif_opener()
    from PIL import Image, ImageOps, UnidentifiedImageError  # on the first image, not at start

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Unreadable(type(exc).__name__) from exc
    target = JPEG if kind in (JPEG, HEIC) else kind
    if target == JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    if target == JPEG:
        upright.save(out, "JPEG", quality=90, optimize=True)
    elif target == PNG:
        upright.save(out, "PNG", optimize=False)
    elif target == WEBP:
        upright.save(out, "WEBP", quality=90)
    return out.getvalue(), target


def pdf_pages(data: bytes) -> int | None:
    """How many pages a PDF has; None if it cannot be parsed (it is kept all the same)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        log.info("a PDF's pages could not be counted")
        return None


def ogg_duration(data: bytes) -> float | None:
    """Seconds of an Ogg Opus (or Vorbis) stream: the last page's granule position over
    the sample rate, less Opus's pre-skip. None if the stream says nothing usable."""
    last = data.rfind(b"OggS")
    if last < 0 or len(data) < last + 14:
        return None
    granule = int.from_bytes(data[last + 6:last + 14], "little", signed=True)
    opus = data.find(b"OpusHead")
    if opus >= 0 and len(data) >= opus + 12:
        pre_skip = int.from_bytes(data[opus + 10:opus + 12], "little")
        rate = _OPUS_RATE
    else:
        vorbis = data.find(b"\x01vorbis")
        if vorbis < 0 or len(data) < vorbis + 16:
            return None
        pre_skip, rate = 0, int.from_bytes(data[vorbis + 12:vorbis + 16], "little")
    if granule <= 0 or rate <= 0:
        return None
    return max(granule - pre_skip, 0) / rate

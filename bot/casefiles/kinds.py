"""What a file is, told from its first bytes (magic numbers), never from its name or the
platform's word: the kinds the case file keeps, and nothing else.

ISO base media files (MP4, M4A, HEIC) all start with an ``ftyp`` box; its major brand
says which. MP3 starts with an ID3 tag or an MPEG audio frame sync.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Enough of the head of a file to tell every kind below apart.
HEAD = 64


@dataclass(frozen=True)
class Kind:
    """A kind of file we keep: its media type, a file extension, and its family."""

    media_type: str
    extension: str
    family: str  # pdf, image, audio, video

    @property
    def is_image(self) -> bool:
        return self.family == "image"


PDF = Kind("application/pdf", "pdf", "pdf")
JPEG = Kind("image/jpeg", "jpg", "image")
PNG = Kind("image/png", "png", "image")
HEIC = Kind("image/heic", "heic", "image")
WEBP = Kind("image/webp", "webp", "image")
OGG = Kind("audio/ogg", "ogg", "audio")
MP3 = Kind("audio/mpeg", "mp3", "audio")
M4A = Kind("audio/mp4", "m4a", "audio")
MP4 = Kind("video/mp4", "mp4", "video")
KINDS = (PDF, JPEG, PNG, HEIC, WEBP, OGG, MP3, M4A, MP4)
BY_TYPE = {k.media_type: k for k in KINDS}

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                          b"msf1"})
_M4A_BRANDS = frozenset({b"M4A ", b"M4B "})
_MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42",
                         b"avc1", b"dash", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"MSNV",
                         b"M4V ", b"qt  "})


def sniff(head: bytes) -> Kind | None:
    """The kind of a file starting with ``head`` (at least :data:`HEAD` bytes if it has
    them), or None if it is none we keep (an executable called ``letter.pdf`` included)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"OggS"):
        return OGG
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF
                                   and head[1] & 0xE0 == 0xE0 and head[1] & 0x06):
        return MP3  # an ID3 tag, or a frame sync with a layer set (not JPEG's FF D8)
    return None


def _iso_media(head: bytes) -> Kind | None:
    size = int.from_bytes(head[0:4], "big")
    brands = [head[8:12]]  # the major brand, then the compatible ones in the box
    end = min(max(size, 16), len(head))
    brands += [head[i:i + 4] for i in range(16, end - 3, 4)]
    if brands[0] in _HEIC_BRANDS:
        return HEIC
    if brands[0] in _M4A_BRANDS:
        return M4A
    if any(b in _MP4_BRANDS for b in brands):
        return MP4
    if any(b in _HEIC_BRANDS for b in brands):
        return HEIC
    return None

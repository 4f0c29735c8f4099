"""The case file as staff see it: each file's type, size, time and caption, to view inline.

Listed from templates through the ``case_files`` template global (one ``include`` on the
booking and person pages), so the pages' views need not know about files.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.casefiles.describe import duration
from bot.casefiles.kinds import BY_TYPE
from bot.casefiles.store import Listed, documents_of
from plumbing.crypto import Cipher

_KIND_NAMES = {"pdf": "PDF", "image": "Photo", "audio": "Audio", "video": "Video"}
_VOICE = "Voice note"


@dataclass(frozen=True)
class StaffFile:
    """One stored file, described for the page."""

    listed: Listed
    family: str  # pdf, image, audio, video
    type_label: str
    size_label: str
    name: str


def size_label(size: int | None) -> str:
    """``340 KB``, ``1.2 MB``."""
    if not size:
        return "—"
    if size < 1024 * 1024:
        return f"{max(round(size / 1024), 1)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def type_label(item: Listed, family: str) -> str:
    """``PDF, 2 pages``, ``Voice note, 0:12``, ``Photo (JPEG)``."""
    kind = BY_TYPE.get(item.media_type or "")
    name = _VOICE if item.kind == "voice" else _KIND_NAMES.get(family, "File")
    if item.pages:
        return f"{name}, {item.pages} page{'' if item.pages == 1 else 's'}"
    if item.duration_seconds:
        return f"{name}, {duration(item.duration_seconds)}"
    return f"{name} ({kind.extension.upper()})" if kind and family == "image" else name


def staff_files(session: Session, cipher: Cipher, conversation_id: int,
                booking_id: int | None = None) -> list[StaffFile]:
    """The person's stored files (with ``booking_id``: that consultation's and unlinked)."""
    found = []
    for item in documents_of(session, cipher, conversation_id, booking_id=booking_id):
        kind = BY_TYPE.get(item.media_type or "")
        family = kind.family if kind else "file"
        what = _VOICE if item.kind == "voice" else _KIND_NAMES.get(family, "File")
        found.append(StaffFile(item, family, type_label(item, family), size_label(item.size),
                               item.name or f"{what} #{item.id}"))
    return found

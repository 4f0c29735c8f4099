"""The settings' form of Twilio Content template SIDs, one per size: ``2:HX…,3:HX…``.

Here (not in the WhatsApp channel) so the settings can check it at load time.
"""

from __future__ import annotations

import re

_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
MAX_BUTTONS = 3  # quick replies allowed in a WhatsApp session message
MAX_LIST_ITEMS = 10


def parse_sized_sids(value: str | None, *, default_size: int, max_size: int,
                     name: str) -> dict[int, str]:
    """``"2:HX…,3:HX…"`` (or one bare ``HX…`` of ``default_size``) as {size: sid}."""
    sids: dict[int, str] = {}
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        size, sid = default_size, part
        if ":" in part:
            size_text, _, sid = part.partition(":")
            size_text = size_text.strip()
            size = int(size_text) if size_text.isascii() and size_text.isdigit() else 0
            sid = sid.strip()
        if not 1 <= size <= max_size:
            raise ValueError(f"{name}: size must be 1 to {max_size}, as in 3:HX…")
        if not _CONTENT_SID.match(sid):
            raise ValueError(f"{name}: {sid[:6]}… is not a Content SID (HX + 32 hex digits)")
        sids[size] = sid
    return sids

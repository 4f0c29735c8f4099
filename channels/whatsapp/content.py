"""Optional Twilio Content templates for tappable choices, and the approved templates.

A Content template's buttons or list items are fixed in number when it is created;
only their texts can be variables. So each setting names one template per size:
``TWILIO_CONTENT_SID_BUTTONS=2:HX…,3:HX…`` (a bare ``HX…`` means a 3-button template)
and ``TWILIO_CONTENT_SID_LIST=4:HX…,7:HX…`` (a bare ``HX…`` means 10 items). Variables:
``{{1}}`` is the question, then each option's title and id in turn
(``{{2}}``/``{{3}}`` for the first, ``{{4}}``/``{{5}}`` for the second …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plumbing.settings import Settings

_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
MAX_BUTTONS = 3  # quick replies allowed in a WhatsApp session message
MAX_LIST_ITEMS = 10
BUTTON_TITLE_MAX = 20
LIST_ITEM_MAX = 24
BODY_MAX = 1024
ID_MAX = 200


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


@dataclass(frozen=True)
class ContentTemplates:
    """Which Content templates are configured, by number of options."""

    buttons: dict[int, str] = field(default_factory=dict)
    lists: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentTemplates:
        """Read both settings; ``ValueError`` names the wrong one."""
        return cls(
            buttons=parse_sized_sids(settings.twilio_content_sid_buttons, default_size=3,
                                     max_size=MAX_BUTTONS, name="TWILIO_CONTENT_SID_BUTTONS"),
            lists=parse_sized_sids(settings.twilio_content_sid_list, default_size=10,
                                   max_size=MAX_LIST_ITEMS, name="TWILIO_CONTENT_SID_LIST"),
        )

    def describe(self) -> str:
        """For the start-up output."""
        if not self.buttons and not self.lists:
            return "choices as numbered lines"
        parts = []
        if self.buttons:
            parts.append("buttons for " + "/".join(map(str, sorted(self.buttons))) + " options")
        if self.lists:
            parts.append("lists for " + "/".join(map(str, sorted(self.lists))) + " options")
        return "choices as " + ", ".join(parts) + ", else numbered lines"


def template_sid(settings: Settings, name: str) -> str | None:
    """The approved template for a proactive message kind (``reminder``, ``notice``)."""
    return {
        "reminder": settings.twilio_template_sid_reminder,
        "notice": settings.twilio_template_sid_notice,
    }.get(name)


def template_variable(value: str) -> str:
    """A value WhatsApp accepts in an approved template: one line, no runs of spaces."""
    one_line = " ".join(value.split())
    return one_line or "-"

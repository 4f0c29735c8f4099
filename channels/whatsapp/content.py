"""Optional Twilio Content templates for tappable choices, and the approved templates.

A Content template's buttons or list items are fixed in number when it is created;
only their texts can be variables. So each setting names one template per size:
``TWILIO_CONTENT_SID_BUTTONS=2:HX…,3:HX…`` (a bare ``HX…`` means a 3-button template)
and ``TWILIO_CONTENT_SID_LIST=4:HX…,7:HX…`` (a bare ``HX…`` means 10 items). Variables:
``{{1}}`` is the question, then each option's title and id in turn
(``{{2}}``/``{{3}}`` for the first, ``{{4}}``/``{{5}}`` for the second …).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plumbing.content_sids import MAX_BUTTONS, MAX_LIST_ITEMS, parse_sized_sids
from plumbing.settings import Settings

__all__ = ["MAX_BUTTONS", "MAX_LIST_ITEMS", "ContentTemplates", "parse_sized_sids"]

BUTTON_TITLE_MAX = 20
LIST_ITEM_MAX = 24
BODY_MAX = 1024
ID_MAX = 200




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

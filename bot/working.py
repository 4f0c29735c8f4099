"""The conversation's working data: what the flow keeps between two messages.

Stored encrypted on the conversation (``data_enc``) as a JSON object; :meth:`WorkingData.
from_dict` reads what any earlier version stored and :meth:`~WorkingData.to_dict` writes the
same shape back (a field left at its default is not written; keys this version does not
know are kept as they were).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from bot.case import CaseDetails


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else \
        int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class BookingProgress:
    """One booking attempt (or a look at the person's booking) in the chat."""

    #: The time zone offered to confirm.
    suggested: str | None = None
    day_page: int | None = None
    #: The day chosen, ISO (in the person's zone).
    day: str | None = None
    time_page: int | None = None
    #: The time held (``slot:YYYYMMDDHHMM`` UTC), its hold, consultant and request key.
    slot: str | None = None
    hold: int | None = None
    consultant: int | None = None
    request: str | None = None
    #: Slot ids offered after the wanted time was taken.
    nearest: list[str] | None = None
    #: The booking being moved, looked at, or just cancelled.
    move_id: int | None = None
    mine: int | None = None
    cancelled: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> BookingProgress:
        if not isinstance(data, dict):
            return cls()
        nearest = data.get("nearest")
        return cls(
            suggested=_str(data.get("suggested")), day_page=_int(data.get("day_page")),
            day=_str(data.get("day")), time_page=_int(data.get("time_page")),
            slot=_str(data.get("slot")), hold=_int(data.get("hold")),
            consultant=_int(data.get("consultant")), request=_str(data.get("request")),
            nearest=[s for s in nearest if isinstance(s, str)]
            if isinstance(nearest, list) else None,
            move_id=_int(data.get("move_id")), mine=_int(data.get("mine")),
            cancelled=_int(data.get("cancelled")),
            extra={k: v for k, v in data.items() if k not in _names(cls)},
        )

    def to_dict(self) -> dict[str, Any]:
        return _written(self)

    def release(self) -> None:
        """Forget the held time (the hold itself is released in the database)."""
        self.slot = self.hold = self.consultant = self.request = None


@dataclass
class WorkingData:
    """Everything the flow remembers of a conversation between messages."""

    #: How many questions with options were asked: names the latest (stale buttons).
    asked: int = 0
    #: The options of the latest question: ``(id, label)``.
    choices: list[tuple[str, str]] | None = None
    #: The intake's answers so far.
    intake: CaseDetails = field(default_factory=CaseDetails)
    #: A review's "change": the next answer returns to the review.
    intake_editing: bool = False
    #: The case file stored by the finished intake.
    case_id: int | None = None
    booking: BookingProgress = field(default_factory=BookingProgress)
    #: A request or a FAQ topic of the first message, for after the welcome.
    pending_intent: str | None = None
    pending_topic: str | None = None
    #: The state to return to after the language question.
    language_return: str | None = None
    #: The latest typed number (``text``, ``at``, ``token``) and one held back as a
    #: possible double send (:mod:`bot.repeats`).
    last_number: dict[str, Any] | None = None
    held_number: str | None = None
    #: The person's WhatsApp/Telegram profile name: staff see it until a name is given.
    platform_name: str | None = None
    #: The stored file "My documents" is asking to confirm the removal of.
    removing_file: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> WorkingData:
        """Read the stored object (anything else reads as a fresh start)."""
        if not isinstance(data, dict):
            return cls()
        choices = data.get("choices")
        last = data.get("last_number")
        return cls(
            asked=_int(data.get("asked")) or 0,
            choices=[(str(c[0]), str(c[1])) for c in choices
                     if isinstance(c, list | tuple) and len(c) == 2]
            if isinstance(choices, list) else None,
            intake=CaseDetails.from_dict(data.get("intake")),
            intake_editing=data.get("intake_editing") is True,
            case_id=_int(data.get("case_id")),
            booking=BookingProgress.from_dict(data.get("booking")),
            pending_intent=_str(data.get("pending_intent")),
            pending_topic=_str(data.get("pending_topic")),
            language_return=_str(data.get("language_return")),
            last_number=last if isinstance(last, dict) else None,
            held_number=_str(data.get("held_number")),
            platform_name=_str(data.get("platform_name")),
            removing_file=_int(data.get("removing_file")),
            extra={k: v for k, v in data.items() if k not in _names(cls)},
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored shape (choices as ``[id, label]`` lists)."""
        written = _written(self)
        if self.choices is not None:
            written["choices"] = [[choice_id, label] for choice_id, label in self.choices]
        return written

    def forget(self) -> None:
        """Start afresh (the person's data was erased), keeping only the question counter:
        buttons from before stay recognisably stale."""
        vars(self).update(vars(WorkingData(asked=self.asked)))

    def end_booking(self) -> None:
        """The booking attempt is over (booked, stopped, gone)."""
        self.booking = BookingProgress()

    def end_intake(self) -> None:
        """The intake's answers are stored or refused: drop them from the working data."""
        self.intake = CaseDetails()


#: Per class, its stored fields in declaration order (``extra`` apart), and as a set.
_FIELDS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def _names(cls: type) -> frozenset[str]:
    return _fields(cls)[1]


def _order(cls: type) -> tuple[str, ...]:
    return _fields(cls)[0]


def _fields(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """Listed once per class: ``fields()`` builds its tuple again on each call (twice a
    turn, and for each nested part)."""
    known = _FIELDS.get(cls)
    if known is None:
        order = tuple(f.name for f in fields(cls) if f.name != "extra")
        known = _FIELDS[cls] = (order, frozenset(order))
    return known


def _written(data: Any) -> dict[str, Any]:
    """Fields not at their default, nested objects as their stored shape, then ``extra``."""
    written: dict[str, Any] = {}
    for name in _order(type(data)):
        value = getattr(data, name)
        if hasattr(value, "to_dict"):
            value = value.to_dict()
            if not value:
                continue
        elif value is None or value is False or (name == "asked" and value == 0):
            continue
        written[name] = value
    return {**written, **data.extra}

"""The case details: the intake's questions, defined once, and the answers they collect.

:data:`FIELDS` is read by the chat's intake (order, options, limits, what applies when),
the staff alerts and the dashboard. Answers are stored as a JSON object holding the fields
given (a case file's ``payload_enc``; the working data's ``intake`` while the intake goes
on). :class:`CaseDetails` reads what any earlier version stored and writes the same shape
back; keys it does not know are kept as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.models import CaseFile
from plumbing.crypto import Cipher


class Kind(StrEnum):
    """How a question is answered (each kind has its own check in :mod:`bot.flow.intake`)."""

    CHOICE = "choice"  # one of ``options``
    TEXT = "text"  # free text of ``min_length``..``max_length`` characters, with letters
    COUNTRY = "country"  # an ISO 3166 code, typed in any common form
    DEADLINE = "deadline"  # an ISO date not in the past, or "none"
    EMAIL = "email"  # a normalised address


@dataclass(frozen=True)
class IntakeField:
    """One question of the intake."""

    name: str
    kind: Kind
    options: tuple[str, ...] = ()
    min_length: int = 2
    max_length: int = 0
    #: The prompt differs for lawyers and applicants (``…prompt.lawyer``).
    per_role: bool = False
    #: Offered for change in the review.
    editable: bool = True
    #: Kept in the case file (the consent is kept as its time, ``consent_at``).
    stored: bool = True

    @property
    def label_key(self) -> str:
        """Catalog key of the question's short name ("Name", "Deadline")."""
        return f"intake.{self.name}.label"

    def option_key(self, value: str) -> str:
        """Catalog key of an option's text."""
        return f"intake.{self.name}.{value}"

    def applies(self, given: CaseDetails) -> bool:
        """Whether the question is asked, given the answers so far."""
        if self.name == "represented":
            return given.role != "lawyer"
        if self.name == "firm":
            return given.role == "lawyer" or given.represented == "yes"
        return True


ROLES = ("applicant", "lawyer")
STAGES = ("not_applied", "waiting", "appealing", "other")
YES_NO = ("yes", "no")

#: The questions in order; ``firm`` is asked only of lawyers and represented applicants.
FIELDS = (
    IntakeField("role", Kind.CHOICE, options=ROLES),
    IntakeField("name", Kind.TEXT, max_length=100, per_role=True),
    IntakeField("origin", Kind.COUNTRY, per_role=True),
    IntakeField("asylum_country", Kind.COUNTRY, per_role=True),
    IntakeField("stage", Kind.CHOICE, options=STAGES),
    IntakeField("represented", Kind.CHOICE, options=YES_NO),
    IntakeField("firm", Kind.TEXT, max_length=150, per_role=True),
    IntakeField("deadline", Kind.DEADLINE),
    IntakeField("description", Kind.TEXT, min_length=10, max_length=1000),
    IntakeField("email", Kind.EMAIL),
    IntakeField("consent", Kind.CHOICE, options=YES_NO, editable=False, stored=False),
)
BY_NAME = {f.name: f for f in FIELDS}
#: What the review lets the person change.
EDITABLE = tuple(f for f in FIELDS if f.editable)


@dataclass
class CaseDetails:
    """The answers of one intake (each ``None`` until given)."""

    role: str | None = None
    name: str | None = None
    origin: str | None = None
    asylum_country: str | None = None
    stage: str | None = None
    represented: str | None = None
    firm: str | None = None
    deadline: str | None = None  # ISO date, or "none"
    description: str | None = None
    email: str | None = None
    consent: str | None = None
    #: Keys stored by other versions, kept untouched.
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> CaseDetails:
        """Read a stored answers object (anything else reads as no answers)."""
        if not isinstance(data, dict):
            return cls()
        known = {k: (v if isinstance(v, str) else str(v)) for k, v in data.items()
                 if k in BY_NAME and v is not None}
        return cls(**known, extra={k: v for k, v in data.items() if k not in BY_NAME})

    def to_dict(self) -> dict[str, Any]:
        """The stored shape: the answers given, in question order, then the kept keys."""
        given = {f.name: getattr(self, f.name) for f in FIELDS
                 if getattr(self, f.name) is not None}
        return {**given, **self.extra}

    def for_case_file(self) -> CaseDetails:
        """What a case file keeps: the answers without those not ``stored`` (the consent)."""
        kept = CaseDetails.from_dict(self.to_dict())
        for question in FIELDS:
            if not question.stored:
                kept.clear(question.name)
        return kept

    def get(self, name: str) -> str | None:
        """The answer to question ``name``."""
        value: str | None = getattr(self, BY_NAME[name].name)
        return value

    def set(self, name: str, value: str) -> None:
        """Record the answer to question ``name``."""
        setattr(self, BY_NAME[name].name, value)

    def clear(self, name: str) -> None:
        """Forget the answer to question ``name`` (it will be asked again)."""
        setattr(self, BY_NAME[name].name, None)

    def next_question(self) -> IntakeField | None:
        """The first question that applies and is not answered yet."""
        return next((f for f in FIELDS if f.applies(self) and self.get(f.name) is None), None)

    def __bool__(self) -> bool:
        return bool(self.to_dict())


def read_case(cipher: Cipher, case: CaseFile | None) -> CaseDetails:
    """A case file's details; none when it has none (erased). ValueError: undecryptable."""
    if case is None or not case.payload_enc:
        return CaseDetails()
    return CaseDetails.from_dict(cipher.decrypt_json(case.payload_enc))

"""How a file is named to the person: acknowledgements, refusals, the "My documents" list.

A file is called by the name the person's app gave it (``refusal-letter.pdf``) or, when the
platform gives none (photos, voice notes), by what it is ("your photo").
"""

from __future__ import annotations

from bot.casefiles.models import CaseDocument, DocumentStatus, Refusal
from bot.i18n import Translator
from plumbing.settings import Settings

_KINDS = ("document", "photo", "voice", "audio", "video")


def label(t: Translator, kind: str, name: str) -> str:
    """The file's own name, else what it is."""
    return name or t(f"casefiles.kind.{kind if kind in _KINDS else 'document'}")


def duration(seconds: float) -> str:
    """``1:05`` for 65 seconds."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def details(t: Translator, pages: int | None, seconds: float | None) -> str:
    """"2 pages", "0:12", or nothing."""
    if pages:
        return t.count("casefiles.pages", pages)
    if seconds:
        return t("casefiles.duration", time=duration(seconds))
    return ""


def outcome(t: Translator, row: CaseDocument, name: str, settings: Settings) -> str:
    """What the person is told once the file was kept, refused or could not be fetched."""
    shown = label(t, row.kind, name)
    if row.status == DocumentStatus.STORED:
        more = details(t, row.pages, row.duration_seconds)
        return t("casefiles.received_with", name=shown, details=more) if more \
            else t("casefiles.received", name=shown)
    if row.status == DocumentStatus.FAILED:
        return t("casefiles.failed", name=shown)
    if row.refusal == Refusal.SIZE:
        return t("casefiles.refused.size", name=shown, limit=settings.case_file_max_mb)
    if row.refusal == Refusal.CASE_FULL:
        return t("casefiles.refused.case_full", name=shown, limit=settings.case_files_max_mb)
    if row.refusal == Refusal.SOURCE:
        return t("casefiles.refused.source", name=shown)
    return t("casefiles.refused.type", name=shown)

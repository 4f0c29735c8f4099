"""Talking to a person, and the sample report and expert CV."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.flow.core import State, Turn
from bot.messages import Document
from bot.models import HandoffRequest
from bot.notices.staff_alerts import AlertKind, alert_staff


def request_person(turn: Turn, reason: str) -> bool:
    """Record that the person wants staff; False if a request is already waiting."""
    waiting = turn.session.exec(
        select(HandoffRequest).where(
            HandoffRequest.conversation_id == turn.conversation_id,
            HandoffRequest.resolved_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if waiting is not None:
        return False
    turn.session.add(
        HandoffRequest(conversation_id=turn.conversation_id, reason=reason, requested_at=turn.now)
    )
    alert_staff(turn.session, turn.runtime, kind=AlertKind.HANDOFF, conversation=turn.conversation,
                reason=reason, now=turn.now)
    return True


class Handoff(State):
    """Ask for a person: recorded with its time, acknowledged with the one-hour promise."""

    name = "handoff"

    def enter(self, turn: Turn) -> None:
        if request_person(turn, "human"):
            turn.say("handoff.recorded")
        else:
            turn.say("handoff.already_waiting")
        if turn.data.intake:  # asked mid-intake: nothing typed so far is lost
            turn.say("understanding.answers_kept")
        turn.go("menu")

    def handle(self, turn: Turn) -> None:
        self.enter(turn)


def document_reply(source: str, filename: str, caption: str) -> Document:
    """A document from a URL or a local file named in the settings."""
    if source.startswith(("http://", "https://")):
        return Document(filename=filename, caption=caption, url=source,
                        media_type="application/pdf")
    path = Path(source)
    return Document(filename=path.name, caption=caption, content=path.read_bytes(),
                    media_type="application/pdf")


class Documents(State):
    """Send the sample report and expert CV, or ask staff to send them."""

    name = "documents"

    def enter(self, turn: Turn) -> None:
        settings = turn.runtime.settings
        configured = [(src, name, key) for src, name, key in (
            (settings.sample_report, "sample-report.pdf", "documents.sample_report"),
            (settings.expert_cv, "expert-cv.pdf", "documents.expert_cv"),
        ) if src]
        if not configured:
            request_person(turn, "documents")
            turn.say("documents.by_staff")
        for source, filename, key in configured:
            try:
                turn.replies.append(document_reply(source, filename, turn.t(key)))
            except OSError:
                request_person(turn, "documents")
                turn.say("documents.by_staff")
                break
        turn.go("menu")

    def handle(self, turn: Turn) -> None:
        self.enter(turn)

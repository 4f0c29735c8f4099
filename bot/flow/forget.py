"""Delete my data: after confirmation, erase case details and the conversation."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select, update

from bot.flow.core import State, Turn
from bot.models import CaseFile, HandoffRequest, InboundMessage

#: Other areas' erasers (e.g. booking cancels upcoming consultations): fn(turn) -> None.
ERASERS: list[Callable[[Turn], None]] = []


def erase_person(turn: Turn) -> None:
    """Erase everything personal this conversation holds; keep only message ids."""
    conversation_id = turn.conversation.id
    for eraser in ERASERS:
        eraser(turn)
    for case in turn.session.exec(
        select(CaseFile).where(CaseFile.conversation_id == conversation_id)
    ).all():
        case.payload_enc = None
        case.erased_at = case.erased_at or turn.now
        turn.session.add(case)
    turn.session.exec(  # type: ignore[call-overload]
        update(InboundMessage)
        .where(col(InboundMessage.conversation_id) == conversation_id)
        .values(text_enc=None, replies_enc=None)
    )
    turn.session.exec(  # type: ignore[call-overload]
        update(HandoffRequest)
        .where(col(HandoffRequest.conversation_id) == conversation_id,
               col(HandoffRequest.resolved_at).is_(None))
        .values(resolved_at=turn.now, resolved_by="erased at the person's request")
    )
    asked = turn.data.get("asked")  # not personal: keeps old buttons recognisably stale
    turn.data.clear()
    if asked:
        turn.data["asked"] = asked
    turn.conversation.timezone = None


class Forget(State):
    """Confirm before erasing."""

    name = "forget"

    def enter(self, turn: Turn) -> None:
        turn.ask(turn.t("forget.confirm"), [turn.option("erase", "forget.yes"),
                                            turn.option("keep", "forget.no")])

    def handle(self, turn: Turn) -> None:
        if turn.choice == "erase":
            erase_person(turn)
            turn.say("forget.done")
            turn.go("menu")
        elif turn.choice == "keep":
            turn.say("forget.kept")
            turn.go("menu")
        else:
            turn.stay("common.choose_option")

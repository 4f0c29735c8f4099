"""Delete my data: name what will go (a booked consultation too), then erase on confirmation."""

from __future__ import annotations

from collections.abc import Callable

from bot.flow.core import State, Turn

#: Other areas' erasers (e.g. booking cancels upcoming consultations): fn(turn) -> None;
#: each gets a :class:`Turn` or a :class:`bot.erasure.Erasing` (runtime, session,
#: conversation, now).
ERASERS: list[Callable[[Turn], None]] = []


def consultation_warning(turn: Turn) -> str | None:
    """"Your consultation on … will be cancelled", for each consultation still ahead."""
    from booking.service import upcoming_for
    from bot.flow.booking import describe

    lines = []
    for booking in upcoming_for(turn.session, turn.conversation_id, turn.now):
        when, zone = describe(turn, booking)
        lines.append(turn.t("forget.consultation", when=when, zone=zone))
    return "\n".join(lines) or None


class Forget(State):
    """Confirm before erasing; a consultation that would be cancelled is named first."""

    name = "forget"

    def enter(self, turn: Turn) -> None:
        warning = consultation_warning(turn)
        question = turn.t("forget.confirm")
        turn.ask(f"{warning}\n\n{question}" if warning else question,
                 [turn.option("erase", "forget.yes"), turn.option("keep", "forget.no")])

    def handle(self, turn: Turn) -> None:
        if turn.choice == "erase":
            from bot.erasure import erase

            done = turn.t("forget.done")
            erase(turn)  # type: ignore[arg-type]  # the state is "new" again, no language
            turn.say_text(done)
            # The engine stores neither this confirmation nor its answer (erased_at is this
            # turn's), and keeps only the question counter of the working data.
            turn.data.forget()
        elif turn.choice == "keep":
            turn.say("forget.kept")
            turn.go("menu")
        else:
            turn.stay("common.choose_option")

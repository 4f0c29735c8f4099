"""Typed answers that may not be meant for the current question: a quoted reply to an
earlier question, or the same number sent again a few seconds later (a double send).

The first gets the polite stale-answer note and the current question; the second is
confirmed: the person is asked to send the number once more if it is meant for this
question too, and the next identical number is taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.flow.core import Turn

#: A repeat this soon after the first is taken for a double send.
REPEAT_WINDOW = timedelta(seconds=5)
_CHANNELS = {"whatsapp"}  # where typed numbers answer questions (no tappable buttons)


def held_back(turn: Turn) -> bool:
    """True (and the person asked again) when the typed answer is held back."""
    current = turn.token
    quoted = turn.inbound.replied_token
    if quoted is not None and quoted != current:
        turn.stay("common.stale_answer")
        return True
    return _double_send(turn, current)


def _double_send(turn: Turn, current: str) -> bool:
    text = turn.text
    last, held = turn.data.last_number, turn.data.held_number
    turn.data.last_number = turn.data.held_number = None
    if turn.inbound.channel not in _CHANNELS or not (text.isascii() and text.isdigit()):
        return False
    turn.data.last_number = {"text": text, "at": turn.now.isoformat(), "token": current}
    if held == text or last is None:
        return False
    try:
        since = turn.now - datetime.fromisoformat(str(last.get("at")))
    except ValueError:
        return False
    if last.get("text") != text or last.get("token") == current or since > REPEAT_WINDOW:
        return False
    turn.data.held_number = text
    turn.stay("common.repeat_check", text=text)
    return True

""""Delete my data" erases the web chat's copy of the conversation too.

Registered with the flow's erasers (``bot.flow.forget.ERASERS``), so it runs in the same
transaction as the rest of the erasure, whichever channel the person asked on.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

from bot.flow.core import Turn
from bot.flow.forget import ERASERS
from bot.identifiers import user_keys
from channels.webchat.models import WebchatMessage, WebchatSession


def erase_web_history(turn: Turn) -> None:
    """Delete every message shown in the sessions that speak as this conversation (found by
    the keyed hash: the conversation's own id is already gone when erasers run)."""
    conversation, cipher = turn.conversation, turn.runtime.cipher
    candidates = turn.session.exec(select(WebchatSession).where(
        WebchatSession.channel == conversation.channel)).all()
    sessions = [s.id for s in candidates if s.user_key == conversation.user_key
                or conversation.user_key in user_keys(cipher, s.channel,
                                                      cipher.decrypt(s.user_id_enc))]
    if sessions:
        turn.session.execute(delete(WebchatMessage).where(
            col(WebchatMessage.session_id).in_(sessions)))


if erase_web_history not in ERASERS:
    ERASERS.append(erase_web_history)

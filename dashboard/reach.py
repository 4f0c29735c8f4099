"""Whether staff can write to a person on their channel from this server."""

from __future__ import annotations


def reply_refusal(channel: str, reachable: frozenset[str]) -> str | None:
    """Why nothing staff write can reach a person on ``channel`` (None: it can);
    ``reachable`` are the channels this server sends on."""
    if channel in reachable:
        return None
    if channel == "console":
        return ("this person uses the terminal chat (consultbot chat), which shows only the "
                "bot's answers to what is typed in it: nothing can be sent to it later")
    return f"this server cannot send {channel} messages: its {channel} settings are incomplete"

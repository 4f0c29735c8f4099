"""Who a conversation belongs to, as staff need it: a name and the case details, decrypted.

Decryption happens here, for display in the dashboard only; nothing here is logged.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bot.models import CaseFile, Conversation
from plumbing.crypto import Cipher


def conversation_data(cipher: Cipher, conversation: Conversation) -> dict[str, Any]:
    """The conversation's stored answers (empty when erased or unreadable)."""
    if not conversation.data_enc:
        return {}
    try:
        data = cipher.decrypt_json(conversation.data_enc)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def case_details(cipher: Cipher, case: CaseFile | None) -> dict[str, Any]:
    """A case file's details (role, name, origin…), or {} when erased or unreadable."""
    if case is None or not case.payload_enc:
        return {}
    try:
        details = cipher.decrypt_json(case.payload_enc)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def latest_case(session: Session, conversation_id: int) -> CaseFile | None:
    """The newest case file of a conversation."""
    return session.exec(
        select(CaseFile).where(CaseFile.conversation_id == conversation_id)
        .order_by(CaseFile.created_at.desc(), CaseFile.id.desc())  # type: ignore[attr-defined,union-attr]
    ).first()


def display_name(cipher: Cipher, conversation: Conversation, case: CaseFile | None) -> str:
    """The name the person gave (case file first, then the intake so far), or a placeholder."""
    name = case_details(cipher, case).get("name")
    if not name:
        name = conversation_data(cipher, conversation).get("intake", {}).get("name")
    return str(name) if name else f"(no name yet: {conversation.channel} #{conversation.id})"

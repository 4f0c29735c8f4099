"""Who wrote, kept out of sight: platform ids and addresses are stored encrypted, and found
again through a keyed hash (a blind index).

A conversation is found by ``(channel, user_key)`` where ``user_key`` is an HMAC-SHA256 of
the platform id under a secret derived from the data key; the id itself is stored only
encrypted (``user_id_enc``) and decrypted when something must be sent. A database copy
without the key therefore tells neither who wrote nor how to reach them.

Rotation: every configured key yields a hash (:func:`user_keys`); a conversation found
under an older key's hash is moved to the first key's hash on its next message, and
:func:`rehash_all` moves all of them (for ``consultbot keys rotate``).
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlmodel import Session, col, select

from bot.models import Conversation
from plumbing.crypto import Cipher

PURPOSE = "blind index: platform user id"


def user_keys(cipher: Cipher, channel: str, user_id: str) -> list[str]:
    """The keyed hashes of one platform id under every configured key, the current first."""
    message = f"{channel}\x00{user_id}".encode()
    return [hmac.digest(secret.encode(), message, "sha256").hex()
            for secret in cipher.derive_all(PURPOSE)]


def user_key(cipher: Cipher, channel: str, user_id: str) -> str:
    """The keyed hash conversations are looked up by."""
    return user_keys(cipher, channel, user_id)[0]


def address_of(cipher: Cipher, conversation: Conversation) -> str | None:
    """The platform id to send to (decrypted), or None once erased or unreadable."""
    if not conversation.user_id_enc:
        return None
    try:
        return cipher.decrypt(conversation.user_id_enc)
    except ValueError:
        return None


def new_conversation(cipher: Cipher, *, channel: str, user_id: str, **fields: Any) -> Conversation:
    """A conversation row for a platform id (hashed and encrypted, never in clear)."""
    return Conversation(channel=channel, user_key=user_key(cipher, channel, user_id),
                        user_id_enc=cipher.encrypt(user_id), **fields)


def find_conversation(session: Session, cipher: Cipher, channel: str,
                      user_id: str) -> Conversation | None:
    """The conversation of this platform id on ``channel``, under any configured key."""
    return session.exec(select(Conversation).where(
        Conversation.channel == channel,
        col(Conversation.user_key).in_(user_keys(cipher, channel, user_id)),
    )).first()


def rehash_all(session: Session, cipher: Cipher, *, batch: int = 500) -> int:
    """Give every conversation the current key's hash (after a key rotation); how many
    changed. Erased stubs without a readable id keep theirs."""
    changed, last_id = 0, 0
    while True:
        rows = session.exec(select(Conversation).where(col(Conversation.id) > last_id)
                            .order_by(col(Conversation.id)).limit(batch)).all()
        if not rows:
            return changed
        for row in rows:
            last_id = row.id or last_id
            address = address_of(cipher, row)
            if address is None:
                continue
            fresh = user_key(cipher, row.channel, address)
            if fresh != row.user_key:
                row.user_key, changed = fresh, changed + 1
                session.add(row)
        session.flush()

"""The blind index: the same id finds the same conversation, another key another hash;
after a key rotation a conversation is found under the old key's hash and moved to the
new one; ``rehash_all`` moves every one."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from bot.engine import Bot
from bot.identifiers import address_of, find_conversation, rehash_all, user_key
from bot.messages import Inbound
from bot.models import Conversation
from consultbot.runtime import Runtime
from plumbing.crypto import Cipher, new_key


def test_the_hash_is_keyed_and_per_channel() -> None:
    one, other = Cipher(new_key()), Cipher(new_key())
    assert user_key(one, "whatsapp", "+447700900123") == user_key(one, "whatsapp", "+447700900123")
    assert user_key(one, "whatsapp", "+447700900123") != user_key(other, "whatsapp",
                                                                    "+447700900123")
    assert user_key(one, "telegram", "1") != user_key(one, "whatsapp", "1")
    assert "447700900123" not in user_key(one, "whatsapp", "+447700900123")


def test_after_a_key_rotation_the_person_is_still_found(
        any_database_url: str, make_runtime: Callable[..., Runtime]) -> None:
    old, new = new_key(), new_key()
    before = make_runtime(database_url=any_database_url, data_encryption_key=old)
    Bot(before).handle(Inbound("telegram", "42", "u1", text="/start"))
    Bot(before).handle(Inbound("telegram", "43", "u2", text="/start"))
    rotated = make_runtime(database_url=any_database_url, data_encryption_key=f"{new},{old}")
    with rotated.db.transaction() as session:
        found = find_conversation(session, rotated.cipher, "telegram", "42")
        assert found is not None and address_of(rotated.cipher, found) == "42"
    Bot(rotated).handle(Inbound("telegram", "42", "u3", text="1"))  # moved on its message
    with rotated.db.transaction() as session:
        rows = {address_of(rotated.cipher, c): c for c in session.exec(select(Conversation))}
        assert len(rows) == 2 and rows["42"].state != "new"
        assert rows["42"].user_key == user_key(rotated.cipher, "telegram", "42")
        assert rows["43"].user_key != user_key(rotated.cipher, "telegram", "43")
        assert rehash_all(session, rotated.cipher) == 1
    alone = make_runtime(database_url=any_database_url, data_encryption_key=f"{new},{old}")
    with alone.db.transaction() as session:
        assert {c.user_key for c in session.exec(select(Conversation))} == {
            user_key(Cipher(new), "telegram", "42"), user_key(Cipher(new), "telegram", "43")}

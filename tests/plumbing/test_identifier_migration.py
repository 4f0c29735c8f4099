"""Migration 0006 hashes and encrypts the platform ids and recipients already stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from bot.identifiers import address_of, find_conversation
from plumbing.crypto import Cipher, new_key
from plumbing.db import Database, alembic_config
from plumbing.outbox import OutboxMessage

NUMBER = "+447700900123"


def _upgrade_to(db: Database, revision: str, cipher: Cipher | None = None) -> None:
    with db.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        config.attributes["cipher"] = cipher
        command.upgrade(config, revision)


def test_existing_ids_are_hashed_and_encrypted(any_empty_database_url: str) -> None:
    db, cipher = Database(any_empty_database_url), Cipher(new_key())
    try:
        _upgrade_to(db, "0004_shared_files")
        now = datetime(2026, 3, 2, tzinfo=UTC).replace(tzinfo=None)
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO conversation (channel, user_id, state, created_at, updated_at, "
                "unreachable) VALUES ('whatsapp', :u, 'menu', :n, :n, false)"),
                {"u": NUMBER, "n": now})
            connection.execute(text(
                "INSERT INTO outbox_message (key, kind, channel, recipient, payload_enc, "
                "status, attempts, due_at, created_at) VALUES ('k', 'reply', 'whatsapp', :u, "
                "'x', 'pending', 0, :n, :n)"), {"u": NUMBER, "n": now})
        with pytest.raises(RuntimeError, match="DATA_ENCRYPTION_KEY"):
            _upgrade_to(db, "heads")
        _upgrade_to(db, "heads", cipher)
        with db.transaction() as session:
            person = find_conversation(session, cipher, "whatsapp", NUMBER)
            assert person is not None and address_of(cipher, person) == NUMBER
            message = session.exec(select(OutboxMessage)).one()
            assert cipher.decrypt(message.recipient_enc or "") == NUMBER
        with db.engine.connect() as connection:
            for table in ("conversation", "outbox_message"):
                rows = connection.execute(text(f"SELECT * FROM {table}")).all()
                assert NUMBER not in repr(rows)
    finally:
        db.dispose()

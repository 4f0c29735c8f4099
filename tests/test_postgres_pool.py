"""The suite's PostgreSQL databases are reused from test to test (``tests/fixtures.py``'s
``_PostgresPool``): one handed back must be what a fresh copy of the template is, or be gone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

pytestmark = pytest.mark.postgres


@contextmanager
def _connected(pool: Any, name: str) -> Iterator[Connection]:
    engine = create_engine(pool.url.set(database=name))
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _exists(pool: Any, name: str) -> bool:
    with pool.admin.connect() as connection:
        return bool(connection.execute(text(
            "SELECT EXISTS (SELECT FROM pg_database WHERE datname = :n)"), {"n": name}).scalar())


def test_a_database_given_back_has_no_rows_and_its_sequences_start_again(
        _postgres_pool: Any) -> None:
    name = _postgres_pool.take()
    with _connected(_postgres_pool, name) as connection:
        connection.execute(text(
            "INSERT INTO conversation (channel, language, state, data_enc, created_at,"
            " updated_at, unreachable, user_key, user_id_enc)"
            " VALUES ('console', 'en', 'start', '', now(), now(), false, 'k', '')"))
        connection.execute(text(
            "INSERT INTO inbound_message (conversation_id, channel, platform_message_id,"
            " received_at) VALUES (1, 'console', 'm1', now())"))
        connection.execute(text("SELECT nextval('purge_run_id_seq')"))
        # A connection left open (a test's leaked runtime) does not keep it from going back.
        leaked = create_engine(_postgres_pool.url.set(database=name)).connect()
    _postgres_pool.give_back(name)
    leaked.invalidate()
    # What the test left running finds no database under the name it knew, as after a drop.
    assert not _exists(_postgres_pool, name)
    name = _postgres_pool.free[-1]
    assert _postgres_pool.take() == name
    try:
        with _connected(_postgres_pool, name) as connection:
            for table in ("conversation", "inbound_message"):
                assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
            assert connection.execute(text(
                "INSERT INTO conversation (channel, language, state, data_enc, created_at,"
                " updated_at, unreachable, user_key, user_id_enc)"
                " VALUES ('console', 'en', 'start', '', now(), now(), false, 'k', '')"
                " RETURNING id")).scalar() == 1
            assert connection.execute(text("SELECT nextval('purge_run_id_seq')")).scalar() == 1
            assert connection.execute(text(
                "SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        _postgres_pool.give_back(name)


@pytest.mark.parametrize("change", [
    "CREATE INDEX extra ON conversation (channel)",
    "ALTER TABLE conversation ADD COLUMN extra text",
    "ALTER TABLE conversation ALTER COLUMN channel DROP NOT NULL",
    "CREATE TABLE extra (id int)",
    "UPDATE alembic_version SET version_num = '0009_case_files'",
    "CREATE FUNCTION extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    'ALTER DATABASE "{name}" CONNECTION LIMIT 5',
])
def test_a_database_whose_shape_changed_is_dropped_not_reused(
        _postgres_pool: Any, change: str) -> None:
    name = _postgres_pool.take()
    with _connected(_postgres_pool, name) as connection:
        connection.execute(text(change.format(name=name)))
    free = list(_postgres_pool.free)
    _postgres_pool.give_back(name)
    assert _postgres_pool.free == free
    assert not _exists(_postgres_pool, name)
    assert not [n for n in _postgres_pool.made if not _exists(_postgres_pool, n)]

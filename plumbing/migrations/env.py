"""Alembic environment: runs on the connection handed over by ``Database.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=None,
        render_as_batch=conn.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # plain `alembic` use: DATABASE_URL from the settings
    from plumbing.settings import load_settings

    with create_engine(load_settings().database_url).begin() as conn:
        _run(conn)

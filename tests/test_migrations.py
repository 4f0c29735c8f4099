"""The migrations build exactly the tables the SQLModel models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import booking.models
import bot.models
import consultbot.files
import consultbot.outbox
import consultbot.retention
import consultbot.staff.models
from consultbot.db import Database

MODELS = (booking.models, bot.models, consultbot.files, consultbot.outbox, consultbot.retention,
          consultbot.staff.models)


def test_migrations_match_the_models(any_database_url: str) -> None:
    db = Database(any_database_url)
    try:
        db.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        db.dispose()


def test_the_one_active_booking_per_slot_index_is_partial(any_database_url: str) -> None:
    """compare_metadata does not look at an index's WHERE: check it by hand."""
    db = Database(any_database_url)
    try:
        db.upgrade()
        with db.engine.connect() as connection:
            if db.is_postgres:
                sql = connection.execute(text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
                    {"n": "uq_booking_consultant_start_active"}).scalar_one()
            else:
                sql = connection.execute(text(
                    "SELECT sql FROM sqlite_master WHERE name = :n"),
                    {"n": "uq_booking_consultant_start_active"}).scalar_one()
        assert "UNIQUE" in sql.upper()
        for status in booking.models.ACTIVE_STATUSES:
            assert f"'{status}'" in sql
        for status in (booking.models.CANCELLED, booking.models.RESCHEDULED):
            assert f"'{status}'" not in sql
    finally:
        db.dispose()

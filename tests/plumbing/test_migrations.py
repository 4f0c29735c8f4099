"""The migrations build exactly the tables the SQLModel models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import booking.calendars.models
import booking.models
import bot.casefiles.models
import bot.models
import bot.retention
import channels.files
import channels.webchat.models
import channels.whatsapp.questions
import dashboard.models
import plumbing.heartbeat
import plumbing.outbox
from plumbing.db import HEADS, Database, alembic_config, applied, newest

MODELS = (booking.models, booking.calendars.models, bot.models, channels.files,
          plumbing.outbox, plumbing.heartbeat, dashboard.models, channels.whatsapp.questions,
          channels.webchat.models, bot.retention)


def test_migrations_match_the_models(any_empty_database_url: str) -> None:
    db = Database(any_empty_database_url)
    try:
        db.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        db.dispose()


def test_the_one_active_booking_per_slot_index_is_partial(any_empty_database_url: str) -> None:
    """compare_metadata does not look at an index's WHERE: check it by hand."""
    db = Database(any_empty_database_url)
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
        statuses = booking.models.BookingStatus
        for status in (statuses.CANCELLED, statuses.RESCHEDULED):
            assert f"'{status}'" not in sql
    finally:
        db.dispose()


def test_a_database_behind_is_brought_up_and_one_at_the_newest_is_left_alone(
        any_empty_database_url: str) -> None:
    """``upgrade`` skips the migration scripts only when nothing is pending."""
    db = Database(any_empty_database_url)
    try:
        with db.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0003_staff")
        db.upgrade()
        with db.engine.connect() as connection:
            assert set(MigrationContext.configure(connection).get_current_heads()) == newest()
            assert applied(connection) == HEADS
            assert "shared_file" in inspect(connection).get_table_names()
        db.upgrade()  # at the newest revision: nothing to do, nothing fails
    finally:
        db.dispose()


def test_the_written_out_heads_are_the_migrations_own() -> None:
    """``HEADS`` lets a start skip alembic: a new migration must update it, or this fails."""
    assert newest() == HEADS


def test_a_new_database_has_no_revisions_applied(any_empty_database_url: str) -> None:
    db = Database(any_empty_database_url)
    try:
        with db.engine.connect() as connection:
            assert applied(connection) == frozenset()
    finally:
        db.dispose()

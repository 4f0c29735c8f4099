"""Shared fixtures: a migrated database (SQLite, or the local PostgreSQL), a manual clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from consultbot.runtime import Runtime, build_runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import Settings, load_settings

#: A Monday morning in winter (London = UTC).
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

#: Zoom's far side, faked with respx at these addresses.
ZOOM_API = "https://zoom.test/v2"
ZOOM_OAUTH = "https://zoom.test/oauth/token"
ZOOM_SETTINGS: dict[str, Any] = {
    "zoom_account_id": "acc", "zoom_client_id": "cid", "zoom_client_secret": "secret",
    "zoom_api_base_url": ZOOM_API, "zoom_oauth_url": ZOOM_OAUTH,
}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run every test in its own folder, so no .env or var/ of the developer leaks in."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "TELEGRAM_", "ZOOM_", "SMTP_", "BOOKING_", "STAFF_",
                             "CALENDAR_")) or \
                name in {"DATABASE_URL", "DATA_ENCRYPTION_KEY", "PUBLIC_BASE_URL", "SECRET_KEY"}:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_encryption_key=new_key())


@pytest.fixture
def runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    rt = build_runtime(settings, clock=clock)
    yield rt
    rt.db.dispose()


@pytest.fixture
def make_runtime(database_url: str, clock: ManualClock) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes with some settings changed (the test's database, a new key and the
    test's clock unless given); every one is closed after the test."""
    made: list[Runtime] = []

    def make(*, clock_: Any = None, **overrides: Any) -> Runtime:
        overrides.setdefault("database_url", database_url)
        overrides.setdefault("data_encryption_key", new_key())
        made.append(build_runtime(load_settings(**overrides), clock=clock_ or clock))
        return made[-1]

    yield make
    for runtime in made:
        runtime.db.dispose()


@pytest.fixture
def zoom() -> Iterator[respx.MockRouter]:
    """Zoom's servers: the OAuth token endpoint answers; tests add the meeting routes."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.post(ZOOM_OAUTH).mock(return_value=httpx.Response(
            200, json={"access_token": "tok", "expires_in": 3600}))
        # Looked up before a create is repeated; tests that need meetings there add a route.
        router.get(f"{ZOOM_API}/users/me/meetings", name="list").mock(
            return_value=httpx.Response(200, json={"meetings": [], "next_page_token": ""}))
        yield router


def postgres_base_url() -> str | None:
    """TEST_POSTGRES_URL, e.g. postgresql://postgres@localhost/postgres; unset skips PG tests."""
    return os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = postgres_base_url()
    if not base:
        pytest.skip("TEST_POSTGRES_URL is not set")
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"consultbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_database_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """Runs a test on SQLite and again on the local PostgreSQL."""
    if request.param == "sqlite":
        return database_url
    return request.getfixturevalue("postgres_url")

"""Fixtures of the dashboard tests: an app over a migrated database, on plain http."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consultbot.runtime import Runtime
from consultbot.web import create_app
from plumbing.crypto import new_key
from plumbing.settings import Settings, load_settings
from tests.dashboard.helpers import add_staff, sign_in


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_encryption_key=new_key(),
                         cookie_secure=False, staff_timezone="Europe/London")


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def staff(runtime: Runtime, client: FlaskClient) -> FlaskClient:
    """A client signed in as staff@example.org."""
    add_staff(runtime)
    assert sign_in(client).status_code == 302
    return client

"""Fixtures of the WhatsApp case-file tests: the fake Twilio API and CDN, and a runtime
configured for them (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consultbot.runtime import Runtime, build_runtime
from consultbot.web import create_app
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    FakeFileHost,
    FakeTwilioApi,
    TwilioWebhooks,
)


@pytest.fixture
def twilio(clock: ManualClock) -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER, clock=clock) as api:
        yield api


@pytest.fixture
def cdn() -> Iterator[FakeFileHost]:
    with FakeFileHost() as host:
        yield host


@pytest.fixture
def wa(any_database_url: str, clock: ManualClock, twilio: FakeTwilioApi) -> Iterator[Runtime]:
    settings = load_settings(
        database_url=any_database_url, data_encryption_key=new_key(),
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL,
        twilio_api_base_url=twilio.base_url, case_file_max_mb=1, case_files_max_mb=3)
    runtime = build_runtime(settings, clock=clock)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def webhooks(wa: Runtime) -> TwilioWebhooks:
    return TwilioWebhooks(create_app(wa).test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)

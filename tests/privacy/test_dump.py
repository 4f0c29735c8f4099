"""A copy of the database alone does not tell who wrote: no phone number, Telegram id or
e-mail address of a person in clear, in the SQLite file or in pg_dump's output."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.engine import Bot
from consultbot.runtime import Runtime
from tests.privacy.people import (
    EMAIL,
    PHONE,
    TELEGRAM_ID,
    Person,
    book_and_get_help,
    found,
    tell_everything,
)

IN_CLEAR = (PHONE.encode(), PHONE.lstrip("+").encode(), TELEGRAM_ID.encode(), EMAIL.encode())


def populate(runtime: Runtime) -> None:
    bot = Bot(runtime)
    person = Person(bot)
    tell_everything(person)
    book_and_get_help(runtime, person)
    other = Person(bot, "telegram", TELEGRAM_ID)
    other.say("/start")
    other.say("1")
    secrets = (PHONE, TELEGRAM_ID, EMAIL)
    assert found(runtime, secrets)  # the data is there, readable with the key


def test_the_sqlite_files_hold_no_identifier_in_clear(
        make_runtime: Callable[..., Runtime], tmp_path: Path) -> None:
    runtime = make_runtime(staff_alert_emails="team@example.org")
    populate(runtime)
    runtime.db.dispose()
    files = list(tmp_path.glob("test.db*"))
    assert files and sum(f.stat().st_size for f in files) > 10_000
    content = b"".join(f.read_bytes() for f in files)
    assert [value for value in IN_CLEAR if value in content] == []


@pytest.mark.postgres
def test_pg_dump_holds_no_identifier_in_clear(
        postgres_url: str, make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(database_url=postgres_url, staff_alert_emails="team@example.org")
    populate(runtime)
    url = make_url(postgres_url).set(drivername="postgresql")
    dump = subprocess.run(["pg_dump", "--no-owner", url.render_as_string(hide_password=False)],
                          capture_output=True, check=True, timeout=120).stdout
    assert b"COPY public.conversation" in dump and len(dump) > 10_000
    assert [value for value in IN_CLEAR if value in dump] == []

"""Retention: kept one day before the limit, gone one day after; a consultation ahead is
never purged; each run is recorded; the worker purges daily; ``purge --dry-run`` lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from booking.models import Booking
from bot.engine import Bot
from bot.models import CaseFile, Conversation
from bot.retention import PurgeRun, purge
from consultbot import cli
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from tests.fixtures import START
from tests.privacy.people import NAME, Person, book_and_get_help, found, tell_everything


@pytest.fixture
def runtime(any_database_url: str, make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(database_url=any_database_url, retention_days=180,
                        retention_days_not_booked=30)


def move_to(clock: ManualClock, moment: datetime) -> None:
    clock.advance(moment - clock())


def erased(runtime: Runtime) -> dict[str, bool]:
    with runtime.db.transaction() as session:
        return {c.channel: c.erased_at is not None
                for c in session.exec(select(Conversation)).all()}


def test_kept_a_day_before_and_gone_a_day_after(runtime: Runtime, clock: ManualClock) -> None:
    bot = Bot(runtime)
    booked = Person(bot)  # books: 180 days after the consultation
    tell_everything(booked)
    book_and_get_help(runtime, booked)
    asked = Person(bot, "telegram", "5551")  # never books: 30 days after the last message
    tell_everything(asked)
    with runtime.db.transaction() as session:
        consultation_end = session.exec(select(Booking)).one().end
    last_message = clock()

    move_to(clock, last_message + timedelta(days=29))
    assert purge(runtime) == [] and erased(runtime) == {"whatsapp": False, "telegram": False}
    move_to(clock, last_message + timedelta(days=31))
    [gone] = purge(runtime)
    assert (gone.channel, gone.booked) == ("telegram", False)
    assert erased(runtime) == {"whatsapp": False, "telegram": True}

    move_to(clock, consultation_end + timedelta(days=179))
    assert purge(runtime) == []
    assert found(runtime, (NAME,))
    move_to(clock, consultation_end + timedelta(days=181))
    assert [d.channel for d in purge(runtime)] == ["whatsapp"]
    assert found(runtime) == []
    with runtime.db.transaction() as session:
        runs = session.exec(select(PurgeRun).order_by(PurgeRun.id)).all()  # type: ignore[arg-type]
        cases = session.exec(select(CaseFile)).all()
        reasons = {c.erased_reason for c in session.exec(select(Conversation)).all()}
    assert [r.conversations for r in runs] == [0, 1, 0, 1]
    assert all(c.payload_enc is None for c in cases) and reasons == {"retention"}


def test_a_consultation_ahead_is_never_purged(
        any_database_url: str, make_runtime: Callable[..., Runtime], clock: ManualClock) -> None:
    runtime = make_runtime(database_url=any_database_url, retention_days=1,
                           retention_days_not_booked=1, booking_min_notice_hours=72)
    person = Person(Bot(runtime))
    tell_everything(person)
    for answer in ("1", "1", "1", "Confirm"):
        person.say(answer)
    with runtime.db.transaction() as session:
        booked = session.exec(select(Booking)).one()
    move_to(clock, booked.start - timedelta(minutes=5))  # days after the last message
    assert purge(runtime) == []
    assert erased(runtime) == {"whatsapp": False}
    move_to(clock, booked.end + timedelta(days=1, minutes=1))
    assert len(purge(runtime)) == 1 and erased(runtime) == {"whatsapp": True}


def test_the_worker_purges_once_a_day(runtime: Runtime, clock: ManualClock) -> None:
    Person(Bot(runtime), "telegram", "5552").say("/start")
    move_to(clock, START + timedelta(days=31))
    worker = Worker(runtime, {})
    worker.tick()
    worker.tick()
    move_to(clock, START + timedelta(days=32))
    worker.tick()
    with runtime.db.transaction() as session:
        runs = session.exec(select(PurgeRun).order_by(PurgeRun.id)).all()  # type: ignore[arg-type]
    assert [r.conversations for r in runs] == [1, 0]
    assert erased(runtime) == {"telegram": True}


def test_purge_dry_run_lists_and_changes_nothing(
        runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    tell_everything(Person(Bot(runtime), "telegram", "5553"))
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY",
                       runtime.settings.data_encryption_key.get_secret_value())  # type: ignore[union-attr]
    # The command runs on the real clock: months after the test's last message.
    assert cli.main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "telegram\tnever booked" in out and "1 person would be purged." in out
    assert NAME not in out and "5553" not in out
    assert erased(runtime) == {"telegram": False}

"""Many workers confirm the same slot at once: threads and processes, SQLite and PostgreSQL.

Exactly one booking may come out; every loser is told the slot is taken and given the
nearest free ones. Workers retry a unit that lost a database race, as the chat engine
does (``IntegrityError``/``OperationalError`` roll back the whole unit).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

import booking.service as service
from booking.models import Booking
from bot.engine import Bot
from bot.messages import Inbound, reply_plain_text
from bot.models import Conversation
from channels.console import ConsoleChannel
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from tests.bot.test_booking_chat import intake
from tests.fixtures import START, runtime_for, worker_processes

pytestmark = pytest.mark.slow  # started first: see tests/conftest.py

SLOT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # the first free slot after START
THREADS = 8
PROCESSES = 4


def people(runtime: Runtime, count: int, prefix: str) -> list[int]:
    with runtime.db.transaction() as session:
        rows = [Conversation(channel="console", user_key=f"{prefix}{n}", state="menu",
                             created_at=START, updated_at=START) for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows if r.id is not None]


def confirm(runtime: Runtime, who: int, request_key: str) -> tuple[str, Any]:
    """One confirmation, retried like a chat turn; ("booked", id) or ("taken", nearest)."""
    for _ in range(10):
        try:
            with runtime.db.transaction() as session:
                made = service.book(session, runtime.settings, runtime.clock(),
                                    conversation_id=who, start=SLOT, request_key=request_key,
                                    channel="console", language="en",
                                    applicant_timezone="Europe/London")
                return "booked", made.id
        except service.SlotTaken as taken:
            return "taken", [s.start.isoformat() for s in taken.nearest]
        except (IntegrityError, OperationalError):
            continue
    return "gave up", None


def _process_worker(url: str, key: str, jobs: list[tuple[int, str]], barrier: Any,
                    out: Any) -> None:
    runtime = runtime_for(url, data_encryption_key=key)
    barrier.wait(timeout=120)
    for who, request_key in jobs:
        out.put(confirm(runtime, who, request_key))
    runtime.db.dispose()


def race(url: str, key: str, jobs: list[tuple[int, str]]) -> list[tuple[str, Any]]:
    """Run ``jobs`` at once: half on threads here, half in spawned processes."""
    local, remote = jobs[:THREADS], jobs[THREADS:]
    context = worker_processes()
    barrier = context.Barrier(len(local) + len(remote))
    out = context.Queue()
    processes = [context.Process(target=_process_worker, args=(url, key, [job], barrier, out))
                 for job in remote]
    for process in processes:
        process.start()
    runtime = runtime_for(url, data_encryption_key=key)
    results: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def thread_worker(job: tuple[int, str]) -> None:
        barrier.wait(timeout=120)
        outcome = confirm(runtime, *job)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=thread_worker, args=(job,)) for job in local]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    results += [out.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    runtime.db.dispose()
    return results


def active_bookings(url: str, key: str) -> list[Booking]:
    runtime = runtime_for(url, data_encryption_key=key)
    with runtime.db.transaction() as session:
        found = list(session.exec(select(Booking).where(Booking.status == "confirmed")).all())
    runtime.db.dispose()
    return found


def test_many_people_confirm_one_slot_and_one_booking_exists(any_database_url: str) -> None:
    key = new_key()
    setup = runtime_for(any_database_url, data_encryption_key=key)
    who = people(setup, THREADS + PROCESSES, "p")
    setup.db.dispose()
    results = race(any_database_url, key, [(w, f"{w}:same-slot") for w in who])
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["booked"] + ["taken"] * (len(who) - 1)
    nearest = next(r[1] for r in results if r[0] == "taken")
    assert nearest and SLOT.isoformat() not in nearest
    [booking] = active_bookings(any_database_url, key)
    assert booking.start == SLOT
    assert booking.id == next(r[1] for r in results if r[0] == "booked")


def test_one_confirmation_delivered_many_times_at_once_books_once(any_database_url: str) -> None:
    key = new_key()
    setup = runtime_for(any_database_url, data_encryption_key=key)
    [who] = people(setup, 1, "p")
    setup.db.dispose()
    results = race(any_database_url, key, [(who, f"{who}:one-request")] * (THREADS + PROCESSES))
    assert {r[0] for r in results} == {"booked"}
    assert len({r[1] for r in results}) == 1
    assert len(active_bookings(any_database_url, key)) == 1


def test_the_unique_index_alone_stops_a_double_booking(any_database_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Even with the consultant lock gone, the database refuses a second booking."""
    monkeypatch.setattr(service, "lock_consultants", lambda session: [])
    key = new_key()
    setup = runtime_for(any_database_url, data_encryption_key=key)
    who = people(setup, THREADS, "p")
    barrier = threading.Barrier(len(who), timeout=60)
    results: list[tuple[str, Any]] = []

    def worker(w: int) -> None:
        barrier.wait()
        results.append(confirm(setup, w, f"{w}:x"))

    threads = [threading.Thread(target=worker, args=(w,)) for w in who]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    setup.db.dispose()
    assert sorted(r[0] for r in results) == ["booked"] + ["taken"] * (len(who) - 1)
    assert len(active_bookings(any_database_url, key)) == 1


# --- the same race through the chat ---------------------------------------------------


def _chat_worker(url: str, key: str, now: datetime, user: str, barrier: Any, out: Any) -> None:
    runtime = runtime_for(url, data_encryption_key=key, clock=ManualClock(now))
    barrier.wait(timeout=120)
    replies = Bot(runtime).handle(Inbound("console", user, f"{user}-confirm", text="Confirm"))
    out.put("\n".join(reply_plain_text(r) for r in replies))
    runtime.db.dispose()


def test_many_chats_confirm_the_same_slot(any_database_url: str) -> None:
    key = new_key()
    clock = ManualClock(START)
    runtime = runtime_for(any_database_url, data_encryption_key=key, clock=clock)
    bot = Bot(runtime)
    users = [f"u{n}" for n in range(6)]
    for user in users:  # each holds the 9:00 slot in turn; each hold lapses before the next
        chat = ConsoleChannel(bot, user)
        intake(chat)
        chat.send("1")  # London
        chat.send("1")  # Tuesday 3 March
        assert "Please confirm" in chat.send("1")  # 9:00
        clock.advance(timedelta(minutes=runtime.settings.booking_hold_minutes + 1))
    now = clock()
    context = worker_processes()
    barrier = context.Barrier(len(users))
    out = context.Queue()
    in_process, on_threads = users[:3], users[3:]
    processes = [context.Process(target=_chat_worker,
                                 args=(any_database_url, key, now, u, barrier, out))
                 for u in in_process]
    for process in processes:
        process.start()
    answers: list[str] = []
    start: Callable[[str], None] = lambda u: (  # noqa: E731
        barrier.wait(timeout=120),
        answers.append("\n".join(reply_plain_text(r) for r in bot.handle(
            Inbound("console", u, f"{u}-confirm", text="Confirm")))))
    threads = [threading.Thread(target=start, args=(u,)) for u in on_threads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    answers += [out.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sum("Your free consultation is booked" in a for a in answers) == 1
    assert sum("someone has just booked that time" in a for a in answers) == len(users) - 1
    assert all("nearest free times" in a for a in answers if "someone has just" in a)
    runtime.db.dispose()
    assert len(active_bookings(any_database_url, key)) == 1

"""The outbox worker: sends once, survives restarts, retries with back-off, then fails with why."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.identifiers import new_conversation
from bot.messages import Text, reply_to_dict
from bot.models import Conversation
from channels.delivery import Delivery, DeliveryFailed
from consultbot.runtime import Runtime, build_runtime
from consultbot.worker import (
    NOT_CONFIGURED,
    OUTCOME_LOST,
    OUTCOME_RELEASED,
    OUTCOME_RETRY,
    OUTCOME_SENT,
    UNREACHABLE,
    Worker,
    backoff_delay,
    describe_senders,
    start_background,
)
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, OutboxStatus, cancel_pending, enqueue, retry_failed
from plumbing.settings import load_settings
from tests.fixtures import START


class RecordingSender:
    """The far side of a channel: remembers what it was given, can fail on demand."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.sent: list[Delivery] = []
        self.failures = list(failures or [])
        self.calls = 0
        self.lock = threading.Lock()

    def send(self, delivery: Delivery) -> str | None:
        with self.lock:
            self.calls += 1
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(delivery)
            return f"P-{len(self.sent)}"


def put(runtime: Runtime, key: str, *, channel: str = "fake", text: str = "hello",
        conversation_id: int | None = None, due_in: timedelta | None = None) -> bool:
    now = runtime.clock()
    with runtime.db.transaction() as session:
        return enqueue(session, runtime.cipher, key=key, kind="notice", channel=channel,
                       recipient="r-1", replies=[reply_to_dict(Text(text))], now=now,
                       due_at=now + due_in if due_in else None,
                       conversation_id=conversation_id, template=("notice", ("a", "b")))


def row(runtime: Runtime, key: str) -> OutboxMessage:
    with runtime.db.transaction() as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def add_person(runtime: Runtime) -> int:
    now = runtime.clock()
    with runtime.db.transaction() as session:
        person = new_conversation(runtime.cipher, channel="telegram", user_id="42",
                                  state="menu", created_at=now, updated_at=now,
                                  last_inbound_at=now - timedelta(hours=2))
        session.add(person)
        session.flush()
        return person.id  # type: ignore[return-value]


def test_a_stored_message_is_sent_once_with_its_content(runtime: Runtime) -> None:
    sender = RecordingSender()
    person = add_person(runtime)
    assert put(runtime, "notice:1", text="Your consultation moved", conversation_id=person)
    assert not put(runtime, "notice:1", text="again")  # the same decision stores nothing new
    worker = Worker(runtime, {"fake": sender})

    assert worker.run_once() == {OUTCOME_SENT: 1}
    assert worker.run_once() == {}
    (delivery,) = sender.sent
    assert delivery.key == "notice:1" and delivery.recipient == "r-1"
    assert delivery.replies == (Text("Your consultation moved"),)
    assert delivery.template is not None and delivery.template.variables == ("a", "b")
    assert delivery.last_inbound_at == START - timedelta(hours=2)
    stored = row(runtime, "notice:1")
    assert (stored.status, stored.provider_message_id, stored.sent_at, stored.attempts) == \
        (OutboxStatus.SENT, "P-1", START, 1)


def test_a_message_waits_until_it_is_due(runtime: Runtime, clock: ManualClock) -> None:
    sender = RecordingSender()
    put(runtime, "later", due_in=timedelta(minutes=10))
    worker = Worker(runtime, {"fake": sender})
    clock.advance(timedelta(minutes=9, seconds=59))
    assert worker.run_once() == {}
    clock.advance(timedelta(seconds=1))
    assert worker.run_once() == {OUTCOME_SENT: 1}


def test_a_restart_between_storing_and_sending_loses_nothing(settings, clock) -> None:  # type: ignore[no-untyped-def]
    first = build_runtime(settings, clock=clock)
    put(first, "stored-before-crash")
    first.db.dispose()  # the process ends before any worker ran

    second = build_runtime(settings, clock=clock)
    sender = RecordingSender()
    Worker(second, {"fake": sender}).drain()
    assert [d.key for d in sender.sent] == ["stored-before-crash"]
    second.db.dispose()


def test_a_worker_that_dies_holding_a_claim_delays_but_does_not_lose(
        runtime: Runtime, clock: ManualClock) -> None:
    put(runtime, "claimed-then-crash")
    dead = Worker(runtime, {"fake": RecordingSender()})
    assert len(dead.claim()) == 1  # ... and the process dies here, before sending

    sender = RecordingSender()
    survivor = Worker(runtime, {"fake": sender})
    assert survivor.run_once() == {}  # still leased to the dead worker
    clock.advance(dead.lease)
    assert survivor.run_once() == {OUTCOME_SENT: 1}
    assert row(runtime, "claimed-then-crash").attempts == 2


def test_a_crash_after_sending_before_recording_resends_after_the_lease(
        runtime: Runtime, clock: ManualClock) -> None:
    """The documented at-least-once window: the platform got it, our record did not."""
    put(runtime, "sent-then-crash")
    platform = RecordingSender()
    dead = Worker(runtime, {"fake": platform})
    (claim,) = dead.claim()
    platform.send(dead.delivery(claim))  # accepted by the platform; the process dies here

    survivor = Worker(runtime, {"fake": platform})
    clock.advance(dead.lease - timedelta(seconds=1))
    assert survivor.run_once() == {}
    clock.advance(timedelta(seconds=1))
    assert survivor.run_once() == {OUTCOME_SENT: 1}
    assert len(platform.sent) == 2
    assert survivor.run_once() == {}  # once recorded, never again


def test_a_late_worker_cannot_overwrite_the_one_that_took_over(
        runtime: Runtime, clock: ManualClock) -> None:
    put(runtime, "slow")
    second = RecordingSender()
    taker = Worker(runtime, {"fake": second})

    class SlowPlatform(RecordingSender):
        def send(self, delivery: Delivery) -> str | None:
            clock.advance(timedelta(minutes=10))  # this send hangs past the lease ...
            assert taker.run_once() == {OUTCOME_SENT: 1}  # ... and another worker takes over
            return "late-id"

    slow = Worker(runtime, {"fake": SlowPlatform()})
    (claim,) = slow.claim()
    assert slow.process(claim) == OUTCOME_LOST
    stored = row(runtime, "slow")
    assert (stored.status, stored.provider_message_id, stored.attempts) == \
        (OutboxStatus.SENT, "P-1", 2)


def test_a_claim_whose_lease_is_nearly_over_is_put_back_unsent(
        runtime: Runtime, clock: ManualClock) -> None:
    put(runtime, "stale")
    sender = RecordingSender()
    worker = Worker(runtime, {"fake": sender})
    (claim,) = worker.claim()
    clock.advance(worker.lease - worker.send_budget)
    assert worker.process(claim) == OUTCOME_RELEASED
    assert sender.calls == 0
    stored = row(runtime, "stale")
    assert (stored.status, stored.attempts, stored.claimed_until) == (OutboxStatus.PENDING, 0, None)
    assert worker.run_once() == {OUTCOME_SENT: 1}


def test_a_failing_channel_is_retried_with_backoff_then_marked_failed(
        database_url: str, clock: ManualClock) -> None:
    from plumbing.crypto import new_key

    runtime = build_runtime(load_settings(database_url=database_url,
                                          data_encryption_key=new_key(),
                                          outbox_max_attempts=4), clock=clock)
    sender = RecordingSender([DeliveryFailed("HTTP 503 from the platform")] * 4)
    worker = Worker(runtime, {"fake": sender})
    put(runtime, "flaky")

    waits = []
    for attempt in range(1, 4):
        assert worker.run_once() == {OUTCOME_RETRY: 1}
        stored = row(runtime, "flaky")
        assert (stored.status, stored.attempts) == (OutboxStatus.PENDING, attempt)
        assert stored.last_error == "HTTP 503 from the platform"
        waits.append(stored.due_at - clock())
        clock.advance(waits[-1] - timedelta(seconds=1))
        assert worker.run_once() == {}  # not before the back-off is over
        clock.advance(timedelta(seconds=1))
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]

    assert worker.run_once() == {"failed": 1}
    stored = row(runtime, "flaky")
    assert stored.status == OutboxStatus.FAILED
    assert stored.last_error == "HTTP 503 from the platform (gave up after 4 attempts)"
    assert sender.calls == 4 and not sender.sent
    clock.advance(timedelta(days=1))
    assert worker.run_once() == {}
    runtime.db.dispose()


def test_backoff_doubles_up_to_its_cap() -> None:
    base, cap = timedelta(seconds=30), timedelta(hours=1)
    assert [backoff_delay(n, base, cap).total_seconds() for n in range(1, 9)] == \
        [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_the_platforms_retry_after_is_honoured(runtime: Runtime, clock: ManualClock) -> None:
    sender = RecordingSender([DeliveryFailed("rate limited", retry_after=7)])
    worker = Worker(runtime, {"fake": sender})
    put(runtime, "limited")
    assert worker.run_once() == {OUTCOME_RETRY: 1}
    assert row(runtime, "limited").due_at == START + timedelta(seconds=7)
    clock.advance(timedelta(seconds=7))
    assert worker.run_once() == {OUTCOME_SENT: 1}


def test_a_permanent_failure_ends_at_once_with_its_reason(runtime: Runtime) -> None:
    sender = RecordingSender([DeliveryFailed("no approved template configured for 'notice'",
                                             permanent=True)])
    put(runtime, "no-template")
    assert Worker(runtime, {"fake": sender}).run_once() == {"failed": 1}
    stored = row(runtime, "no-template")
    assert (stored.status, stored.attempts) == (OutboxStatus.FAILED, 1)
    assert stored.last_error == "no approved template configured for 'notice'"


def test_an_unreachable_person_is_marked_and_not_tried_again(runtime: Runtime) -> None:
    person = add_person(runtime)
    sender = RecordingSender([DeliveryFailed("bot was blocked by the user", unreachable=True)])
    worker = Worker(runtime, {"fake": sender})
    put(runtime, "blocked-1", conversation_id=person)
    assert worker.run_once() == {"failed": 1}
    with runtime.db.transaction() as session:
        assert session.get(Conversation, person).unreachable  # type: ignore[union-attr]

    put(runtime, "blocked-2", conversation_id=person)
    assert worker.run_once() == {"failed": 1}
    assert sender.calls == 1
    assert row(runtime, "blocked-2").last_error == UNREACHABLE


def test_a_channel_without_a_sender_fails_with_the_reason(runtime: Runtime) -> None:
    put(runtime, "nowhere", channel="whatsapp")
    assert Worker(runtime, {"fake": RecordingSender()}).run_once() == {"failed": 1}
    stored = row(runtime, "nowhere")
    assert (stored.status, stored.last_error) == (OutboxStatus.FAILED, NOT_CONFIGURED)


def test_the_start_up_line_says_what_happens_to_messages_without_a_channel(
        runtime: Runtime) -> None:
    put(runtime, "no-channel-yet")
    assert Worker(runtime, {}).run_once() == {"failed": 1}
    said = describe_senders({})
    assert NOT_CONFIGURED in said and "wait" not in said  # they fail, they do not wait
    assert describe_senders({"fake": RecordingSender()}) == "on: sends by fake"


def test_an_unexpected_sender_error_is_retried_without_its_message(runtime: Runtime) -> None:
    secret_url = "https://api.telegram.org/bot123:SECRET/sendMessage"
    sender = RecordingSender([ConnectionError(f"cannot reach {secret_url}")])
    put(runtime, "network")
    assert Worker(runtime, {"fake": sender}).run_once() == {OUTCOME_RETRY: 1}
    assert row(runtime, "network").last_error == "unexpected ConnectionError"


def test_a_cancelled_message_is_not_sent_and_stays_cancelled(
        runtime: Runtime, clock: ManualClock) -> None:
    put(runtime, "reminder:5:a")
    put(runtime, "reminder:6:a")
    with runtime.db.transaction() as session:
        assert cancel_pending(session, "reminder:5:") == 1
    sender = RecordingSender([DeliveryFailed("HTTP 502")])
    worker = Worker(runtime, {"fake": sender})
    (claim,) = worker.claim()
    with runtime.db.transaction() as session:  # cancelled while being sent
        cancel_pending(session, "reminder:6:")
    assert worker.process(claim) == OUTCOME_LOST
    clock.advance(timedelta(hours=1))
    assert worker.run_once() == {}
    assert row(runtime, "reminder:5:a").status == OutboxStatus.CANCELLED
    assert row(runtime, "reminder:6:a").status == OutboxStatus.CANCELLED


def test_a_failed_message_can_be_put_back(runtime: Runtime) -> None:
    put(runtime, "retry-me", channel="later")
    worker = Worker(runtime, {"fake": RecordingSender()})
    worker.run_once()
    with runtime.db.transaction() as session:
        assert retry_failed(session, row(runtime, "retry-me").id, runtime.clock())  # type: ignore[arg-type]
    worker.senders["later"] = RecordingSender()
    assert worker.run_once() == {OUTCOME_SENT: 1}


def test_drain_sends_every_due_batch(runtime: Runtime) -> None:
    for n in range(45):
        put(runtime, f"bulk:{n}")
    sender = RecordingSender()
    assert Worker(runtime, {"fake": sender}, batch_size=10).drain() == 45
    assert sorted(d.key for d in sender.sent) == sorted(f"bulk:{n}" for n in range(45))


def test_two_workers_on_sqlite_send_each_message_once(runtime: Runtime) -> None:
    for n in range(60):
        put(runtime, f"sq:{n}")
    sender = RecordingSender()
    workers = [Worker(runtime, {"fake": sender}, batch_size=3) for _ in range(2)]
    threads = [threading.Thread(target=w.drain, kwargs={"max_batches": 100}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [d.key for d in sender.sent]
    assert sorted(keys) == sorted(f"sq:{n}" for n in range(60))


def test_the_background_worker_sends_and_stops(runtime: Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    arrived = threading.Event()

    class Signalling(RecordingSender):
        def send(self, delivery: Delivery) -> str | None:
            result = super().send(delivery)
            arrived.set()
            return result

    sender = Signalling()
    monkeypatch.setattr("consultbot.worker.build_senders", lambda _runtime: {"fake": sender})
    put(runtime, "background")
    areas: dict[str, str] = {}
    stop = start_background(runtime, None, areas)
    try:
        assert arrived.wait(timeout=20)
    finally:
        stop()
    assert areas["outbox"] == "on: sends by fake"
    assert [d.key for d in sender.sent] == ["background"]


def test_each_round_runs_the_reminders_and_the_meeting_sync(
        runtime: Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    monkeypatch.setattr("consultbot.worker.schedule_due_reminders",
                        lambda rt: calls.append("reminders") if rt is runtime else None)
    monkeypatch.setattr("consultbot.worker.run_meeting_sync",
                        lambda rt: calls.append("meetings") if rt is runtime else None)
    Worker(runtime, {}).tick()
    assert calls == ["reminders", "meetings"]


def test_a_failing_round_job_does_not_stop_the_others(
        runtime: Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def broken(_runtime: Runtime) -> None:
        raise RuntimeError("reminders broke")

    monkeypatch.setattr("consultbot.worker.schedule_due_reminders", broken)
    monkeypatch.setattr("consultbot.worker.run_meeting_sync", lambda _rt: calls.append("meetings"))
    Worker(runtime, {}).tick()
    assert calls == ["meetings"]


@pytest.mark.slow
def test_the_worker_command_sends_what_another_process_stored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from plumbing.crypto import new_key
    from tests.fake_smtp import FakeSmtpServer

    with FakeSmtpServer(tls=False) as smtp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
               "DATA_ENCRYPTION_KEY": new_key(), "SMTP_HOST": "127.0.0.1",
               "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
               "SMTP_FROM": "alerts@firm.org", "LOG_LEVEL": "WARNING"}
        stored = build_runtime(load_settings(database_url=env["DATABASE_URL"],
                                             data_encryption_key=env["DATA_ENCRYPTION_KEY"]))
        with stored.db.transaction() as session:
            enqueue(session, stored.cipher, key="staff:test:email", kind="staff_alert",
                    channel="email", recipient="staff@firm.org",
                    replies=[reply_to_dict(Text("Subject\nBody"))], now=stored.clock())
        stored.db.dispose()  # this process is gone; a separate worker process takes over
        done = subprocess.run([sys.executable, "-m", "consultbot.cli", "worker", "--once"],
                              env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert "sends by email" in done.stdout and "processed 1 message(s)" in done.stdout
        assert [r.message["Subject"] for r in smtp.received] == ["Subject"]

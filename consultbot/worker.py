"""The outbox worker: claims due messages, sends them outside any transaction, records how it went.

One round (:meth:`Worker.tick`) also runs the reminder scheduler and, when the booking area
provides it, the Zoom meeting sync, so ``consultbot serve`` (a thread) and
``consultbot worker`` (alone) do all proactive work the same way.

Claiming. A claim is a short transaction that picks due, unclaimed ``pending`` rows, raises
their ``attempts`` and sets a lease ``claimed_until``; it commits before anything is sent.
On PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED``, so several workers never
pick the same row; on SQLite every transaction is ``BEGIN IMMEDIATE``, which serialises
claims (several workers are safe there too, they just take turns). ``attempts`` after the
claim is the claim's fencing token: the outcome is written only ``WHERE attempts = token``,
so a worker whose lease ran out can never overwrite the work of the one that took over.

The crash window. Sending and recording cannot be one atomic step (the platform is not in
our database). We record *after* sending, so the service is at-least-once: if the process
dies after the platform accepted a message and before the outcome is committed (a few
milliseconds), the lease expires and the message is sent again. The opposite order would
lose messages in the same crash, which the outbox exists to prevent. The window is kept
small: the outcome is committed right after each send (not per batch), a message whose
lease is nearly over is put back instead of sent, and the lease (5 minutes) is far longer
than any sender's network timeout. E-mails carry a ``Message-ID`` made from the key, so
mail systems drop such a duplicate.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot.calendar_checks import run_calendar_jobs
from bot.casefiles.downloads import run_downloads
from bot.casefiles.fetching import Fetcher
from bot.messages import reply_from_dict
from bot.models import Conversation
from bot.notices.booking_notices import run_meeting_sync
from bot.notices.reminders import schedule_due_reminders
from bot.retention import run_daily as run_daily_purge
from channels.delivery import Delivery, DeliveryFailed, Sender, Template
from channels.files import remove_expired_files
from consultbot.registry import build_fetchers, build_senders, periodic_jobs
from plumbing.crypto import Undecryptable
from plumbing.heartbeat import beat
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

NOT_CONFIGURED = "channel not configured"
UNREACHABLE = "recipient unreachable (blocked the bot or left)"
ERROR_MAX = 500
UNDECRYPTABLE = "cannot be decrypted with DATA_ENCRYPTION_KEY (kept; retried)"

# Outcomes of one message, as :meth:`Worker.process` reports them.
OUTCOME_SENT = "sent"
OUTCOME_RETRY = "retry"
OUTCOME_FAILED = "failed"
OUTCOME_RELEASED = "released"  # the lease was nearly over: put back unsent
OUTCOME_LOST = "lost"  # another worker took the message over meanwhile


@dataclass(frozen=True)
class Claim:
    """A message this worker holds until ``lease_until``; ``attempts`` is the fencing token."""

    id: int
    key: str
    kind: str
    channel: str
    recipient: str
    conversation_id: int | None
    payload_enc: str
    attempts: int
    lease_until: datetime
    last_inbound_at: datetime | None
    unreachable: bool


def backoff_delay(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """Pause before the next try after ``attempts`` failed ones: base, 2×base, 4×base … ≤ cap."""
    return min(base * (2 ** max(attempts - 1, 0)), cap)


class Worker:
    """Sends stored outbox messages through the channels' senders."""

    def __init__(
        self,
        runtime: Runtime,
        senders: Mapping[str, Sender] | None = None,
        *,
        batch_size: int = 20,
        lease: timedelta = timedelta(minutes=5),
        send_budget: timedelta = timedelta(minutes=1),
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
    ) -> None:
        if send_budget >= lease:
            raise ValueError("send_budget must be shorter than the lease")
        self.runtime = runtime
        self.senders: dict[str, Sender] = (
            build_senders(runtime) if senders is None else dict(senders))
        self.batch_size = batch_size
        self.lease = lease
        self.send_budget = send_budget
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_attempts = runtime.settings.outbox_max_attempts
        #: Names this worker's heartbeat row (``/readyz`` reads the newest of them).
        self.name = f"{socket.gethostname()}:{os.getpid()}"[:128]
        self.fetchers: dict[str, Fetcher] | None = None

    # -- claiming ---------------------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[Claim]:
        """Take up to ``limit`` due messages for this worker; committed before returning."""
        now = self.runtime.clock()
        lease_until = now + self.lease
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                col(OutboxMessage.due_at) <= now,
                or_(col(OutboxMessage.claimed_until).is_(None),
                    col(OutboxMessage.claimed_until) <= now),
            )
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
            .limit(limit or self.batch_size)
        )
        if self.runtime.db.is_postgres:
            statement = statement.with_for_update(skip_locked=True)
        with self.runtime.db.transaction() as session:
            rows = list(session.exec(statement).all())
            people: dict[int, Conversation] = {}
            wanted = {r.conversation_id for r in rows if r.conversation_id is not None}
            if wanted:
                people = {c.id: c for c in session.exec(  # type: ignore[misc]
                    select(Conversation).where(col(Conversation.id).in_(wanted))).all()}
            claims = []
            for row in rows:
                row.attempts += 1
                row.claimed_until = lease_until
                session.add(row)
                person = people.get(row.conversation_id) if row.conversation_id else None
                claims.append(Claim(
                    id=row.id, key=row.key, kind=row.kind,  # type: ignore[arg-type]
                    channel=row.channel, recipient=row.recipient_enc or "",
                    conversation_id=row.conversation_id, payload_enc=row.payload_enc,
                    attempts=row.attempts, lease_until=lease_until,
                    last_inbound_at=person.last_inbound_at if person else None,
                    unreachable=bool(person and person.unreachable),
                ))
        return claims

    # -- sending ----------------------------------------------------------------------------

    def delivery(self, claim: Claim) -> Delivery:
        """The message as senders see it (decrypted here, never logged)."""
        payload = self.runtime.cipher.decrypt_json(claim.payload_enc)
        template = payload.get("template")
        return Delivery(
            key=claim.key,
            kind=claim.kind,
            recipient=self.runtime.cipher.decrypt(claim.recipient),
            replies=tuple(reply_from_dict(r) for r in payload.get("replies", [])),
            template=Template(template["name"], tuple(template["variables"]))
            if template else None,
            last_inbound_at=claim.last_inbound_at,
            extra={"channel": claim.channel, "attempt": claim.attempts,
                   "conversation_id": claim.conversation_id},
        )

    def process(self, claim: Claim) -> str:
        """Send one claimed message (no transaction open) and record the outcome."""
        now = self.runtime.clock()
        if now >= claim.lease_until - self.send_budget:
            self._record(claim, status=OutboxStatus.PENDING, attempts=claim.attempts - 1,
                         claimed_until=None)
            return OUTCOME_RELEASED
        sender = self.senders.get(claim.channel)
        if sender is None:
            return self._fail(claim, NOT_CONFIGURED)
        if claim.unreachable:
            return self._fail(claim, UNREACHABLE)
        try:
            delivery = self.delivery(claim)
        except Undecryptable:
            # A key problem, not the message's: keep it, try again later, say so.
            log.error("outbox message %s cannot be decrypted with DATA_ENCRYPTION_KEY; kept "
                      "and retried", claim.id)
            done = self._record(claim, status=OutboxStatus.PENDING, attempts=claim.attempts - 1,
                                claimed_until=None, last_error=UNDECRYPTABLE,
                                due_at=self.runtime.clock() + self.backoff_base)
            return OUTCOME_RETRY if done else OUTCOME_LOST
        except (ValueError, KeyError, TypeError):
            return self._fail(claim, "stored message cannot be read")
        try:
            provider_id = sender.send(delivery)
        except DeliveryFailed as exc:
            return self._failed_try(claim, exc)
        except Exception as exc:  # a sender bug or a network error it did not classify
            # Only the type: messages of HTTP errors can hold URLs with tokens.
            log.warning("outbox message %s (%s): sender raised %s", claim.id, claim.kind,
                        type(exc).__name__)
            return self._failed_try(claim, DeliveryFailed(f"unexpected {type(exc).__name__}"))
        done = self._record(claim, status=OutboxStatus.SENT, sent_at=self.runtime.clock(),
                            provider_message_id=str(provider_id)[:128] if provider_id else None,
                            last_error=None, claimed_until=None, any_status=True)
        return OUTCOME_SENT if done else OUTCOME_LOST

    def _failed_try(self, claim: Claim, exc: DeliveryFailed) -> str:
        if exc.unreachable and claim.conversation_id is not None:
            self._mark_unreachable(claim.conversation_id)
        if exc.permanent:
            return self._fail(claim, exc.reason)
        if claim.attempts >= self.max_attempts:
            return self._fail(claim, f"{exc.reason} (gave up after {claim.attempts} attempts)")
        now = self.runtime.clock()
        if exc.retry_after is not None:
            delay = timedelta(seconds=max(exc.retry_after, 0.0))
        else:
            delay = backoff_delay(claim.attempts, self.backoff_base, self.backoff_cap)
        done = self._record(claim, status=OutboxStatus.PENDING, due_at=now + delay,
                            claimed_until=None, last_error=exc.reason[:ERROR_MAX])
        return OUTCOME_RETRY if done else OUTCOME_LOST

    def _fail(self, claim: Claim, reason: str) -> str:
        log.warning("outbox message %s (%s) failed: %s", claim.id, claim.kind, reason)
        done = self._record(claim, status=OutboxStatus.FAILED, claimed_until=None,
                            last_error=reason[:ERROR_MAX])
        return OUTCOME_FAILED if done else OUTCOME_LOST

    def _record(self, claim: Claim, *, any_status: bool = False, **values: Any) -> bool:
        """Write the outcome if this worker still holds the claim; a few tries on a busy db."""
        table = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        conditions = [table.id == claim.id, table.attempts == claim.attempts]
        if not any_status:  # a message cancelled meanwhile stays cancelled
            conditions.append(table.status == OutboxStatus.PENDING)
        statement = update(OutboxMessage.__table__).where(*conditions).values(**values)
        changed = 0
        for attempt in range(3):
            try:  # a Core statement: the ORM's bookkeeping would double the cost per message
                with self.runtime.db.engine.begin() as connection:
                    changed = connection.execute(statement).rowcount
                break
            except OperationalError:
                if attempt == 2:
                    log.error("outbox message %s: outcome could not be recorded; it will be "
                              "retried when its lease ends", claim.id)
                    return False
        if not changed:
            log.warning("outbox message %s: claim lost before the outcome was recorded",
                        claim.id)
        return bool(changed)

    def _mark_unreachable(self, conversation_id: int) -> None:
        with self.runtime.db.transaction() as session:
            session.execute(update(Conversation).where(
                col(Conversation.id) == conversation_id).values(unreachable=True))

    # -- loops ------------------------------------------------------------------------------

    def fetch_files(self, runtime: Runtime) -> int:
        """Download the files people sent (``bot.casefiles.downloads``); the acknowledgements
        it queues go out in this same round."""
        if self.fetchers is None:
            self.fetchers = build_fetchers(runtime)
        return run_downloads(runtime, self.fetchers)

    def run_once(self) -> dict[str, int]:
        """Claim one batch and process it; how many messages ended in each outcome."""
        counts: dict[str, int] = {}
        for claim in self.claim():
            outcome = self.process(claim)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def drain(self, *, max_batches: int = 50, stop: threading.Event | None = None) -> int:
        """Send batches until none is due (or ``max_batches``); how many were processed."""
        total = 0
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            counts = self.run_once()
            processed = sum(counts.values())
            total += processed
            if processed < self.batch_size or counts.get(OUTCOME_RELEASED):
                break
        return total

    def tick(self, stop: threading.Event | None = None) -> int:
        """One round: schedule reminders, sync meetings, then send what is due."""
        jobs: list[tuple[str, Callable[[Runtime], object]]] = [
            ("reminders", schedule_due_reminders), ("meeting sync", run_meeting_sync),
            ("calendars", run_calendar_jobs), ("expired files", remove_expired_files),
            ("purge", run_daily_purge), ("case files", self.fetch_files), *periodic_jobs()]
        for name, job in jobs:
            try:
                job(self.runtime)
            except Exception:
                log.exception("%s failed; the outbox goes on", name)
        return self.drain(stop=stop)

    def run_forever(self, stop_event: threading.Event, poll_seconds: float = 5.0) -> None:
        """Rounds every ``poll_seconds`` until ``stop_event`` is set."""
        while not stop_event.is_set():
            try:
                self.tick(stop_event)
                beat(self.runtime.db, self.name, self.runtime.clock())
            except Exception:  # the database may be restarting: try again next round
                log.exception("outbox round failed")
            stop_event.wait(poll_seconds)


def describe_senders(senders: Mapping[str, Sender]) -> str:
    """For the start-up output."""
    if not senders:
        return (f"on: no channel can send yet; messages fail as '{NOT_CONFIGURED}' "
                "(configure a channel or SMTP, then send them again from the dashboard)")
    return "on: sends by " + ", ".join(sorted(senders))


def start_background(runtime: Runtime, bot: Any, areas: dict[str, str]) -> Callable[[], None]:
    """``consultbot serve``'s worker thread; returns the function that stops it."""
    worker = Worker(runtime)
    areas["outbox"] = describe_senders(worker.senders)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="outbox-worker",
                              daemon=True)
    thread.start()

    def stop_worker() -> None:
        stop.set()
        thread.join(timeout=30)

    return stop_worker

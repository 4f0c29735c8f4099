"""Outbox messages one worker sends per second, to local fake channel servers.

Run: .venv/bin/python bench/bench_outbox.py [--messages 1000] [--database-url URL]
Each case stores ``--messages`` reminders (a text of about 200 characters, encrypted) and
times one :class:`consultbot.worker.Worker` sending them all: claim (a leased batch of 20),
decrypt, send, record each outcome in its own transaction. Cases:
- null: a sender that does nothing: the outbox's own cost.
- staff_telegram: the staff-alert sender, JSON over HTTP to a fake Bot API on 127.0.0.1.
- whatsapp: the WhatsApp sender (Twilio's client, an approved template outside the 24-hour
  window) to a fake Twilio REST API on 127.0.0.1.
- email: the e-mail sender to a fake SMTP server on 127.0.0.1: a new connection, STARTTLS
  and login for every message, as in production.
The database is a fresh SQLite file by default; give an empty PostgreSQL database with
``--database-url`` to measure that instead (its tables are created by migration).
"sender alone" sends the same messages with no database; "outbox ms/message" is the
difference. On SQLite every outcome is one commit, so the disk's fsync rate (printed as
"baseline") bounds the figures and varies from run to run on shared disks.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for the tests' fake servers

from sqlmodel import col, func, select

import bot.models  # noqa: F401  (the outbox's foreign key names its table)
from bot.messages import Text, reply_to_dict
from channels.delivery import Delivery, Sender
from channels.email_sender import EmailSender
from channels.staff_telegram import StaffTelegramSender
from channels.whatsapp.sender import build_sender as build_whatsapp_sender
from consultbot.runtime import Runtime, build_runtime
from consultbot.worker import Worker
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus, cancel_pending, enqueue
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilioApi
from tests.fake_smtp import FakeSmtpServer

TEXT = ("Reminder: your free consultation with The Human Rights is on Tuesday 31 March 2026, "
        "10:00 (Europe/London).\nJoin by Zoom: https://zoom.us/j/81234567890?pwd=abcdefghijkl")
TEMPLATE_SID = "HX" + "a" * 32


class NullSender:
    """Accepts everything at once."""

    def send(self, delivery: Delivery) -> str | None:
        return delivery.key


def recipient_for(channel: str, n: int) -> str:
    if channel == "whatsapp":
        return f"whatsapp:+4479{n:08d}"
    if channel == "email":
        return f"staff{n % 5}@firm.example"
    return str(-1001000000000 - n % 5)


def fill(runtime: Runtime, channel: str, count: int, run: str) -> None:
    now = runtime.clock()
    with runtime.db.transaction() as session:
        for n in range(count):
            enqueue(session, runtime.cipher, key=f"bench:{run}:{channel}:{n}", kind="reminder",
                    channel=channel, recipient=recipient_for(channel, n),
                    replies=[reply_to_dict(Text(TEXT))], now=now,
                    template=("reminder", ("Tuesday 31 March 2026, 10:00", "https://zoom.us/j/8")))


def measure(runtime: Runtime, channel: str, sender: Sender, count: int, run: str) -> float:
    """Messages per second one worker sends; every message must end up sent."""
    fill(runtime, channel, count, run)
    worker = Worker(runtime, {channel: sender})
    started = time.perf_counter()
    sent = worker.drain(max_batches=10**6)
    seconds = time.perf_counter() - started
    with runtime.db.transaction() as session:
        done = session.exec(select(func.count()).select_from(OutboxMessage).where(
            col(OutboxMessage.key).startswith(f"bench:{run}:{channel}:"),
            OutboxMessage.status == OutboxStatus.SENT)).one()
    if sent != count or done != count:
        raise SystemExit(f"{channel}: {done} of {count} sent")
    return count / seconds


def sender_alone(channel: str, sender: Sender, count: int, run: str) -> float:
    """Messages per second the sender sends by itself (no database), for comparison."""
    from channels.delivery import Template

    deliveries = [Delivery(key=f"alone:{run}:{channel}:{n}", kind="reminder",
                           recipient=recipient_for(channel, n), replies=(Text(TEXT),),
                           template=Template("reminder", ("Tuesday 31 March 2026, 10:00",
                                                          "https://zoom.us/j/8")))
                  for n in range(count)]
    started = time.perf_counter()
    for delivery in deliveries:
        sender.send(delivery)
    return count / (time.perf_counter() - started)


def baseline(runtime: Runtime, count: int) -> float:
    """Commits per second of the cheapest durable record: one transaction updating one row."""
    from sqlalchemy import text

    with runtime.db.transaction() as session:
        first = session.exec(select(func.min(OutboxMessage.id))).one()
    started = time.perf_counter()
    for n in range(count):
        with runtime.db.engine.begin() as connection:
            connection.execute(text("UPDATE outbox_message SET attempts = :n WHERE id = :id"),
                               {"n": n, "id": first})
    return count / (time.perf_counter() - started)


@contextmanager
def servers() -> Iterator[dict[str, Any]]:
    with FakeTelegramServer() as telegram, FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER) as \
            twilio, FakeSmtpServer(username="alerts", password="s3cret") as smtp:
        yield {"telegram": telegram, "twilio": twilio, "smtp": smtp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--email-messages", type=int, default=300,
                        help="e-mail is slower (a TLS handshake each); fewer keep the run short")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, servers() as fake:
        url = args.database_url or f"sqlite:///{Path(folder) / 'outbox.db'}"
        runtime = build_runtime(load_settings(
            database_url=url, data_encryption_key=new_key(),
            twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
            twilio_whatsapp_from=SENDER, twilio_api_base_url=fake["twilio"].base_url,
            twilio_template_sid_reminder=TEMPLATE_SID, public_base_url="https://bot.example.org",
            smtp_host="127.0.0.1", smtp_port=fake["smtp"].port, smtp_username="alerts",
            smtp_password="s3cret", smtp_from="alerts@firm.example"))
        whatsapp = build_whatsapp_sender(runtime)
        assert whatsapp is not None
        cases: list[tuple[str, Callable[[], Sender], int]] = [
            ("null", NullSender, args.messages),
            ("staff_telegram", lambda: StaffTelegramSender(fake["telegram"].base_url, TOKEN),
             args.messages),
            ("whatsapp", lambda: whatsapp, args.messages),
            ("email", lambda: EmailSender(runtime.settings, clock=runtime.clock,
                                          ssl_context=fake["smtp"].certificate.client_context()),
             args.email_messages),
        ]
        run = format(int(time.time()), "x")
        database = "PostgreSQL" if runtime.db.is_postgres else "SQLite"
        print(f"one worker, batch of 20, {database}; messages per second, best of "
              f"{args.repeats} runs (every message checked sent)")
        fill(runtime, "baseline", 1, run)  # the row the baseline updates, never sent:
        with runtime.db.transaction() as session:
            cancel_pending(session, f"bench:{run}:baseline:")
        base = max(baseline(runtime, args.messages) for _ in range(args.repeats))
        rates = {}
        print(f"{'channel':15s} {'worker/s':>9s} {'sender alone/s':>15s} "
              f"{'outbox ms/message':>18s} {'messages':>9s}")
        for channel, make_sender, count in cases:
            sender = make_sender()
            rates[channel] = max(measure(runtime, channel, sender, count, f"{run}{r}")
                                 for r in range(args.repeats))
            alone = max(sender_alone(channel, sender, count, f"{run}{r}")
                        for r in range(args.repeats))
            share = 1000 / rates[channel] - 1000 / alone
            print(f"{channel:15s} {rates[channel]:9.0f} {alone:15.0f} {share:18.2f} {count:9d}")
        print(f"{'baseline':15s} {base:8.0f} commits/s   (one transaction updating one row)")
        print(f"outbox cost: null / baseline = {rates['null'] / base:.2f} "
              "(each message is one commit to record its outcome, plus a share of its claim)")
        assert len(fake["smtp"].received) == 2 * args.repeats * args.email_messages
        assert len(fake["twilio"].messages) == 2 * args.repeats * args.messages
        runtime.db.dispose()


if __name__ == "__main__":
    main()

"""A person who tells us everything, books, asks for staff and gets a reply; and a scanner
that reads every column of every table (decrypting what it can) for what they told."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import count
from typing import Any

from sqlalchemy import text
from sqlmodel import SQLModel, select

import booking.models
import bot.retention  # noqa: F401
from bot.engine import Bot
from bot.messages import Inbound, Reply, reply_plain_text
from bot.models import HandoffRequest
from bot.repeats import REPEAT_WINDOW
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from dashboard import bookings as staff_bookings
from dashboard import waiting
from dashboard.accounts import create_account
from plumbing.clock import ManualClock
from plumbing.crypto import Cipher

PHONE = "+447700900123"
TELEGRAM_ID = "987654321"
NAME = "Zarina Kowalczyk"
EMAIL = "zarina.k@example.com"
DESCRIPTION = "Arrested at the border for leaflets of the opposition party."
STAFF_REPLY = "Dear Zarina, our expert will call on the lawyer tomorrow."
STAFF_NOTE = "Zarina sounded frightened; her sister is in detention."
#: What must not be readable anywhere after erasure.
SECRETS = (NAME, "Zarina", "Kowalczyk", PHONE, PHONE.lstrip("+"), EMAIL, DESCRIPTION,
           STAFF_REPLY, STAFF_NOTE)


class Person:
    """Writes to the bot on one channel, one message id each."""

    _ids = count()

    def __init__(self, bot: Bot, channel: str = "whatsapp", user_id: str = PHONE) -> None:
        self.bot, self.channel, self.user_id = bot, channel, user_id

    def say(self, text: str) -> str:
        clock = self.bot.runtime.clock
        if isinstance(clock, ManualClock):  # a person reads before answering: no quick repeat
            clock.advance(REPEAT_WINDOW + timedelta(seconds=1))
        replies: list[Reply] = self.bot.handle(Inbound(
            self.channel, self.user_id, f"m{next(self._ids)}", text=text,
            phone=self.user_id if self.channel == "whatsapp" else None))
        return "\n".join(reply_plain_text(r) for r in replies)


def tell_everything(person: Person) -> str:
    """Intake to a confirmed case; returns the answer to the review's "Confirm"."""
    person.say("/start")
    person.say("1")
    person.say("book")
    for answer in ("1", NAME, "Russia", "United Kingdom", "2", "no", "No deadline",
                   DESCRIPTION, EMAIL, "1"):
        person.say(answer)
    return person.say("1")


def book_and_get_help(runtime: Runtime, person: Person) -> int:
    """Book the first free time, ask for staff, get a staff reply and a staff note; the
    worker sends what it can. Returns the staff account id."""
    for answer in ("1", "1", "1", "Confirm"):
        person.say(answer)
    person.say("human")
    now = runtime.clock()
    with runtime.db.transaction() as session:
        staff = create_account(session, "kate@example.org", "a long staff password", now=now)
        request = session.exec(select(HandoffRequest)).one()
        assert request.id is not None and staff.id is not None
        waiting.send_reply(session, runtime.cipher, request.id, STAFF_REPLY, nonce="n1",
                           now=now, link="https://example.org",
                           reachable=frozenset({person.channel}))
        booked = session.exec(select(booking.models.Booking)).one()
        assert booked.id is not None
        staff_bookings.add_note(session, runtime.cipher, booked.id, staff.id, STAFF_NOTE, now)
        staff_id = staff.id
    Worker(runtime, {person.channel: _Sent(), "email": _Sent()}).run_once()
    return staff_id


class _Sent:
    """The far side of a channel: accepts everything."""

    def send(self, delivery: Any) -> str:
        return "provider-1"


def every_value(runtime: Runtime) -> Iterator[tuple[str, str, str]]:
    """(table, column, value) for every text value in the database, decrypted when it is
    encrypted with the runtime's keys."""
    with runtime.db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')).mappings():
                for column, value in row.items():
                    if isinstance(value, str):
                        yield table.name, column, _clear(runtime.cipher, value)


def _clear(cipher: Cipher, value: str) -> str:
    try:
        return cipher.decrypt(value)
    except ValueError:
        return value


def found(runtime: Runtime, secrets: tuple[str, ...] = SECRETS,
          where: Callable[[str, str], bool] = lambda table, column: True) -> list[str]:
    """Which secrets can be read anywhere, with where."""
    return [f"{secret!r} in {table}.{column}" for table, column, value in every_value(runtime)
            if where(table, column) for secret in secrets if secret in value]

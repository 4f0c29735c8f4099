"""Building blocks for dashboard tests: accounts, signed-in clients, bookings, hand-offs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import select

from booking import service
from booking.models import Booking
from bot.identifiers import new_conversation
from bot.messages import Text, reply_to_dict
from bot.models import CaseFile, Conversation, HandoffRequest, InboundMessage
from consultbot.runtime import Runtime
from dashboard.accounts import create_account

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="(?:[\w-]*-)?csrf_token"[^>]*?value="([^"]+)"')


def add_staff(runtime: Runtime, email: str = "staff@example.org",
              password: str = PASSWORD) -> int:
    with runtime.db.transaction() as session:
        account = create_account(session, email, password, now=runtime.clock())
        assert account.id is not None
        return account.id


def token_from(html: str) -> str:
    """The CSRF token of the first form on the page."""
    found = _TOKEN.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, email: str = "staff@example.org", password: str = PASSWORD,
            **environ: Any):  # type: ignore[no-untyped-def]
    page = client.get("/staff/login", **environ)
    return client.post("/staff/login", data={"csrf_token": token_from(page.text),
                                             "email": email, "password": password}, **environ)


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Open ``page_url`` (for its token) and post ``data`` to ``action`` as a browser would."""
    token = token_from(client.get(page_url).text)
    return client.post(action, data={"csrf_token": token, **data})


CASE = {
    "role": "applicant", "name": "Anna Petrova", "origin": "RU", "asylum_country": "GB",
    "stage": "waiting", "represented": "yes", "firm": "Smith & Partners LLP",
    "deadline": "2026-06-15", "description": "Persecuted for political views at home.",
    "email": "anna@example.com",
}


def conversation(runtime: Runtime, user: str, *, channel: str = "console",
                 language: str = "en", timezone: str = "Europe/London",
                 said: tuple[str, ...] = ()) -> int:
    """A conversation with a transcript of what the person ``said`` (and a bot answer each)."""
    cipher, now = runtime.cipher, runtime.clock()
    with runtime.db.transaction() as session:
        row = new_conversation(cipher, channel=channel, user_id=user, language=language,
                               timezone=timezone, state="menu", created_at=now, updated_at=now,
                               last_inbound_at=now)
        session.add(row)
        session.flush()
        assert row.id is not None
        for number, text in enumerate(said):
            session.add(InboundMessage(
                conversation_id=row.id, channel=channel, platform_message_id=f"{user}-{number}",
                received_at=now, text_enc=cipher.encrypt(text),
                replies_enc=cipher.encrypt_json([reply_to_dict(Text(f"bot answer to {text}"))])))
        return row.id


def booking(runtime: Runtime, user: str, *, start: datetime | None = None,
            channel: str = "console", language: str = "en",
            applicant_timezone: str = "Europe/London", **case: Any) -> Booking:
    """A booking made through the booking service, with its case file (encrypted)."""
    details = {**CASE, **case}
    conversation_id = conversation(runtime, user, channel=channel, language=language,
                                   timezone=applicant_timezone, said=("hello", "book"))
    now = runtime.clock()
    with runtime.db.transaction() as session:
        case_file = CaseFile(conversation_id=conversation_id, consent_at=now, created_at=now,
                             payload_enc=runtime.cipher.encrypt_json(details))
        session.add(case_file)
        session.flush()
        if start is None:
            booked = {b.start for b in session.exec(select(Booking)).all()}
            start = next(s.start for s in service.find_free_slots(session, runtime.settings, now)
                         if s.start not in booked)
        made = service.book(session, runtime.settings, now, conversation_id=conversation_id,
                            start=start, request_key=f"test-{user}", channel=channel,
                            language=language,
                            applicant_timezone=applicant_timezone, case_id=case_file.id)
        return made


def handoff(runtime: Runtime, user: str, requested_at: datetime, *, said: str = "I need help",
            name: str | None = None, channel: str = "webchat") -> int:
    """A person waiting for staff since ``requested_at`` (on the web chat, which this server
    can always send on)."""
    conversation_id = conversation(runtime, user, said=(said,), channel=channel)
    with runtime.db.transaction() as session:
        if name:
            row = session.get(Conversation, conversation_id)
            assert row is not None
            row.data_enc = runtime.cipher.encrypt_json({"intake": {"name": name}})
            session.add(row)
        request = HandoffRequest(conversation_id=conversation_id, reason="human",
                                 requested_at=requested_at)
        session.add(request)
        session.flush()
        assert request.id is not None
        return request.id

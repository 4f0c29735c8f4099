"""Anonymous visitors: a random session id in a signed, HttpOnly cookie; its row in the
database (stored only as a hash) names the conversation the visitor speaks as."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.identifiers import user_key, user_keys
from channels.webchat import CHANNEL
from channels.webchat.models import WebchatSession
from plumbing.crypto import Cipher
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

COOKIE = "consultbot_webchat"
COOKIE_PATH = "/webchat/api"
_SALT = "webchat-session"


def session_hash(session_id: str) -> str:
    """What is stored for a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def web_user_id(digest: str) -> str:
    """The conversation ``user_id`` of a visitor who has not linked another channel."""
    return f"w-{digest[:40]}"


@dataclass(frozen=True)
class Visitor:
    """A session as one request sees it."""

    id: int
    digest: str
    channel: str
    user_id: str


class Cookies:
    """Signs and reads the session cookie (the key is derived from the data key)."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self._serializer = URLSafeTimedSerializer(runtime.cipher.derive(_SALT), salt=_SALT)
        self.max_age = settings.webchat_session_days * 86400
        self.samesite = settings.webchat_cookie_samesite

    def read(self, request: Request) -> str | None:
        """The session id the request's cookie carries, if it is genuine and not too old."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            value = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            log.warning("webchat: cookie with a bad signature from %s", request.remote_addr)
            return None
        return value if isinstance(value, str) and len(value) == 43 else None

    def write(self, response: Response, session_id: str, *, secure: bool) -> None:
        """(Re)send the cookie; ``secure`` when the visitor came over https."""
        response.set_cookie(COOKIE, self._serializer.dumps(session_id), max_age=self.max_age,
                            path=COOKIE_PATH, httponly=True, secure=secure or
                            self.samesite == "None", samesite=self.samesite)


def new_session_id() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def find_visitor(session: Session, cipher: Cipher, session_id: str) -> Visitor | None:
    """The visitor of ``session_id``, if the session was ever used."""
    row = session.exec(select(WebchatSession).where(
        WebchatSession.session_hash == session_hash(session_id))).first()
    return _visitor(cipher, row) if row else None


def open_visitor(session: Session, cipher: Cipher, session_id: str,
                 now: datetime) -> Visitor:
    """The visitor of ``session_id``, created on first use (a race adds one row)."""
    digest = session_hash(session_id)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    session.execute(insert(WebchatSession.__table__).values(  # type: ignore[attr-defined]
        session_hash=digest, channel=CHANNEL,
        user_key=user_key(cipher, CHANNEL, web_user_id(digest)),
        user_id_enc=cipher.encrypt(web_user_id(digest)), created_at=now,
        last_seen_at=now).on_conflict_do_nothing(index_elements=["session_hash"]))
    row = session.exec(select(WebchatSession).where(
        WebchatSession.session_hash == digest)).one()
    row.last_seen_at = now
    session.add(row)
    return _visitor(cipher, row)


def _visitor(cipher: Cipher, row: WebchatSession) -> Visitor:
    assert row.id is not None
    return Visitor(row.id, row.session_hash, row.channel, cipher.decrypt(row.user_id_enc))


def sessions_of(channel: str, cipher: Cipher, user_id: str) -> Any:
    """The condition naming the sessions that speak as ``(channel, user_id)``."""
    return (col(WebchatSession.channel) == channel) & col(WebchatSession.user_key).in_(
        user_keys(cipher, channel, user_id))

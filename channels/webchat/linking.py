"""One-time codes that make a web-chat visitor and a WhatsApp/Telegram person one person.

* The web chat gives a code ("Continue on WhatsApp"); sent on WhatsApp or Telegram it is
  recognised by :class:`LinkingBot` before the flow sees it. The web conversation then
  becomes that channel's (if the person had none there yet; otherwise the web chat joins
  theirs), so staff see one person and later notices go where the person now writes.
* WhatsApp or Telegram gives a code when the person writes ``webchat``; typed in the web
  chat it makes the visitor's session speak as that conversation.

Codes are 8 digits, valid for ``WEBCHAT_CODE_MINUTES``, used once, stored as a keyed hash
(and encrypted, so a repeated request gets the same code back). The message that used a
code is remembered: a redelivery gets the same answer and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from booking.models import Booking
from bot.engine import Bot, Handled
from bot.identifiers import find_conversation, user_key, user_keys
from bot.messages import Inbound, Text
from bot.models import Conversation
from channels.webchat import CHANNEL, store
from channels.webchat.locale import CODE_REQUEST_WORDS, say
from channels.webchat.models import OUT, WebchatLinkCode, WebchatSession
from channels.webchat.sessions import Visitor, sessions_of
from plumbing.crypto import Cipher
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

_CODE = re.compile(r"^\s*(?:/start\s+)?(\d{4})[\s-]?(\d{4})\s*$")
#: Starts the message id of everything the web chat hands the flow (whichever conversation
#: the visitor speaks as), so those messages are never taken for another channel's.
WEB_PREFIX = f"{CHANNEL}:"
CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", CHANNEL: "web chat"}


def code_digits(text: str | None) -> str | None:
    """The 8 digits of a code if ``text`` is nothing but one (``1234-5678``, ``/start …``)."""
    match = _CODE.match(text or "")
    return match.group(1) + match.group(2) if match else None


def shown(digits: str) -> str:
    """A code as people read it."""
    return f"{digits[:4]}-{digits[4:]}"


def _hash(cipher: Cipher, digits: str) -> str:
    return hmac.new(cipher.derive("webchat-codes").encode(), digits.encode(),
                    hashlib.sha256).hexdigest()


def issue(session: Session, runtime: Runtime, *, request_key: str, to_web: bool,
          channel: str, user_id: str) -> str:
    """A new code for the person ``(channel, user_id)``; the same one again for the same
    ``request_key``."""
    cipher, now = runtime.cipher, runtime.clock()
    known = session.exec(select(WebchatLinkCode).where(
        WebchatLinkCode.request_key == request_key)).first()
    if known is not None:
        return cipher.decrypt(known.code_enc)
    digits = f"{secrets.randbelow(10**8):08d}"
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    session.execute(insert(WebchatLinkCode.__table__).values(  # type: ignore[attr-defined]
        code_hash=_hash(cipher, digits), code_enc=cipher.encrypt(digits),
        request_key=request_key, to_web=to_web, channel=channel,
        user_id_enc=cipher.encrypt(user_id),
        created_at=now,
        expires_at=now + timedelta(minutes=runtime.settings.webchat_code_minutes),
    ).on_conflict_do_nothing())
    return cipher.decrypt(session.exec(select(WebchatLinkCode).where(
        WebchatLinkCode.request_key == request_key)).one().code_enc)


@dataclass(frozen=True)
class Redeemed:
    """What a typed code did: ``linked`` names the other side's channel; None if invalid."""

    linked: str | None
    repeated: bool = False


def redeem(session: Session, runtime: Runtime, digits: str, *, to_web: bool,
           used_key: str) -> Redeemed | None:
    """Look the code up and lock it; None if no code like it was ever given."""
    code = session.exec(select(WebchatLinkCode).where(
        WebchatLinkCode.code_hash == _hash(runtime.cipher, digits),
        WebchatLinkCode.to_web == to_web).with_for_update()).first()
    if code is None:
        return None
    if code.used_key == used_key:
        return Redeemed(code.channel, repeated=True)
    if code.used_at is not None or code.expires_at <= runtime.clock():
        return Redeemed(None)
    code.used_at, code.used_key = runtime.clock(), used_key[:200]
    session.add(code)
    return Redeemed(code.channel)


def code_owner(session: Session, runtime: Runtime, digits: str) -> tuple[str, str]:
    """``(channel, user_id)`` of the person who asked for the code."""
    code = session.exec(select(WebchatLinkCode).where(
        WebchatLinkCode.code_hash == _hash(runtime.cipher, digits))).one()
    return code.channel, runtime.cipher.decrypt(code.user_id_enc)


def join_web_to(session: Session, cipher: Cipher, visitor: Visitor, channel: str,
                user_id: str) -> None:
    """The visitor's session speaks as ``(channel, user_id)`` from now on."""
    session.execute(update(WebchatSession).where(col(WebchatSession.id) == visitor.id)
                    .values(channel=channel, user_key=user_key(cipher, channel, user_id),
                            user_id_enc=cipher.encrypt(user_id)))


def move_web_to(session: Session, cipher: Cipher, web_user_id: str, channel: str,
                user_id: str) -> None:
    """The web conversation of ``web_user_id`` continues on ``(channel, user_id)``: it is
    re-keyed there if that person has no conversation yet, else the web chat joins theirs."""
    target = find_conversation(session, cipher, channel, user_id)
    web = session.exec(select(Conversation).where(
        Conversation.channel == CHANNEL,
        col(Conversation.user_key).in_(user_keys(cipher, CHANNEL, web_user_id)))
        .with_for_update()).first()
    if target is None and web is not None:
        web.channel = channel
        web.user_key = user_key(cipher, channel, user_id)
        web.user_id_enc = cipher.encrypt(user_id)
        session.add(web)
        session.execute(update(Booking).where(col(Booking.conversation_id) == web.id)
                        .values(channel=channel))
    session.execute(update(WebchatSession).where(sessions_of(CHANNEL, cipher, web_user_id))
                    .values(channel=channel, user_key=user_key(cipher, channel, user_id),
                            user_id_enc=cipher.encrypt(user_id)))


def _language(session: Session, cipher: Cipher, inbound: Inbound, default: str) -> str:
    conversation = find_conversation(session, cipher, inbound.channel, inbound.user_id)
    language = conversation.language if conversation is not None else None
    return language or inbound.language_hint or default


class LinkingBot(Bot):
    """The shared flow, with the web chat's codes recognised first on other channels."""

    def receive(self, inbound: Inbound) -> Handled:
        if inbound.text and not inbound.message_id.startswith(WEB_PREFIX):
            digits = code_digits(inbound.text)
            if digits is not None:
                handled = self._use_code(inbound, digits)
                if handled is not None:
                    return handled
            elif inbound.text.casefold().strip(" .!?") in CODE_REQUEST_WORDS:
                return self._give_code(inbound)
        return super().receive(inbound)

    def _give_code(self, inbound: Inbound) -> Handled:
        runtime = self.runtime
        with runtime.db.transaction() as session:
            digits = issue(session, runtime, to_web=True, channel=inbound.channel,
                           user_id=inbound.user_id,
                           request_key=f"{inbound.channel}:{inbound.message_id}")
            language = _language(session, runtime.cipher, inbound,
                                 runtime.settings.default_language)
        log.info("webchat: code given on %s", inbound.channel)
        return Handled([Text(say(language, "code_given", code=shown(digits),
                                 minutes=runtime.settings.webchat_code_minutes))])

    def _use_code(self, inbound: Inbound, digits: str) -> Handled | None:
        runtime = self.runtime
        with runtime.db.transaction() as session:
            used = redeem(session, runtime, digits, to_web=False,
                          used_key=f"{inbound.channel}:{inbound.message_id}")
            if used is None:
                return None  # a number that is no code of ours: the flow's
            language = _language(session, runtime.cipher, inbound,
                                 runtime.settings.default_language)
            if used.linked is None:
                return Handled([Text(say(language, "code_invalid"))])
            text = say(language, "linked", channel=CHANNEL_NAMES[CHANNEL])
            if not used.repeated:
                _channel, web_user = code_owner(session, runtime, digits)
                move_web_to(session, runtime.cipher, web_user, inbound.channel, inbound.user_id)
                for visitor_id in session.exec(select(WebchatSession.id).where(
                        sessions_of(inbound.channel, runtime.cipher, inbound.user_id))).all():
                    assert visitor_id is not None
                    store.add(session, runtime.cipher, session_id=visitor_id,
                              key=f"linked:{inbound.message_id}:{visitor_id}"[:200],
                              direction=OUT,
                              payload={"kind": "text", "text": say(
                                  language, "linked",
                                  channel=CHANNEL_NAMES.get(inbound.channel, inbound.channel))},
                              now=runtime.clock(), read=False)
                log.info("webchat: a web-chat visitor continues on %s", inbound.channel)
        return Handled([Text(text)], repeated=used.repeated)

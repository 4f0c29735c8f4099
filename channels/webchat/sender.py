"""Messages sent first (reminders, staff replies, Zoom links) to a web-chat person.

The outbox worker hands them over here: they are stored in the visitor's chat, unread, and
the page shows them when it is next open (at once, if it is open now). If the person gave
an e-mail address in the intake and agreed to its use, a copy is queued for e-mail as well,
under a key derived from the delivery's (once, however often the worker retries).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, select

from bot.case import read_case
from bot.messages import Text, reply_to_dict
from bot.models import CaseFile, Conversation
from channels.delivery import Delivery, DeliveryFailed
from channels.webchat import CHANNEL, store
from channels.webchat.locale import say
from channels.webchat.models import OUT, WebchatSession
from channels.webchat.render import Publish, publisher, render
from channels.webchat.sessions import sessions_of
from channels.webchat.stream import Notifier
from plumbing.outbox import enqueue
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)


class WebchatSender:
    """Stores each delivery in the person's web chat (and queues its e-mail copy)."""

    def __init__(self, runtime: Runtime, *, notifier: Notifier | None = None,
                 publish: Publish | None = None) -> None:
        self.runtime = runtime
        self.notifier = notifier
        self.publish = publish or publisher(runtime)

    def send(self, delivery: Delivery) -> str | None:
        messages = render(delivery.replies, self.publish)
        if not messages:
            raise DeliveryFailed("nothing to send", permanent=True)
        runtime = self.runtime
        with runtime.db.transaction() as session:
            visitors = session.exec(select(WebchatSession.id).where(
                sessions_of(CHANNEL, runtime.cipher, delivery.recipient))).all()
            if not visitors:
                raise DeliveryFailed("no web-chat session for this person", permanent=True)
            for visitor_id in visitors:
                assert visitor_id is not None
                for n, message in enumerate(messages):
                    store.add(session, runtime.cipher, session_id=visitor_id,
                              key=f"outbox:{delivery.key}:{visitor_id}:{n}"[:200],
                              direction=OUT, payload=message, now=runtime.clock(), read=False)
            mailed = self._mail_copy(session, delivery, messages)
        if self.notifier is not None:
            for visitor_id in visitors:
                self.notifier.notify(int(visitor_id or 0))
        log.info("webchat: %s stored for %d session(s)%s", delivery.kind, len(visitors),
                 ", e-mail copy queued" if mailed else "")
        return f"webchat:{delivery.key}"[:128]

    def _mail_copy(self, session: Session, delivery: Delivery,
                   messages: list[dict[str, Any]]) -> bool:
        """Queue the e-mail copy if SMTP is set up and the person gave an address."""
        settings = self.runtime.settings
        conversation_id = delivery.extra.get("conversation_id")
        if not settings.smtp_host or not settings.smtp_from or not conversation_id:
            return False
        case = session.exec(select(CaseFile).where(
            CaseFile.conversation_id == conversation_id, CaseFile.erased_at.is_(None))  # type: ignore[union-attr]
            .order_by(CaseFile.created_at.desc(), CaseFile.id.desc())  # type: ignore[attr-defined,union-attr]
        ).first()
        address = read_case(self.runtime.cipher, case).email
        if address is None or "@" not in address:
            return False
        language = session.exec(select(Conversation.language).where(
            Conversation.id == conversation_id)).first()
        body = "\n\n".join(_plain(m) for m in messages).strip()
        text = "\n\n".join((say(language, "mail_subject", company=settings.company_name),
                            body, say(language, "mail_footer", url=settings.company_website)))
        return enqueue(session, self.runtime.cipher, key=f"webchat-mail:{delivery.key}"[:200],
                       kind=delivery.kind, channel="email", recipient=address,
                       replies=[reply_to_dict(Text(text))], now=self.runtime.clock(),
                       conversation_id=int(conversation_id))


def _plain(message: dict[str, Any]) -> str:
    """A widget message as e-mail text: buttons are answered in the chat, links kept."""
    if message["kind"] == "document":
        return f"{message['caption']}\n{message['url']}".strip()
    return str(message.get("text", ""))


def build_sender(runtime: Runtime) -> WebchatSender:
    """The outbox's factory (``SENDER_FACTORIES["webchat"]``): always on."""
    return WebchatSender(runtime)

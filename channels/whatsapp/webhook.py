"""The Flask endpoints Twilio calls: incoming WhatsApp messages and delivery reports.

Every request must carry a valid ``X-Twilio-Signature`` for the public URL Twilio
called (``PUBLIC_BASE_URL`` + path + query), since behind a proxy or tunnel the scheme
and host this app sees differ. A message is handled by the shared flow in one database
transaction, exactly once per ``MessageSid``, and answered with TwiML at once: no remote
call on this path. Choices that become Content template buttons need Twilio's REST API,
so they go through the outbox, keyed by the ``MessageSid`` (a retry adds nothing). A
document held as bytes (the calendar file) is published first, in a short transaction
after the flow's, so the TwiML can carry its URL (see ``documents``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.engine import Bot, NotStored
from bot.identifiers import find_conversation
from bot.messages import Choices, Inbound, Reply, reply_to_dict
from channels.files import Publisher
from channels.whatsapp import CHANNEL
from channels.whatsapp.content import ContentTemplates
from channels.whatsapp.documents import publish_documents
from channels.whatsapp.parsing import (
    MalformedRequest,
    parse_inbound,
    parse_status,
    pseudonym,
    quoted_sid,
)
from channels.whatsapp.questions import ASKED, remember, token_of
from channels.whatsapp.render import first_interactive, plan, to_twiml
from channels.whatsapp.sender import STATUS_PATH
from channels.whatsapp.signature import SignatureCheck
from channels.whatsapp.status import record_status
from plumbing import outbox_keys
from plumbing.metrics import rejected
from plumbing.outbox import enqueue
from plumbing.runtime import Runtime
from plumbing.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Twilio-Signature"
#: Present when a Twilio Webhook Rule signs with a SharedKey instead of the Auth Token.
SHARED_KEY_HEADER = "X-Twilio-Webhooks-Signature-Settings"
#: Seconds Twilio is asked to wait before delivering a message the database did not take.
RETRY_AFTER = "5"
REQUIRED_SETTINGS = (
    ("TWILIO_ACCOUNT_SID", "twilio_account_sid"),
    ("TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    ("TWILIO_WHATSAPP_FROM", "twilio_whatsapp_from"),
    ("PUBLIC_BASE_URL", "public_base_url"),
)


def missing_settings(settings: Settings) -> list[str]:
    """The settings WhatsApp still needs, by their environment names."""
    return [name for name, attribute in REQUIRED_SETTINGS if not getattr(settings, attribute)]


class WhatsAppWebhooks:
    """The two endpoints, sharing one validator and the flow."""

    def __init__(self, runtime: Runtime, bot: Bot, templates: ContentTemplates) -> None:
        settings = runtime.settings
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token \
            else ""
        self.runtime = runtime
        self.bot = bot
        self.templates = templates
        self.signatures = SignatureCheck(token)
        self.base_url = (settings.public_base_url or "").rstrip("/")
        self._log_key = token
        self.publish = Publisher(runtime)

    def blueprint(self) -> Blueprint:
        """The routes, ready to register."""
        blueprint = Blueprint("whatsapp", __name__)
        blueprint.add_url_rule(WEBHOOK_PATH, "message", self.message, methods=["POST"])
        blueprint.add_url_rule(STATUS_PATH, "status", self.status, methods=["POST"])
        return blueprint

    def public_url(self) -> str:
        """The URL Twilio called and signed: the public base, our path, the raw query."""
        query = request.query_string.decode("latin-1")
        return f"{self.base_url}{request.path}" + (f"?{query}" if query else "")

    def refusal(self) -> Response | None:
        """A 403 unless the request is signed by Twilio for our public URL."""
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            reason = f"no {SIGNATURE_HEADER}"
        elif request.headers.get(SHARED_KEY_HEADER):
            reason = "signed with a Webhook SharedKey; remove the Webhook Rule or use the " \
                     "Auth Token"
        elif not self.signatures.valid(self.public_url(), request.form, signature):
            reason = f"signature does not match {self.public_url()}"
        else:
            return None
        log.warning("whatsapp webhook %s refused from %s: %s", request.path,
                    request.remote_addr, reason)
        rejected("whatsapp", "signature")
        return Response("forbidden\n", status=403, mimetype="text/plain")

    def message(self) -> Response:
        """An incoming WhatsApp message: handle it and answer with TwiML."""
        refused = self.refusal()
        if refused is not None:
            return refused
        try:
            inbound = parse_inbound(request.form)
        except MalformedRequest as exc:
            log.warning("whatsapp webhook: bad request (%s)", exc.reason)
            rejected("whatsapp", "malformed")
            return Response("bad request\n", status=400, mimetype="text/plain")
        started = time.perf_counter()
        try:
            inbound = self._with_quoted_question(inbound)
            replies = self.bot.receive(inbound).replies
            cut = first_interactive(replies, self.templates)
            if cut is not None:
                self._send_later(inbound, replies[cut:])
                replies = replies[:cut]
            # The turn has committed; each file is published in a short transaction of its own.
            replies = publish_documents(replies, self.publish)
        except (NotStored, DBAPIError, PoolTimeout):
            # Not acknowledged: Twilio delivers it again, and the MessageSid makes a turn
            # that did commit answer the same (the outbox key adds the buttons once).
            log.warning("whatsapp message %s not stored; asking Twilio to retry",
                        inbound.message_id)
            rejected("whatsapp", "unavailable")
            return Response("unavailable\n", status=503, mimetype="text/plain",
                            headers={"Retry-After": RETRY_AFTER})
        messages = plan(replies, self.templates)
        asked = question_token(replies)
        action = f"{self.base_url}{STATUS_PATH}?{urlencode({ASKED: asked})}" if asked else None
        if log.isEnabledFor(logging.INFO):  # the pseudonym is an HMAC: only when written
            log.info("whatsapp message %s from %s: %d repl%s in %.0f ms%s", inbound.message_id,
                     pseudonym(inbound.user_id, self._log_key), len(messages),
                     "y" if len(messages) == 1 else "ies",
                     (time.perf_counter() - started) * 1000,
                     "" if cut is None else ", buttons through the outbox")
        return Response(to_twiml(messages, action), mimetype="text/xml")

    def _with_quoted_question(self, inbound: Inbound) -> Inbound:
        """A typed answer quoting one of our questions carries that question's token."""
        sid = quoted_sid(request.form)
        if sid is None or inbound.choice_id is not None:
            return inbound
        with self.runtime.db.transaction() as session:
            token = token_of(session, sid)
        return replace(inbound, replied_token=token) if token else inbound

    def _send_later(self, inbound: Inbound, replies: Sequence[Reply]) -> None:
        """Queue replies that need the REST API; the MessageSid keys them (exactly once)."""
        with self.runtime.db.transaction() as session:
            person = find_conversation(session, self.runtime.cipher, CHANNEL, inbound.user_id)
            conversation_id = person.id if person is not None else None
            enqueue(session, self.runtime.cipher,
                    key=outbox_keys.chat_reply(inbound.message_id), kind="reply", channel=CHANNEL,
                    recipient=inbound.user_id, replies=[reply_to_dict(r) for r in replies],
                    now=self.runtime.clock(), conversation_id=conversation_id)

    def status(self) -> Response:
        """A delivery report for a message we sent."""
        refused = self.refusal()
        if refused is not None:
            return refused
        try:
            report = parse_status(request.form)
        except MalformedRequest as exc:
            log.warning("whatsapp status callback: bad request (%s)", exc.reason)
            rejected("whatsapp", "malformed")
            return Response("bad request\n", status=400, mimetype="text/plain")
        asked = request.args.get(ASKED, "")
        if asked.isascii() and asked.isalnum() and len(asked) <= 16:
            with self.runtime.db.transaction() as session:
                remember(session, report.message_sid, asked, self.runtime.clock())
        if not record_status(self.runtime, report, request.args.get("key")) and not asked:
            log.info("whatsapp status %s for a message not in the outbox", report.status)
        return Response(status=204)


def question_token(replies: Sequence[Reply]) -> str | None:
    """The token of the question these replies ask (the last one), if any."""
    tokens = [r.token for r in replies if isinstance(r, Choices) and r.token]
    return tokens[-1] if tokens else None


def attach(app: Flask, runtime: Runtime, bot: Bot) -> None:
    """Register the WhatsApp webhooks when Twilio is configured; say so either way."""
    settings = runtime.settings
    missing = missing_settings(settings)
    if missing:
        app.config["AREAS"]["whatsapp"] = "off: set " + ", ".join(missing)
        return
    base = (settings.public_base_url or "").rstrip("/")
    if not base.startswith(("https://", "http://")):
        app.config["AREAS"]["whatsapp"] = "off: PUBLIC_BASE_URL must start with https://"
        return
    templates = ContentTemplates.from_settings(settings)  # validated with the settings
    webhooks = WhatsAppWebhooks(runtime, bot, templates)
    blueprint = webhooks.blueprint()
    app.register_blueprint(blueprint)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # Twilio cannot send a CSRF token; the signature protects these
        csrf.exempt(blueprint)
    description = templates.describe()
    app.config["AREAS"]["whatsapp"] = (
        f"on: Twilio webhooks {base}{WEBHOOK_PATH} and {base}{STATUS_PATH}; "
        f"sender {settings.twilio_whatsapp_from}; {description}"
    )

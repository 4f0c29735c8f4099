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

from flask import Blueprint, Flask, Response, request
from twilio.request_validator import RequestValidator

from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.messages import Inbound, Reply, reply_to_dict
from channels.whatsapp import CHANNEL
from channels.whatsapp.content import ContentTemplates
from channels.whatsapp.documents import publish_documents
from channels.whatsapp.parsing import MalformedRequest, parse_inbound, parse_status, pseudonym
from channels.whatsapp.render import first_interactive, plan, to_twiml
from channels.whatsapp.sender import STATUS_PATH
from channels.whatsapp.status import record_status
from consultbot.files import Publisher
from consultbot.outbox import enqueue
from consultbot.runtime import Runtime
from consultbot.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Twilio-Signature"
#: Present when a Twilio Webhook Rule signs with a SharedKey instead of the Auth Token.
SHARED_KEY_HEADER = "X-Twilio-Webhooks-Signature-Settings"
REQUIRED_SETTINGS = (
    ("TWILIO_ACCOUNT_SID", "twilio_account_sid"),
    ("TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    ("TWILIO_WHATSAPP_FROM", "twilio_whatsapp_from"),
    ("PUBLIC_BASE_URL", "public_base_url"),
)


def missing_settings(settings: Settings) -> list[str]:
    """The settings WhatsApp still needs, by their environment names."""
    return [name for name, attribute in REQUIRED_SETTINGS if not getattr(settings, attribute)]


def load_templates(settings: Settings) -> tuple[ContentTemplates, str | None]:
    """The configured Content templates, or none and the reason they were ignored."""
    try:
        return ContentTemplates.from_settings(settings), None
    except ValueError as exc:
        return ContentTemplates(), str(exc)


class WhatsAppWebhooks:
    """The two endpoints, sharing one validator and the flow."""

    def __init__(self, runtime: Runtime, bot: Bot, templates: ContentTemplates) -> None:
        settings = runtime.settings
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token \
            else ""
        self.runtime = runtime
        self.bot = bot
        self.templates = templates
        self.validator = RequestValidator(token)
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
        elif not self.validator.validate(self.public_url(), request.form, signature):
            reason = f"signature does not match {self.public_url()}"
        else:
            return None
        log.warning("whatsapp webhook %s refused from %s: %s", request.path,
                    request.remote_addr, reason)
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
            return Response("bad request\n", status=400, mimetype="text/plain")
        started = time.perf_counter()
        replies = self.bot.handle(inbound)
        cut = first_interactive(replies, self.templates)
        if cut is not None:
            self._send_later(inbound, replies[cut:])
            replies = replies[:cut]
        # Bot.handle has committed; each file is published in a short transaction of its own.
        replies = publish_documents(replies, self.publish)
        messages = plan(replies, self.templates)
        log.info("whatsapp message %s from %s: %d repl%s in %.0f ms%s", inbound.message_id,
                 pseudonym(inbound.user_id, self._log_key), len(messages),
                 "y" if len(messages) == 1 else "ies", (time.perf_counter() - started) * 1000,
                 "" if cut is None else ", buttons through the outbox")
        return Response(to_twiml(messages), mimetype="text/xml")

    def _send_later(self, inbound: Inbound, replies: Sequence[Reply]) -> None:
        """Queue replies that need the REST API; the MessageSid keys them (exactly once)."""
        with self.runtime.db.transaction() as session:
            person = find_conversation(session, self.runtime.cipher, CHANNEL, inbound.user_id)
            conversation_id = person.id if person is not None else None
            enqueue(session, self.runtime.cipher,
                    key=f"whatsapp:reply:{inbound.message_id}", kind="reply", channel=CHANNEL,
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
            return Response("bad request\n", status=400, mimetype="text/plain")
        if not record_status(self.runtime, report, request.args.get("key")):
            log.info("whatsapp status %s for a message not in the outbox", report.status)
        return Response(status=204)


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
    templates, ignored = load_templates(settings)
    webhooks = WhatsAppWebhooks(runtime, bot, templates)
    blueprint = webhooks.blueprint()
    app.register_blueprint(blueprint)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # Twilio cannot send a CSRF token; the signature protects these
        csrf.exempt(blueprint)
    description = templates.describe() + (f" ({ignored}; ignored)" if ignored else "")
    app.config["AREAS"]["whatsapp"] = (
        f"on: Twilio webhooks {base}{WEBHOOK_PATH} and {base}{STATUS_PATH}; "
        f"sender {settings.twilio_whatsapp_from}; {description}"
    )

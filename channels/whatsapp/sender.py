"""Proactive WhatsApp messages for the outbox, through Twilio's REST API.

Inside WhatsApp's 24-hour window (since the person last wrote) the replies go as free
text, buttons or lists; outside it only an approved template may start the conversation
(``TWILIO_TEMPLATE_SID_REMINDER`` / ``_NOTICE``, filled with ``Delivery.template``).
Failures become :class:`~channels.delivery.DeliveryFailed` with Twilio's error code:
network trouble, 5xx and rate limits are worth retrying; refusals are permanent. A
retry continues after the last message sent (``channels.progress``).
A request whose answer was lost (a read timeout, a dropped connection: Twilio may have
taken the message) is reconciled before it is sent again: Twilio's list of messages to
that person from our sender, around the time of the lost attempt, is searched for it (the
same body; for a Content template, any message in that window), and a match is taken as
sent. The lost attempts are remembered in this process only (see
``docs/delivery-guarantees.md``).
Documents held as bytes are published (``documents``) before Twilio is called; a retry
publishes the same URL again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bot.messages import Choices
from channels.delivery import Delivery, DeliveryFailed
from channels.files import Publisher
from channels.progress import DeliveryProgress
from channels.whatsapp.content import ContentTemplates, template_sid, template_variable
from channels.whatsapp.documents import Publish, publish_documents
from channels.whatsapp.parsing import pseudonym, whatsapp_address, whatsapp_number
from channels.whatsapp.questions import ASKED
from channels.whatsapp.render import ContentMessage, Outgoing, TextMessage, plan
from plumbing.clock import Clock
from plumbing.runtime import Runtime
from plumbing.settings import Settings

if TYPE_CHECKING:
    import requests
    from twilio.base.exceptions import TwilioException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

# Twilio's REST client and requests (0.12 s and 14 MiB at import) are imported when the
# first message is sent: a process that only answers webhooks (their replies go in the
# TwiML answer) or has no WhatsApp never loads them.

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
#: Free text is only tried while the window has this much left, so that a message
#: queued at Twilio for a moment does not arrive after it closed.
WINDOW_MARGIN = timedelta(minutes=5)
REQUEST_TIMEOUT = 10.0
STATUS_PATH = "/webhooks/whatsapp/status"

OUTSIDE_WINDOW = 63016
#: The recipient cannot get WhatsApp messages from us at all.
UNREACHABLE_CODES = frozenset({21211, 21614, 63003, 63024})
#: Twilio's or WhatsApp's rate limits: try again later.
RETRYABLE_CODES = frozenset({20429, 63018})


class TwilioRefused(DeliveryFailed):
    """Twilio answered with an error; ``code`` is its error code when it gave one."""

    def __init__(self, reason: str, code: int | None, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.code = code


@cache
def _http_client_class() -> type[TwilioHttpClient]:
    from twilio.http.http_client import TwilioHttpClient

    class HttpClient(TwilioHttpClient):
        """Twilio's HTTP client, remembering the last response's headers (for Retry-After)."""

        def __init__(self, timeout: float = REQUEST_TIMEOUT) -> None:
            super().__init__(timeout=timeout)
            self.last_headers: Any = {}

        def request(self, *args: Any, **kwargs: Any) -> Any:
            self.last_headers = {}
            response = super().request(*args, **kwargs)
            self.last_headers = response.headers or {}
            return response

    return HttpClient


#: The window around a lost attempt in which Twilio's list is searched for its message.
RECONCILE_BEFORE = timedelta(seconds=30)
RECONCILE_AFTER = timedelta(minutes=2)
RECONCILE_LIMIT = 50


def answer_lost(exc: requests.RequestException) -> bool:
    """Whether the request may have reached Twilio (its answer did not reach us)."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc.args)
        return "NewConnectionError" not in text and "ConnectTimeoutError" not in text
    return isinstance(exc, requests.Timeout | requests.exceptions.ChunkedEncodingError)


def retry_after_seconds(headers: Any, now: datetime) -> float | None:
    """The pause a ``Retry-After`` header asks for (seconds or an HTTP date)."""
    value = (headers.get("Retry-After") if headers else None) or ""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None


def in_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may still be sent to this person."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - WINDOW_MARGIN


class WhatsAppSender:
    """Sends outbox deliveries as WhatsApp messages; thread-safe."""

    def __init__(self, settings: Settings, clock: Clock, *,
                 client_factory: Callable[[], Client] | None = None,
                 publish: Publish | None = None, timeout: float = REQUEST_TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout
        #: (outbox key, request) -> when an attempt whose answer was lost started.
        self._unsure: dict[tuple[str, str], datetime] = {}
        self._unsure_lock = threading.Lock()
        self.clock = clock
        #: Publishes documents held as bytes; without it only their captions are sent.
        self.publish = publish
        self.templates = ContentTemplates.from_settings(settings)
        self._client_factory = client_factory or self._new_client
        self._local = threading.local()
        #: A retry continues after the last message an earlier attempt sent.
        self.progress = DeliveryProgress()
        base = (settings.public_base_url or "").rstrip("/")
        self.status_callback = f"{base}{STATUS_PATH}" if base else None

    def _new_client(self) -> Client:
        from twilio.rest import Client

        token = self.settings.twilio_auth_token
        client = Client(self.settings.twilio_account_sid,
                        token.get_secret_value() if token else None,
                        http_client=_http_client_class()(self.timeout))
        client.api.base_url = self.settings.twilio_api_base_url.rstrip("/")
        return client

    @property
    def client(self) -> Client:
        """One client per thread, so each remembers its own last response."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
        return client

    def send(self, delivery: Delivery) -> str | None:
        """Send every message of ``delivery``; return the last message's SID."""
        try:
            to = whatsapp_address(delivery.recipient)
        except ValueError:
            raise DeliveryFailed("recipient is not a WhatsApp number", permanent=True) from None
        now = self.clock()
        if in_window(delivery.last_inbound_at, now):
            messages = plan(publish_documents(delivery.replies, self.publish), self.templates)
            progress_key = f"{delivery.key}|session"
        else:
            messages = [self._template_message(delivery, "outside the 24-hour window")]
            progress_key = f"{delivery.key}|template"
        query = {"key": delivery.key}
        asked = [r.token for r in delivery.replies if isinstance(r, Choices) and r.token]
        if asked:  # a quoted reply to this question is then recognised (``questions``)
            query[ASKED] = asked[-1]
        callback = f"{self.status_callback}?{urlencode(query)}" if self.status_callback \
            else None
        sid = self.progress.send_all(
            progress_key, messages,
            lambda message: self._send_one(to, message, delivery, callback))
        log.info("whatsapp %s to %s: %d message(s) sent", delivery.kind, self._who(to),
                 len(messages))
        return sid

    def _template_message(self, delivery: Delivery, why: str) -> ContentMessage:
        template = delivery.template
        sid = template_sid(self.settings, template.name) if template else None
        if template is None or sid is None:
            setting = f"TWILIO_TEMPLATE_SID_{template.name.upper()}" if template else None
            raise DeliveryFailed(
                f"{why} and no approved template" + (f" ({setting} is not set)" if setting
                                                     else " for this message"),
                permanent=True)
        variables = {str(n): template_variable(v)
                     for n, v in enumerate(template.variables, start=1)}
        return ContentMessage(sid, variables)

    def _send_one(self, to: str, message: Outgoing, delivery: Delivery,
                  callback: str | None) -> str:
        key = delivery.key
        try:
            return self._create(to, message, callback, key)
        except TwilioRefused as refused:
            if refused.code == OUTSIDE_WINDOW and delivery.template is not None \
                    and not self._is_template(message, delivery):
                # The window closed after all (a clock apart, a message we never saw):
                # the approved template may still start the conversation.
                return self._create(to, self._template_message(delivery, "window closed"),
                                    callback, key)
            if isinstance(message, ContentMessage) and message.fallback and refused.permanent \
                    and refused.code not in UNREACHABLE_CODES | {OUTSIDE_WINDOW}:
                log.warning("whatsapp: Content template %s refused (Twilio error %s); "
                            "sending numbered text instead", message.content_sid, refused.code)
                return self._create(to, TextMessage(message.fallback), callback, key)
            raise

    def _is_template(self, message: Outgoing, delivery: Delivery) -> bool:
        template = delivery.template
        return isinstance(message, ContentMessage) and template is not None and \
            message.content_sid == template_sid(self.settings, template.name)

    def _create(self, to: str, message: Outgoing, callback: str | None, key: str = "") -> str:
        fields: dict[str, Any] = {"to": to, "from_": self.settings.twilio_whatsapp_from}
        if callback:
            # The outbox key in the URL finds the message even if Twilio reports before
            # the worker has stored the SID.
            fields["status_callback"] = callback
        import requests
        from twilio.base.exceptions import TwilioException

        if isinstance(message, ContentMessage):
            fields["content_sid"] = message.content_sid
            if message.variables:
                fields["content_variables"] = message.variables_json
        else:
            if message.body:
                fields["body"] = message.body
            if message.media_url:
                fields["media_url"] = [message.media_url]
        client = self.client
        attempt = (key, repr(sorted(fields.items())))
        with self._unsure_lock:
            lost_at = self._unsure.get(attempt)
        if lost_at is not None:
            found = self._find_sent(client, fields, lost_at)
            if found is not None:
                log.info("whatsapp: an earlier attempt had sent %s; not sending it again",
                         found)
                self._forget_unsure(attempt)
                return found
        started = self.clock()
        try:
            created = client.api.account.messages.create(**fields)
        except requests.RequestException as exc:
            if answer_lost(exc):
                with self._unsure_lock:
                    self._unsure.setdefault(attempt, started)
            raise DeliveryFailed(f"Twilio unreachable: {type(exc).__name__}") from None
        except TwilioException as exc:
            raise self._refused(exc, client) from None
        self._forget_unsure(attempt)
        return str(created.sid)

    def _forget_unsure(self, attempt: tuple[str, str]) -> None:
        with self._unsure_lock:
            self._unsure.pop(attempt, None)

    def _find_sent(self, client: Client, fields: dict[str, Any], lost_at: datetime
                   ) -> str | None:
        """The SID of the message a lost attempt at ``lost_at`` made, if Twilio has it.

        Raises :class:`DeliveryFailed` (retry later) when Twilio cannot be asked: sending
        without knowing could send twice."""
        import requests
        from twilio.base.exceptions import TwilioException

        earliest = lost_at - RECONCILE_BEFORE
        latest = lost_at + timedelta(seconds=self.timeout) + RECONCILE_AFTER
        try:
            recent = client.api.account.messages.list(
                to=fields["to"], from_=fields["from_"], limit=RECONCILE_LIMIT)
        except requests.RequestException as exc:
            raise DeliveryFailed(f"Twilio unreachable: {type(exc).__name__}") from None
        except TwilioException as exc:
            raise self._refused(exc, client) from None
        body = fields.get("body")
        for sent in recent:
            created = sent.date_created
            if created is None or not earliest <= created <= latest:
                continue
            if sent.direction not in (None, "outbound-api"):
                continue
            if "content_sid" in fields or (sent.body or "") == (body or ""):
                return str(sent.sid)
        return None

    def _refused(self, exc: TwilioException, client: Client) -> TwilioRefused:
        status = int(getattr(exc, "status", 0) or 0)
        raw_code = getattr(exc, "code", None)
        code = int(raw_code) if str(raw_code).isdigit() else None
        reason = f"Twilio HTTP {status}" + (f", error {code}" if code else "")
        if status == 429 or status >= 500 or code in RETRYABLE_CODES:
            headers = getattr(client.http_client, "last_headers", {})
            return TwilioRefused(reason, code,
                                 retry_after=retry_after_seconds(headers, self.clock()))
        return TwilioRefused(reason, code, permanent=True, unreachable=code in UNREACHABLE_CODES)

    def _who(self, address: str) -> str:
        token = self.settings.twilio_auth_token
        key = token.get_secret_value() if token else ""
        return pseudonym(whatsapp_number(address) or address, key)


def build_sender(runtime: Runtime) -> WhatsAppSender | None:
    """The outbox's WhatsApp sender, or None while the Twilio settings are incomplete."""
    if not runtime.settings.whatsapp_enabled:
        return None
    return WhatsAppSender(runtime.settings, runtime.clock, publish=Publisher(runtime))

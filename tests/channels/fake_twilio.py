"""Twilio's side, for tests: its Messages REST API on 127.0.0.1, and its signed webhooks.

:class:`FakeTwilioApi` answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` the way
Twilio does (Basic auth, field checks with Twilio's error codes, a ``SM…`` sid), records
every accepted message, and can be told to fail the next requests, or to take the next
message and answer only after the client has given up (:meth:`FakeTwilioApi.answer_late`).
``GET`` on the same path lists the accepted messages, newest first, filtered by To/From.
:class:`TwilioWebhooks` posts form fields to the Flask app signed with the Auth Token
for the public URL, as Twilio does; tests may forge or omit the signature.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

#: Test credentials: an account, its Auth Token, and the WhatsApp sandbox sender.
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
SENDER = "whatsapp:+14155238886"
PUBLIC_BASE_URL = "https://bot.example.org"

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")


def new_sid(prefix: str = "SM") -> str:
    """A fresh Twilio-style SID."""
    return prefix + uuid.uuid4().hex


@dataclass
class Failure:
    """A scripted error answer."""

    status: int
    code: int | None
    message: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeTwilioApi:
    """A local stand-in for api.twilio.com's Messages resource."""

    def __init__(self, account_sid: str, auth_token: str, sender: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        #: Set while a late answer is held back; the test sets it to let it go.
        self.release = threading.Event()
        self._late = 0
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        #: Media resources (path -> where Twilio's CDN serves the bytes) and the
        #: Authorization header of every request for one.
        self.media: dict[str, str] = {}
        self.media_requests: list[tuple[str, str]] = []
        self._media_failures: list[int] = []
        #: Scripted answers for the next requests; None handles one normally.
        self._failures: list[Failure | None] = []
        self._lock = threading.Lock()
        self._accepted = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(  # a short poll: shutdown() returns at once
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def base_url(self) -> str:
        """What ``TWILIO_API_BASE_URL`` should be."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, code: int | None, message: str = "error",
                  headers: Mapping[str, str] | None = None, *, after: int = 0) -> None:
        """Answer the next request (or the one after ``after`` good ones) with this error."""
        with self._lock:
            self._failures.extend([None] * after)
            self._failures.append(Failure(status, code, message, dict(headers or {})))

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool],
                 timeout: float = 10.0) -> bool:
        """Wait until ``predicate(accepted messages)`` holds (checked after each message)."""
        with self._accepted:
            return self._accepted.wait_for(lambda: predicate(self.messages), timeout)

    def add_media(self, data: bytes, content_type: str, cdn: FakeFileHost) -> str:
        """A media resource of an incoming message (its bytes kept on ``cdn``): its URL, as
        a webhook's ``MediaUrl0`` carries it."""
        path = (f"/2010-04-01/Accounts/{self.account_sid}/Messages/{new_sid('MM')}"
                f"/Media/{new_sid('ME')}")
        with self._lock:
            self.media[path] = cdn.add(data, content_type)
        return f"{self.base_url}{path}"

    def fail_media_next(self, status: int) -> None:
        """The next request for a media resource gets this status."""
        with self._lock:
            self._media_failures.append(status)

    def _media(self, path: str, authorization: str) -> tuple[int, dict[str, str]]:
        """Twilio's media resource: Basic auth, then a redirect to the CDN."""
        with self._lock:
            self.media_requests.append((path, authorization))
            failure = self._media_failures.pop(0) if self._media_failures else None
            location = self.media.get(path)
        if not self._authorized(authorization):
            return 401, {}
        if location is None:
            return 404, {}
        if failure is not None:
            return failure, {}
        return 307, {"Location": location}

    def answer_late(self) -> None:
        """Take the next good message, then hold the answer until :attr:`release` is set
        (the client times out meanwhile: Twilio acted, the client does not know)."""
        with self._lock:
            self._late += 1
            self.release.clear()

    def __enter__(self) -> FakeTwilioApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _authorized(self, authorization: str) -> bool:
        """Whether the request carries this account's Basic credentials, as Twilio wants."""
        return authorization == "Basic " + base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()).decode()

    def _answer(self, path: str, authorization: str, form: dict[str, list[str]]
                ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.requests += 1
            failure = self._failures.pop(0) if self._failures else None
        if not self._authorized(authorization):
            return _error(401, 20003, "Authenticate")
        match = _MESSAGES_PATH.match(path)
        if not match or match.group("sid") != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if failure is not None:
            return _error(failure.status, failure.code, failure.message, failure.headers)
        one = {name: values[0] for name, values in form.items()}
        problem = self._check(one)
        if problem is not None:
            return problem
        message = {**one, "MediaUrl": form.get("MediaUrl", []), "sid": new_sid(),
                   "date_created": self.clock()}
        with self._lock:
            self.messages.append(message)
            self._accepted.notify_all()
            late, self._late = self._late > 0, max(self._late - 1, 0)
        if late:
            self.release.wait(10)
        return 201, {
            "sid": message["sid"], "account_sid": self.account_sid, "status": "queued",
            "to": one["To"], "from": one["From"], "body": one.get("Body", ""),
            "num_media": str(len(message["MediaUrl"])), "num_segments": "1",
            "api_version": "2010-04-01", "direction": "outbound-api",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message['sid']}.json",
        }, {}

    def _list(self, path: str, authorization: str, query: dict[str, list[str]]
              ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not self._authorized(authorization):
            return _error(401, 20003, "Authenticate")
        match = _MESSAGES_PATH.match(path)
        if not match or match.group("sid") != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        to, sender = query.get("To", [None])[0], query.get("From", [None])[0]
        with self._lock:
            chosen = [m for m in reversed(self.messages)
                      if (to is None or m["To"] == to) and (sender is None or m["From"] == sender)]
        size = int(query.get("PageSize", ["50"])[0])
        listed = [{"sid": m["sid"], "account_sid": self.account_sid, "to": m["To"],
                   "from": m["From"], "body": m.get("Body", ""), "status": "sent",
                   "direction": "outbound-api",
                   "date_created": format_datetime(m["date_created"], usegmt=True),
                   "date_sent": format_datetime(m["date_created"], usegmt=True)}
                  for m in chosen[:size]]
        return 200, {"messages": listed, "next_page_uri": None, "previous_page_uri": None,
                     "first_page_uri": path, "uri": path, "page": 0, "page_size": size,
                     "start": 0, "end": max(len(listed) - 1, 0)}, {}

    def _check(self, form: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Twilio's own checks on a new message, with its error codes."""
        if not re.match(r"^whatsapp:\+[1-9][0-9]{6,14}$", form.get("To", "")):
            return _error(400, 21211, "Invalid 'To' Phone Number")
        if form.get("From") != self.sender:
            return _error(400, 63007, "Twilio could not find a Channel with the From address")
        body, content = form.get("Body", ""), form.get("ContentSid", "")
        if not body and not content and "MediaUrl" not in form:
            return _error(400, 21602, "Message body is required.")
        if len(body.encode("utf-16-le")) // 2 > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 "
                                      "character limit.")
        if content and not re.match(r"^HX[0-9a-f]{32}$", content):
            return _error(400, 21655, "The ContentSid is Invalid.")
        if "ContentVariables" in form:
            try:
                variables = json.loads(form["ContentVariables"])
            except ValueError:
                variables = None
            if not isinstance(variables, dict):
                return _error(400, 21656, "The ContentVariables Parameter is invalid.")
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, raw = self.path.partition("?")
                if "/Media/" in path:
                    status, headers = api._media(path, self.headers.get("Authorization", ""))
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, payload, _ = api._list(
                    path, self.headers.get("Authorization", ""), parse_qs(raw))
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = parse_qs(raw, keep_blank_values=True)
                status, payload, headers = api._answer(
                    self.path, self.headers.get("Authorization", ""), form)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


class FakeFileHost:
    """A plain file server on 127.0.0.1: Twilio's media CDN, or a host that is not Twilio's.
    Serves added bytes by path and records the headers of every request it gets."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[dict[str, str]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requests.append({k.lower(): v for k, v in self.headers.items()})
                found = host.files.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, data: bytes, content_type: str) -> str:
        """Serve ``data``; its (unguessable, signed-looking) URL."""
        path = f"/media/{uuid.uuid4().hex}?Expires=1&Signature={uuid.uuid4().hex}"
        self.files[path] = (data, content_type)
        return f"{self.base_url}{path}"

    def __enter__(self) -> FakeFileHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _error(status: int, code: int | None, message: str,
           headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    payload: dict[str, Any] = {"status": status, "message": message}
    if code is not None:
        payload["code"] = code
        payload["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
    return status, payload, dict(headers or {})


class TwilioWebhooks:
    """Posts webhooks to a Flask test client the way Twilio does."""

    def __init__(self, client: Any, auth_token: str, public_base_url: str,
                 business: str = SENDER) -> None:
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.base = public_base_url.rstrip("/")
        self.business = business

    def post(self, path: str, fields: Mapping[str, str | list[str]], *,
             signed_url: str | None = None, signature: str | None = None,
             headers: Mapping[str, str] | None = None) -> Any:
        """POST ``fields`` to ``path``; signed for the public URL unless told otherwise."""
        url = signed_url or f"{self.base}{path}"
        if signature is None:
            signature = self.validator.compute_signature(url, dict(fields))
        all_headers = {"X-Twilio-Signature": signature, **(headers or {})} if signature \
            else dict(headers or {})
        return self.client.post(path, data=dict(fields), headers=all_headers)

    def message_fields(self, sender: str, body: str = "", *, sid: str | None = None,
                       profile_name: str = "Anna", media: list[str] | None = None,
                       button: tuple[str, str] | None = None,
                       media_types: list[str] | None = None) -> dict[str, str]:
        """The form of one incoming WhatsApp message, with the fields Twilio sends."""
        sid = sid or new_sid("SM" if not media else "MM")
        fields = {
            "SmsMessageSid": sid, "SmsSid": sid, "MessageSid": sid,
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01",
            "From": f"whatsapp:{sender}", "To": self.business, "WaId": sender.lstrip("+"),
            "ProfileName": profile_name, "Body": body, "NumMedia": str(len(media or [])),
            "NumSegments": "1", "ReferralNumMedia": "0", "SmsStatus": "received",
            "MessageType": "text",
        }
        for n, url in enumerate(media or []):
            fields[f"MediaUrl{n}"] = url
            declared = (media_types or [])[n] if n < len(media_types or []) else "image/jpeg"
            fields[f"MediaContentType{n}"] = declared
            fields["MessageType"] = {"audio": "audio", "video": "video", "image": "image"}.get(
                declared.partition("/")[0], "document")
        if button is not None:
            fields["ButtonText"], fields["ButtonPayload"] = button
            fields["MessageType"] = "button"
            fields["OriginalRepliedMessageSid"] = new_sid()
        return fields

    def message(self, sender: str, body: str = "", **options: Any) -> Any:
        """Deliver one incoming WhatsApp message, signed."""
        return self.post("/webhooks/whatsapp", self.message_fields(sender, body, **options))


def twiml_bodies(xml: str | bytes) -> list[str]:
    """The text of each ``<Message>`` of a TwiML response."""
    root = ElementTree.fromstring(xml)
    assert root.tag == "Response"
    return ["".join(m.itertext()) if m.find("Media") is None else (m.text or "")
            for m in root.iter("Message")]


def twiml_media(xml: str | bytes) -> list[str]:
    """Every ``<Media>`` URL of a TwiML response."""
    return [m.text or "" for m in ElementTree.fromstring(xml).iter("Media")]

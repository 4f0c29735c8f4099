"""The web chat's HTTP side: the widget's files, the demo page ``/chat`` and the API.

``POST /webchat/api/messages`` takes ``{"id", "text"}`` or ``{"id", "choice": {"id",
"token"}, "label"}``; the client's ``id`` (namespaced by the session) is the platform
message id, so the same message sent twice (a retry, a second tab) is handled once.
``GET /webchat/api/session`` gives the history and the widget's words, ``…/events`` streams
new messages (SSE), ``…/poll`` is the long-poll fallback, ``…/read`` marks them read and
``…/link`` gives a code to continue on WhatsApp or Telegram.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, jsonify, request, stream_with_context

from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.messages import Inbound
from channels import json_body
from channels.webchat import CHANNEL, linking, store
from channels.webchat import erase as _erase  # noqa: F401  ("delete my data" erases the chat's copy too)
from channels.webchat.guard import Origins, RateLimits
from channels.webchat.locale import direction, language_of, say, words
from channels.webchat.models import IN, OUT
from channels.webchat.render import publisher, render
from channels.webchat.sessions import Cookies, Visitor, find_visitor, new_session_id, open_visitor
from channels.webchat.stream import Notifier, sse, wait_for
from plumbing.metrics import rejected
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
API = "/webchat/api"
#: The dashboard's policy (``dashboard.web.SECURITY_HEADERS``), for the demo page.
DEMO_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_TOKEN = re.compile(r"^[0-9a-f]{0,16}$")
_LABEL_MAX = 200
_BODY_MAX = 32 * 1024
#: The page sends flat objects; anything nested deeper is not from it.
_MAX_DEPTH = 8


class WebChat:
    """The endpoints, sharing the flow, the cookies, the limits and the notifier."""

    def __init__(self, runtime: Runtime, bot: Bot, *, notifier: Notifier | None = None) -> None:
        self.runtime = runtime
        self.bot = bot
        self.settings = runtime.settings
        self.cookies = Cookies(runtime)
        self.origins = Origins(runtime.settings)
        self.limits = RateLimits(runtime.settings)
        self.notifier = notifier or Notifier()
        self.publish = publisher(runtime)

    def blueprint(self) -> Blueprint:
        """The routes, ready to register."""
        bp = Blueprint("webchat", __name__)
        bp.add_url_rule("/chat", "demo", self.demo)
        bp.add_url_rule("/webchat/widget.js", "script", self.asset("widget.js"))
        bp.add_url_rule("/webchat/widget.css", "style", self.asset("widget.css"))
        bp.add_url_rule("/webchat/demo.css", "demo_style", self.asset("demo.css"))
        bp.add_url_rule(f"{API}/session", "session", self.session)
        bp.add_url_rule(f"{API}/messages", "send", self.send, methods=["POST", "OPTIONS"])
        bp.add_url_rule(f"{API}/events", "events", self.events)
        bp.add_url_rule(f"{API}/poll", "poll", self.poll)
        bp.add_url_rule(f"{API}/read", "read", self.read, methods=["POST", "OPTIONS"])
        bp.add_url_rule(f"{API}/link", "link", self.link, methods=["POST", "OPTIONS"])
        bp.before_request(self._before)
        bp.after_request(self._after)
        return bp

    # -- every request ----------------------------------------------------------------------

    def _before(self) -> Response | None:
        if not request.path.startswith(API):
            return None
        if self.origins.refused(request):
            rejected(CHANNEL, "origin")
            return Response("forbidden\n", status=403, mimetype="text/plain")
        if request.method == "OPTIONS":
            return Response(status=204)
        if request.method == "GET" and not self.limits.allow_read(self._address()):
            return self._refuse(429, "too_fast", None)
        return None

    def _after(self, response: Response) -> Response:
        if request.path.startswith(API):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            return self.origins.decorate(request, response)
        return response

    def _address(self) -> str:
        return request.remote_addr or "unknown"

    def _language(self) -> str:
        """The page's language (``data-lang``), until the conversation has its own."""
        hint = request.args.get("lang")
        data = _body() if request.method == "POST" else None
        if hint is None and isinstance(data, dict) and isinstance(data.get("lang"), str):
            hint = data["lang"]
        return language_of(hint, self.settings.default_language)

    def _refuse(self, status: int, word: str, language: str | None, **values: Any) -> Response:
        rejected(CHANNEL, {429: "rate_limited"}.get(status, "too_long" if word == "too_long"
                                                    else "malformed"))
        response = jsonify(error=word, text=say(language or self._language(), word, **values))
        response.status_code = status
        if status == 429:
            response.headers["Retry-After"] = str(self.limits.retry_after())
        return response

    def _visitor(self) -> tuple[str | None, Visitor | None]:
        session_id = self.cookies.read(request)
        if session_id is None:
            return None, None
        with self.runtime.db.transaction() as db:
            return session_id, find_visitor(db, self.runtime.cipher, session_id)

    def _state(self, visitor: Visitor, language: str) -> dict[str, Any]:
        """The conversation's language (the flow may have changed it) and its words."""
        with self.runtime.db.transaction() as db:
            found = find_conversation(db, self.runtime.cipher, visitor.channel, visitor.user_id)
            spoken = found.language if found is not None else None
        language = language_of(spoken or language, self.settings.default_language)
        return {"language": language, "dir": direction(language)}

    # -- pages and files --------------------------------------------------------------------

    def demo(self) -> Response:
        """A page showing the widget as the firm's site would embed it."""
        language = self._language()
        html = (STATIC / "demo.html").read_text(encoding="utf-8")
        html = html.replace("{{lang}}", language)  # the widget's; the page is in English
        html = html.replace("{{company}}", _escape(self.settings.company_name))
        response = Response(html, mimetype="text/html")
        response.headers.update(DEMO_HEADERS)
        return response

    def asset(self, name: str):  # type: ignore[no-untyped-def]
        """A view serving one of the widget's two files."""
        body = (STATIC / name).read_bytes()
        mimetype = "text/javascript" if name.endswith(".js") else "text/css"

        def serve() -> Response:
            response = Response(body, mimetype=mimetype)
            response.headers["Cache-Control"] = "public, max-age=3600"
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response

        serve.__name__ = f"asset_{name.replace('.', '_')}"
        return serve

    # -- the API ----------------------------------------------------------------------------

    def session(self) -> Response:
        """History (newest 200), unread count, the widget's words and what linking offers."""
        language = self._language()
        _session_id, visitor = self._visitor()
        body: dict[str, Any] = {"language": language, "dir": direction(language),
                                "messages": [], "unread": 0, "links": self._links(),
                                "max_chars": self.settings.webchat_max_message_chars}
        if visitor is not None and visitor.channel != CHANNEL:
            body["links"] = []  # already one conversation with WhatsApp or Telegram
        if visitor is not None:
            with self.runtime.db.transaction() as db:
                body["messages"] = store.after(db, self.runtime.cipher, visitor.id)
                body["unread"] = store.unread_count(db, visitor.id)
            body.update(self._state(visitor, language))
        body["strings"] = words(body["language"])
        return jsonify(body)

    def _links(self) -> list[str]:
        offered = []
        if self.settings.whatsapp_enabled:
            offered.append("whatsapp")
        if self.settings.telegram_enabled and self.settings.webchat_telegram_username:
            offered.append("telegram")
        return offered

    def send(self) -> Response:
        """One message from the page, handled exactly once by the flow."""
        language = self._language()
        data = _body()
        parsed = _parse_message(data, self.settings.webchat_max_message_chars)
        if isinstance(parsed, str):
            log.info("webchat: message refused (%s)", parsed)
            limit = self.settings.webchat_max_message_chars
            return self._refuse(400, "too_long" if parsed == "too long" else "failed",
                                language, limit=limit)
        client_id, text, choice_id, token, label = parsed
        session_id = self.cookies.read(request) or new_session_id()
        if not self.limits.allow_send(self._address(), session_id):
            return self._refuse(429, "too_fast", language)
        with self.runtime.db.transaction() as db:
            visitor = open_visitor(db, self.runtime.cipher, session_id, self.runtime.clock())
        message_id = f"{visitor.digest[:16]}:{client_id}"
        keys = self._handle(visitor, message_id, text, choice_id, token, label, language)
        with self.runtime.db.transaction() as db:
            messages = store.by_keys(db, self.runtime.cipher, keys)
        self.notifier.notify(visitor.id)
        # The visitor may have just become someone else (a code): read them again.
        with self.runtime.db.transaction() as db:
            visitor = find_visitor(db, self.runtime.cipher, session_id) or visitor
        state = self._state(visitor, language)
        response = jsonify(messages=messages, strings=words(state["language"]), **state)
        self.cookies.write(response, session_id, secure=request.is_secure)
        return response

    def _handle(self, visitor: Visitor, message_id: str, text: str | None,
                choice_id: str | None, token: str | None, label: str | None,
                language: str) -> list[str]:
        """Hand the message to a code or the flow; store what the page shows; its keys."""
        digits = linking.code_digits(text)
        if digits is not None:
            replies = self._use_code(visitor, digits, message_id, language)
            if replies is not None:
                return self._store(visitor, message_id, text, replies)
        inbound = Inbound(channel=visitor.channel, user_id=visitor.user_id,
                          message_id=f"{linking.WEB_PREFIX}{message_id}", text=text,
                          choice_id=choice_id, choice_token=token, language_hint=language)
        handled = self.bot.receive(inbound)
        log.info("webchat message %s: %d repl%s%s", message_id.split(":", 1)[1],
                 len(handled.replies), "y" if len(handled.replies) == 1 else "ies",
                 " (again)" if handled.repeated else "")
        shown = text if text is not None and text.strip() != "/start" else None
        return self._store(visitor, message_id, shown if choice_id is None else label,
                           render(handled.replies, self.publish))

    def _use_code(self, visitor: Visitor, digits: str, message_id: str,
                  language: str) -> list[dict[str, Any]] | None:
        runtime = self.runtime
        with runtime.db.transaction() as db:
            used = linking.redeem(db, runtime, digits, to_web=True,
                                  used_key=f"{CHANNEL}:{message_id}")
            if used is None:
                return None
            if used.linked is None:
                return [{"kind": "text", "text": say(language, "code_invalid")}]
            if not used.repeated:
                channel, user_id = linking.code_owner(db, runtime, digits)
                linking.join_web_to(db, runtime.cipher, visitor, channel, user_id)
                log.info("webchat: a visitor continues their %s conversation", channel)
        name = linking.CHANNEL_NAMES.get(used.linked, used.linked)
        return [{"kind": "text", "text": say(language, "linked", channel=name)}]

    def _store(self, visitor: Visitor, message_id: str, shown: str | None,
               rendered: list[dict[str, Any]]) -> list[str]:
        keys = []
        with self.runtime.db.transaction() as db:
            if shown:
                keys.append(f"{message_id}:in")
                store.add(db, self.runtime.cipher, session_id=visitor.id, key=keys[-1],
                          direction=IN, payload={"kind": "text", "text": shown},
                          now=self.runtime.clock())
            for n, message in enumerate(rendered):
                keys.append(f"{message_id}:out:{n}")
                store.add(db, self.runtime.cipher, session_id=visitor.id, key=keys[-1],
                          direction=OUT, payload=message, now=self.runtime.clock())
        return keys

    def events(self) -> Response:
        """Server-Sent Events: the messages after ``Last-Event-ID`` (or ``after``)."""
        _session_id, visitor = self._visitor()
        if visitor is None:
            return Response(status=204)  # EventSource stops: no session yet
        last_id = _int(request.headers.get("Last-Event-ID") or request.args.get("after"))
        body = sse(self._fetcher(visitor), self.notifier, visitor.id, last_id,
                   seconds=self.settings.webchat_stream_seconds)
        response = Response(stream_with_context(body), mimetype="text/event-stream")
        response.headers["X-Accel-Buffering"] = "no"
        return response

    def poll(self) -> Response:
        """Long poll: the messages after ``after`` as soon as there are any (or none)."""
        _session_id, visitor = self._visitor()
        if visitor is None:
            return jsonify(messages=[])
        batches = wait_for(self._fetcher(visitor), self.notifier, visitor.id,
                           _int(request.args.get("after")),
                           seconds=self.settings.webchat_stream_seconds)
        return jsonify(messages=next(batches, []))

    def _fetcher(self, visitor: Visitor):  # type: ignore[no-untyped-def]
        def fetch(last_id: int) -> list[dict[str, Any]]:
            with self.runtime.db.transaction() as db:
                return store.after(db, self.runtime.cipher, visitor.id, last_id)
        return fetch

    def read(self) -> Response:
        """The page has shown the messages up to ``up_to``."""
        _session_id, visitor = self._visitor()
        data = _body()
        up_to = _int(data.get("up_to")) if isinstance(data, dict) else 0
        if visitor is None or not up_to:
            return jsonify(read=0)
        with self.runtime.db.transaction() as db:
            count = store.mark_read(db, visitor.id, up_to, self.runtime.clock())
        return jsonify(read=count)

    def link(self) -> Response:
        """A code to continue this conversation on WhatsApp or Telegram, shown in the chat."""
        language = self._language()
        data = _body()
        target = data.get("to") if isinstance(data, dict) else None
        client_id = data.get("id") if isinstance(data, dict) else None
        if target not in self._links() or not isinstance(client_id, str) or \
                not _CLIENT_ID.match(client_id):
            return self._refuse(400, "failed", language)
        session_id, visitor = self._visitor()
        if session_id is None or visitor is None or visitor.channel != CHANNEL:
            return self._refuse(400, "failed", language)
        if not self.limits.allow_send(self._address(), session_id):
            return self._refuse(429, "too_fast", language)
        message_id = f"{visitor.digest[:16]}:{client_id}"
        with self.runtime.db.transaction() as db:
            digits = linking.issue(db, self.runtime, request_key=f"{CHANNEL}:{message_id}",
                                   to_web=False, channel=visitor.channel,
                                   user_id=visitor.user_id)
        name = linking.CHANNEL_NAMES[target]
        url = self._deep_link(target, digits)
        text = say(language, "link_code", channel=name, code=linking.shown(digits),
                   minutes=self.settings.webchat_code_minutes)
        message: dict[str, Any] = {"kind": "text", "text": text}
        if url:
            message = {"kind": "link", "text": text, "url": url,
                       "label": say(language, "link_open", channel=name)}
        keys = self._store(visitor, message_id, None, [message])
        with self.runtime.db.transaction() as db:
            messages = store.by_keys(db, self.runtime.cipher, keys)
        self.notifier.notify(visitor.id)
        return jsonify(messages=messages)

    def _deep_link(self, target: str, digits: str) -> str | None:
        if target == "whatsapp":
            number = (self.settings.twilio_whatsapp_from or "").removeprefix("whatsapp:")
            return f"https://wa.me/{number.lstrip('+')}?text={quote(linking.shown(digits))}"
        # No ?start= payload: the Telegram channel hands the flow a bare /start.
        name = self.settings.webchat_telegram_username or ""
        return f"https://t.me/{quote(name.lstrip('@'))}"


def _parse_message(data: Any, max_chars: int) -> tuple[str, str | None, str | None,
                                                      str | None, str | None] | str:
    """``(client id, text, choice id, token, label)``, or what is wrong (for the log)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    client_id = data.get("id")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        return "bad id"
    choice = data.get("choice")
    if choice is not None:
        if not isinstance(choice, dict) or not isinstance(choice.get("id"), str) or \
                not 0 < len(choice["id"]) <= 64:
            return "bad choice"
        token = choice.get("token")
        if not isinstance(token, str) or not _TOKEN.match(token):
            return "bad token"
        label = data.get("label")
        label = label[:_LABEL_MAX] if isinstance(label, str) else choice["id"]
        return client_id, None, choice["id"], token or None, label
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return "no text"
    if len(text) > max_chars:
        return "too long"
    return client_id, text, None, None, None


def _body() -> Any:
    """The request's JSON, or None: not sent as JSON (a cross-site form cannot send that
    without asking first), too large, too deeply nested, or not JSON."""
    if not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if len(raw) > _BODY_MAX:
        return None
    try:
        return json_body.loads(raw, max_depth=_MAX_DEPTH)
    except ValueError:  # also UnicodeDecodeError
        return None


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def attach(app: Flask, runtime: Runtime, bot: Bot) -> None:
    """Serve the widget, the demo page ``/chat`` and the API; always on."""
    chat = WebChat(runtime, bot)
    app.extensions["consultbot.webchat"] = chat
    app.register_blueprint(chat.blueprint())
    origins = ", ".join(sorted(runtime.settings.webchat_origins)) or "this site only"
    app.config["AREAS"]["webchat"] = f"on: demo /chat, widget /webchat/widget.js; " \
                                     f"embeddable by {origins}"

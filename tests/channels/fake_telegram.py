"""A local stand-in for Telegram's Bot API: the far side of the network, nothing else.

:class:`FakeBotApi` keeps what the Bot API keeps (pending updates and their offsets, sent
messages and their keyboards, answered callback queries, commands, the webhook) and answers
as the Bot API does, errors included. It is reached either in-process through
:class:`FakeRequest` (python-telegram-bot's request interface, no sockets at all) or over HTTP
through :class:`FakeTelegramServer` on 127.0.0.1, as ``TELEGRAM_API_BASE_URL``.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from telegram.request import BaseRequest, RequestData

TOKEN = "123456:TEST-token-for-the-fake-api"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Consult", "username": "consult_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}

_JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
_BOOL_FIELDS = {"drop_pending_updates", "show_alert", "disable_notification"}


@dataclass
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class Failure:
    """An error the next call of a method gets."""

    status: int
    description: str
    retry_after: int | None = None


def decode_fields(fields: dict[str, str]) -> dict[str, Any]:
    """Form fields as python-telegram-bot sends them (JSON for non-strings) as values."""
    params: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _JSON_FIELDS or name in _BOOL_FIELDS:
            params[name] = json.loads(value)
        elif name in _INT_FIELDS and value.lstrip("-").isdigit():
            params[name] = int(value)
        else:
            params[name] = value
    return params


class FakeBotApi:
    """The Bot API's state and answers for one bot."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.blocked_chats: set[int] = set()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._answered: set[str] = set()
        self._failures: dict[str, list[Failure]] = {}
        self._changed = threading.Condition()
        self.closed = False
        #: Files people sent: file_id -> (file_path, bytes); served at /file/bot<token>/<path>.
        self.files: dict[str, tuple[str, bytes]] = {}
        self.file_downloads = 0

    # -- what tests do ---------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Make an update available to ``getUpdates`` (an ``update_id`` is added if missing)."""
        with self._changed:
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Offer an already confirmed update again, as after a crash before confirmation."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def fail_next(self, method: str, status: int, description: str,
                  retry_after: int | None = None) -> None:
        """The next call of ``method`` fails with this error."""
        with self._changed:
            self._failures.setdefault(method, []).append(Failure(status, description, retry_after))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate()`` (checked after every call) holds."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def calls_to(self, method: str) -> list[Call]:
        """Every call of ``method`` so far."""
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (texts and documents), oldest first."""
        with self._changed:
            return [m for (chat, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
                    if chat_id is None or chat == chat_id]

    def add_file(self, data: bytes, extension: str = "bin") -> str:
        """A file a person sent: its ``file_id``."""
        with self._changed:
            file_id = f"F{len(self.files) + 1:04d}-{len(data)}"
            self.files[file_id] = (f"documents/file_{len(self.files)}.{extension}", data)
        return file_id

    def file_at(self, path: str) -> bytes | None:
        """The bytes at a file path ``getFile`` gave."""
        with self._changed:
            self.file_downloads += 1
            return next((data for p, data in self.files.values() if p == path), None)

    def close(self) -> None:
        """Release every waiting long poll."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    # -- the Bot API -----------------------------------------------------------------------

    def call(self, token: str, method: str, params: dict[str, Any],
             files: dict[str, tuple[str, bytes]] | None = None, *,
             may_wait: bool = True) -> tuple[int, dict[str, Any]]:
        """Answer one request: an HTTP status and the Bot API's JSON envelope."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        call, waits = Call(method, params, dict(files or {})), method == "getUpdates" and may_wait
        if waits:  # a long poll is noted when it arrives, as Telegram sees it, not when it ends
            with self._changed:
                self.calls.append(call)
                self._changed.notify_all()
            self._wait_for_updates(params)
        with self._changed:
            if not waits:
                self.calls.append(call)
            try:
                failures = self._failures.get(method)
                if failures:
                    return self._error(failures.pop(0))
                handler = getattr(self, f"_{method}", None)
                if handler is None:
                    return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
                return handler(params, files or {})
            finally:
                self._changed.notify_all()

    def _wait_for_updates(self, params: dict[str, Any]) -> None:
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 5.0)
        offset = int(params.get("offset", 0))
        with self._changed:
            while not self.closed and not any(u["update_id"] >= offset for u in self._updates):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._changed.wait(remaining)

    @staticmethod
    def _error(failure: Failure) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"ok": False, "error_code": failure.status,
                                "description": failure.description}
        if failure.retry_after is not None:
            body["parameters"] = {"retry_after": failure.retry_after}
        return failure.status, body

    @staticmethod
    def _ok(result: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": result}

    def _getMe(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        return self._ok(BOT_USER)

    def _getUpdates(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        if self.webhook is not None:
            return self._error(Failure(409, "Conflict: can't use getUpdates method while "
                                            "webhook is active; use deleteWebhook to delete "
                                            "the webhook first"))
        offset = int(params.get("offset", 0))
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit", 100))
        return self._ok(sorted(self._updates, key=lambda u: u["update_id"])[:limit])

    def _new_message(self, chat_id: int, content: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER, **content}
        self.messages[(chat_id, message_id)] = message
        return message

    def _refuse_blocked(self, chat_id: int) -> tuple[int, dict[str, Any]] | None:
        if chat_id in self.blocked_chats:
            return self._error(Failure(403, "Forbidden: bot was blocked by the user"))
        return None

    def _sendMessage(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        chat_id, text = params["chat_id"], params.get("text", "")
        refused = self._refuse_blocked(chat_id)
        if refused:
            return refused
        if not text.strip():
            return self._error(Failure(400, "Bad Request: message text is empty"))
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._error(Failure(400, "Bad Request: message is too long"))
        markup = params.get("reply_markup")
        if markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if len(button["callback_data"].encode()) > 64:
                        return self._error(Failure(400, "Bad Request: BUTTON_DATA_INVALID"))
        content: dict[str, Any] = {"text": text}
        if markup:
            content["reply_markup"] = markup
        return self._ok(self._new_message(chat_id, content))

    def _sendDocument(self, params: dict[str, Any],
                      files: dict[str, tuple[str, bytes]]) -> tuple[int, dict[str, Any]]:
        chat_id = params["chat_id"]
        refused = self._refuse_blocked(chat_id)
        if refused:
            return refused
        source = params.get("document", "")
        if "document" in files:  # uploaded in the request itself
            filename, data = files["document"]
        elif source.startswith("attach://"):
            filename, data = files[source.removeprefix("attach://")]
        elif source.startswith(("http://", "https://")):  # a URL Telegram would fetch
            filename, data = source.rsplit("/", 1)[-1], b""
        else:
            return self._error(Failure(400, "Bad Request: there is no document in the request"))
        content: dict[str, Any] = {"document": {"file_id": f"doc{len(self.messages)}",
                                                "file_unique_id": f"u{len(self.messages)}",
                                                "file_name": filename, "file_size": len(data)}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._ok(self._new_message(chat_id, content))

    def _editMessageReplyMarkup(self, params: dict[str, Any],
                                files: Any) -> tuple[int, dict[str, Any]]:
        message = self.messages.get((params.get("chat_id", 0), params.get("message_id", 0)))
        if message is None:
            return self._error(Failure(400, "Bad Request: message to edit not found"))
        markup = params.get("reply_markup")
        if markup == message.get("reply_markup") or (not markup and "reply_markup" not in message):
            return self._error(Failure(400, "Bad Request: message is not modified"))
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return self._ok(message)

    def _answerCallbackQuery(self, params: dict[str, Any],
                             files: Any) -> tuple[int, dict[str, Any]]:
        query_id = params["callback_query_id"]
        if query_id in self._answered:
            return self._error(Failure(400, "Bad Request: query is too old and response "
                                            "timeout expired or query ID is invalid"))
        self._answered.add(query_id)
        return self._ok(True)

    def _getFile(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        found = self.files.get(str(params.get("file_id", "")))
        if found is None:
            return self._error(Failure(400, "Bad Request: invalid file_id"))
        path, data = found
        if len(data) > 20 * 1024 * 1024:
            return self._error(Failure(400, "Bad Request: file is too big"))
        return self._ok({"file_id": params["file_id"], "file_unique_id": params["file_id"],
                         "file_size": len(data), "file_path": path})

    def _setMyCommands(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        self.commands[params.get("language_code", "")] = params["commands"]
        return self._ok(True)

    def _setWebhook(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        self.webhook = params
        return self._ok(True)

    def _deleteWebhook(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return self._ok(True)


def _split_url(url: str) -> tuple[str, str]:
    """``(token, method)`` of ``…/bot<token>/<method>``."""
    path = urlsplit(url).path
    head, _, method = path.rpartition("/")
    return head.rpartition("/bot")[2], method


class FakeRequest(BaseRequest):
    """python-telegram-bot's request interface answered by a :class:`FakeBotApi` in-process."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None,
                         ) -> tuple[int, bytes]:
        token, api_method = _split_url(url)
        fields = request_data.json_parameters if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                filename, content = value[0], value[1]
                data = content if isinstance(content, bytes) else content.read()
                files[name] = (filename or name, data)
        status, body = self.api.call(token, api_method, decode_fields(fields), files,
                                     may_wait=False)
        return status, json.dumps(body).encode()


class FakeTelegramServer:
    """The fake Bot API over HTTP on 127.0.0.1; use ``base_url`` as TELEGRAM_API_BASE_URL."""

    def __init__(self, api: FakeBotApi | None = None) -> None:
        self.api = api or FakeBotApi()
        api_ref = self.api

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                prefix = f"/file/bot{api_ref.token}/"
                if not self.path.startswith(prefix):
                    self.do_POST()
                    return
                data = api_ref.file_at(self.path.removeprefix(prefix))
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                fields, files = _parse_body(self.headers.get("Content-Type", ""), body)
                token, method = _split_url(self.path)
                status, answer = api_ref.call(token, method, decode_fields(fields), files)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                # The client may have hung up (a long poll cut short when the bot stopped).
                with contextlib.suppress(ConnectionError):
                    self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(  # a short poll: shutdown() returns at once
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def __enter__(self) -> FakeTelegramServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.api.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, str],
                                                          dict[str, tuple[str, bytes]]]:
    """Form fields and uploaded files of a url-encoded, multipart or JSON request."""
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if part.get_filename():
                files[str(name)] = (part.get_filename() or str(name), data)
            else:
                fields[str(name)] = data.decode()
        return fields, files
    if content_type.startswith("application/json"):
        decoded = json.loads(body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in decoded.items()}, {}
    return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}, {}


class TelegramUser:
    """A person in a private chat: builds the updates Telegram would send for what they do."""

    def __init__(self, api: FakeBotApi, chat_id: int, first_name: str = "Amina",
                 language_code: str | None = "en") -> None:
        self.api = api
        self.chat_id = chat_id
        self.user = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def _update_id(self) -> int:
        with self.api._changed:
            return next(self.api._update_ids)

    def message(self, text: str, **extra: Any) -> dict[str, Any]:
        """The update for a typed message (slash commands carry a ``bot_command`` entity)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]},
            "from": self.user, "text": text, **extra}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return {"update_id": self._update_id(), "message": message}

    def file_message(self, kind: str, file_id: str, size: int, *, caption: str | None = None,
                     file_name: str | None = None, mime_type: str | None = None,
                     duration: int | None = None) -> dict[str, Any]:
        """The update for a sent file: ``kind`` is document, photo, voice, audio or video."""
        item: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                                "file_size": size}
        if kind == "photo":
            small = {**item, "file_id": f"{file_id}-small", "width": 90, "height": 60}
            content: Any = [small, {**item, "width": 1280, "height": 853}]
        else:
            item.update({k: v for k, v in (("file_name", file_name), ("mime_type", mime_type),
                                           ("duration", duration)) if v is not None})
            if kind in ("voice", "audio", "video"):
                item.setdefault("duration", 1)
            if kind == "video":
                item.update(width=640, height=360)
            content = item
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]},
            "from": self.user, kind: content}
        if caption:
            message["caption"] = caption
        return {"update_id": self._update_id(), "message": message}

    def keyboards(self) -> list[dict[str, Any]]:
        """The bot's messages in this chat that still show buttons, oldest first."""
        return [m for m in self.api.sent(self.chat_id) if m.get("reply_markup")]

    def buttons(self, message: dict[str, Any] | None = None) -> list[str]:
        """Labels of the buttons on ``message`` (default: the newest keyboard)."""
        message = message or self.keyboards()[-1]
        return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]

    def press(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """The update for pressing the button ``label`` (default: on the newest keyboard)."""
        if message is None:
            keyboards = self.keyboards()
            if not keyboards:
                raise AssertionError(f"no keyboard to press {label!r} on")
            message = keyboards[-1]
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if button["text"] == label:
                    return self.press_data(button["callback_data"], message)
        raise AssertionError(f"no button {label!r}; buttons: {self.buttons(message)}")

    def press_data(self, data: str, message: dict[str, Any]) -> dict[str, Any]:
        """The update for a button with ``data`` on ``message`` (even if no longer shown)."""
        return {"update_id": self._update_id(), "callback_query": {
            "id": f"{self.chat_id}-{next(self._query_ids)}", "from": self.user,
            "chat_instance": f"ci{self.chat_id}", "data": data, "message": dict(message)}}

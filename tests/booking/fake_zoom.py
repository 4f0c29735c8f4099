"""Zoom's far side with state, on respx: meetings are kept, listed, read and deleted; in
this process (respx patches httpx) or over HTTP for other processes (:class:`FakeZoomServer`).

:meth:`FakeZoom.answer_late` makes the next create *act* (the meeting is made and kept)
and then not answer in time: the client sees ``httpx.ReadTimeout``, as after its own
timeout, without any real waiting.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from respx.models import AllMockedAssertionError

from tests.fixtures import ZOOM_API, ZOOM_OAUTH


class FakeZoom:
    """The meetings of one Zoom user, behind the routes of ``router``."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.meetings: dict[str, dict[str, object]] = {}
        self.deleted: list[str] = []
        self._ids = itertools.count(9001)
        self._late = 0
        router.post(f"{ZOOM_API}/users/me/meetings").mock(side_effect=self._create)
        router["list"].mock(side_effect=self._list)  # the route the fixture made
        one = re.compile(rf"^{re.escape(ZOOM_API)}/meetings/(?P<id>\d+)$")
        router.get(url__regex=one.pattern).mock(side_effect=self._get)
        router.delete(url__regex=one.pattern).mock(side_effect=self._delete)

    def answer_late(self, times: int = 1) -> None:
        """The next ``times`` creates succeed at Zoom but time out at the client."""
        self._late += times

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        meeting_id = str(next(self._ids))
        self.meetings[meeting_id] = {
            "id": int(meeting_id), "topic": body["topic"], "agenda": body.get("agenda", ""),
            "start_time": body["start_time"], "duration": body["duration"],
            "join_url": f"https://zoom.test/j/{meeting_id}?pwd=p",
            "start_url": f"https://zoom.test/s/{meeting_id}?zak=host", "password": "pw"}
        if self._late:
            self._late -= 1
            raise httpx.ReadTimeout("the answer came after the client's timeout",
                                    request=request)
        return httpx.Response(201, json=self.meetings[meeting_id])

    def _list(self, request: httpx.Request) -> httpx.Response:
        listed = [{k: m[k] for k in ("id", "topic", "agenda", "start_time", "duration",
                                      "join_url")} for m in self.meetings.values()]
        return httpx.Response(200, json={"meetings": listed, "next_page_token": "",
                                         "total_records": len(listed)})

    def _get(self, request: httpx.Request, id: str) -> httpx.Response:
        meeting = self.meetings.get(id)
        if meeting is None:
            return httpx.Response(404, json={"code": 3001, "message": "Meeting not found"})
        return httpx.Response(200, json=meeting)

    def _delete(self, request: httpx.Request, id: str) -> httpx.Response:
        if self.meetings.pop(id, None) is None:
            return httpx.Response(404, json={"code": 3001, "message": "Meeting not found"})
        self.deleted.append(id)
        return httpx.Response(204)


class FakeZoomServer:
    """:class:`FakeZoom` over HTTP on 127.0.0.1, for consultbot running in other processes:
    each request is answered by the same routes (a respx router used only as a router,
    nothing patched). ``api_base_url`` and ``oauth_url`` are what ZOOM_API_BASE_URL and
    ZOOM_OAUTH_URL should be."""

    def __init__(self) -> None:
        self.router = respx.MockRouter(assert_all_called=False)
        self.router.post(ZOOM_OAUTH).mock(return_value=httpx.Response(
            200, json={"access_token": "tok", "expires_in": 3600}))
        self.router.get(f"{ZOOM_API}/users/me/meetings", name="list")
        self.zoom = FakeZoom(self.router)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base_url(self) -> str:
        return self.origin + urlsplit(ZOOM_API).path

    @property
    def oauth_url(self) -> str:
        return self.origin + urlsplit(ZOOM_OAUTH).path

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes
               ) -> httpx.Response:
        """The answer of the routes to a request for ``path`` (on Zoom's test address)."""
        zoom = urlsplit(ZOOM_API)
        request = httpx.Request(method, f"{zoom.scheme}://{zoom.netloc}{path}",
                                headers=headers, content=body)
        with self._lock:  # FakeZoom keeps plain dicts
            try:
                return self.router.handler(request)
            except AllMockedAssertionError:
                return httpx.Response(404, json={"code": 404, "message": "no such route"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                answer = server.answer(self.command, self.path, dict(self.headers),
                                       self.rfile.read(length))
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get(
                    "Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = do_PATCH = _any

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler

    def __enter__(self) -> FakeZoomServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

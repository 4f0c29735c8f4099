"""Far sides of the calendar tests: a real Radicale CalDAV server and a plain HTTP server
serving an iCalendar feed, both on free ports of 127.0.0.1, started and stopped here."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import caldav

USER, PASSWORD = "consultant", "app-password-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Radicale:
    """A Radicale process with its own storage folder and a plain htpasswd file."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        users = folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
             "--storage-filesystem-folder", str(folder / "storage"),
             "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
             "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
             "--logging-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.05)

    def new_calendar(self) -> caldav.Calendar:
        """A fresh, empty calendar of the test user."""
        client = caldav.DAVClient(url=f"{self.base}/{USER}/", username=USER,
                                  password=PASSWORD, enable_rfc6764=False)
        name = uuid.uuid4().hex[:10]
        return client.principal().make_calendar(name=name, cal_id=name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: FeedServer = self.server.feed  # type: ignore[attr-defined]
        server.requests += 1
        if self.path != server.path:
            self.send_error(404)
            return
        body = server.body.encode()
        self.send_response(server.status)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class FeedServer:
    """Serves ``body`` at a secret path; ``status`` and ``body`` can be changed by tests."""

    def __init__(self, body: str) -> None:
        self.body, self.status, self.requests = body, 200, 0
        self.path = f"/feeds/{uuid.uuid4().hex}/basic.ics"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
        self.httpd.feed = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{self.path}"


@contextmanager
def feed_server(body: str) -> Iterator[FeedServer]:
    """A FeedServer in a thread, shut down promptly afterwards."""
    server = FeedServer(body)
    thread = threading.Thread(target=server.httpd.serve_forever,
                              kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)

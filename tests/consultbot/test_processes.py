"""``consultbot serve --processes N``: N forked servers, one of them running the background
services; the group stops together."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consultbot.processes import fork_servers
from plumbing.crypto import new_key

pytestmark = pytest.mark.slow  # started first: see tests/conftest.py


def test_each_child_serves_and_exactly_one_is_first(tmp_path: Path) -> None:
    record = tmp_path / "children"

    def serve(first: bool) -> int:
        with record.open("a") as out:
            out.write(f"{os.getpid()} {first}\n")
        while len(record.read_text().splitlines()) < 3:  # all three are up (then one ends)
            time.sleep(0.005)
        return 0

    assert fork_servers(3, serve) == 0
    lines = [line.split() for line in record.read_text().splitlines()]
    assert len({pid for pid, _ in lines}) == 3 and str(os.getpid()) not in dict(lines)
    assert sorted(first for _, first in lines) == ["False", "False", "True"]


def test_one_child_ending_stops_the_others(tmp_path: Path) -> None:
    def serve(first: bool) -> int:
        if first:
            return 3
        signal.pause()  # serves until a signal ends it
        return 0

    assert fork_servers(3, serve) == 3  # returns only once all three have ended


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(database_url: str, port: int, processes: int, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_ENCRYPTION_KEY": new_key(),
           "FAQ_SEMANTIC": "false", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "consultbot.cli", "serve", "--port", str(port),
         "--processes", str(processes)], env=env, cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new SQLite file (the parent migrates it before forking), or the local PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'served.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_two_processes_share_the_port_and_stop_together(served_url: str,
                                                        tmp_path: Path) -> None:
    port = _port()
    server = _serve(served_url, port, 2, tmp_path)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # printed once the first child serves
        assert "listening" in first and "2 processes" in first
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) == 2
        for _ in range(10):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            assert connection.getresponse().status == 200
            connection.close()
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "listening" not in out  # the second process printed nothing of its own
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)

"""``consultbot`` started as real processes for tests: output read line by line, readiness
awaited on the line a process prints when it is ready (never a fixed sleep)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """One started command; its output (stdout and stderr) kept and searchable."""

    def __init__(self, argv: list[str], *, env: Mapping[str, str], cwd: Path) -> None:
        self.argv = argv
        self.popen = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def consultbot(cls, *args: str, env: Mapping[str, str], cwd: Path) -> Process:
        """``consultbot ARGS`` with this interpreter."""
        return cls([sys.executable, "-m", "consultbot.cli", *args],
                   env={**os.environ, **env}, cwd=cwd)

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)
        self._new.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 60.0) -> str:
        """The first output line containing ``text``; fails with the output if the process
        ends or ``timeout`` passes first."""
        for line in self.lines:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._new.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise AssertionError(f"{self.argv}: no {text!r} in {timeout} s:\n"
                                     f"{self.output}") from None
            if line is None:
                raise AssertionError(f"{self.argv} ended ({self.popen.wait()}) without "
                                     f"{text!r}:\n{self.output}")
            if text in line:
                return line.rstrip("\n")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a supervisor stops it; the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(timeout)

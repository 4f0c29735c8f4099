"""CPU of starting ``consultbot`` commands as processes, as the test suite starts them.

Run: .venv/bin/python bench/bench_command_cpu.py [--rounds 3] [--checkout DIR ...]

Each round runs, for each ``--checkout`` in turn (default: this one; its code first on
``PYTHONPATH``, this venv's Python), ``consultbot keygen`` to its end and ``consultbot serve
--role web`` on a new SQLite database with ``FAQ_SEMANTIC=false`` (as most of the suite's
processes) until its "listening on" line, then SIGTERM. It reports the user + system CPU of
each process (``RUSAGE_CHILDREN``), medians of the rounds. Compile each checkout's bytecode
first (``python -m compileall``) when the environment forbids writing it.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from plumbing.crypto import new_key

HERE = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start_cpu(checkout: Path, command: list[str]) -> float:
    """CPU seconds of one ``consultbot COMMAND`` (``serve`` until it listens)."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONPATH": str(checkout),
               "DATABASE_URL": f"sqlite:///{folder}/bench.db", "DATA_ENCRYPTION_KEY": new_key(),
               "FAQ_SEMANTIC": "false", "LOG_LEVEL": "WARNING"}
        before = child_cpu()
        process = subprocess.Popen([sys.executable, "-m", "consultbot.cli", *command], env=env,
                                   cwd=folder, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        if command[0] == "serve":
            for line in process.stdout:
                if "listening on" in line:
                    break
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        return child_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", type=Path, action="append")
    args = parser.parse_args()
    checkouts = args.checkout or [HERE]
    commands = {"keygen": ["keygen"],
                "serve --role web": ["serve", "--role", "web", "--port", "0"]}
    figures: dict[tuple[Path, str], list[float]] = {}
    for _ in range(args.rounds):
        for checkout in checkouts:
            for name, command in commands.items():
                if command[0] == "serve":
                    command = [*command[:-1], str(free_port())]
                figures.setdefault((checkout, name), []).append(start_cpu(checkout, command))
    for (checkout, name), seconds in figures.items():
        print(f"{checkout}  {name}: {statistics.median(seconds):.2f} s CPU "
              f"(rounds: {', '.join(f'{s:.2f}' for s in seconds)})")


if __name__ == "__main__":
    main()

"""Start-up time and memory of ``consultbot serve`` on the embedded SQLite default.

Run: .venv/bin/python bench/bench_startup.py [--messages 3000] [--rounds 3]
     [--checkout DIR ...] [--cold-vectors] [--migrated]

Each round starts ``consultbot serve`` (this venv's Python, the code of each ``--checkout``,
default: this one; several checkouts are started in turn, round by round, so they share the
machine's load) in a new temporary DATA_DIR: a new database, key file and, unless
``--cold-vectors``, a FAQ vector cache filled beforehand (so neither side computes the
knowledge base's vectors, 25-30 s of CPU on a new DATA_DIR; ``--cold-vectors`` measures that
too). With ``--migrated`` the database is migrated (``consultbot db upgrade``) before the
timed start, as on a restart. It times, from just before the process is started, the first
``200`` on ``/healthz`` and on ``/readyz``, with the CPU seconds of the server's main thread
up to each (the machine is shared, so wall time is noisy; the main thread imports, migrates
and builds the app, the warm-up and the outbox worker have threads of their own). Then it
sends ``--messages`` signed WhatsApp messages from 200 people over 4 connections (the
signing of ``bench_whatsapp``) and reports the server's VmRSS and VmHWM, and how much of the
resident memory is anonymous (the heap) or file-backed (code, the mmap'd model). The first
round of each checkout is a warm-up (the page cache, ``.pyc`` files) and not counted;
figures are medians of the others.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_whatsapp import PUBLIC, TOKEN, post, signed_requests

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(tempfile.gettempdir()) / "consultbot-bench-startup-vectors"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid``'s main thread so far: the start's own path (the
    warm-up and the outbox worker run in threads of their own)."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM and the resident anonymous (heap) and file-backed (code, the mmap'd
    model) memory of ``pid``, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            found[key] = int(rest.split()[0]) / 1024
    return found


def status_of(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None


def wait_for(port: int, process: subprocess.Popen[bytes], path: str, began: float
             ) -> tuple[float, float]:
    """(seconds since ``began``, the server's CPU seconds) at the first 200 on ``path``."""
    deadline = began + 300
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        if status_of(port, path) == 200:
            return time.perf_counter() - began, cpu_seconds(process.pid)
        time.sleep(0.01)
    raise SystemExit(f"no 200 on {path} within 300 s")


def send(port: int, count: int, run: str) -> int:
    """``count`` signed WhatsApp messages from 200 people over 4 connections; errors."""
    requests = signed_requests(200, run, count)
    errors, lock = [0], threading.Lock()

    def client(part: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for request in requests[part::4]:
            if not post(connection, request):
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors[0]


def one_start(checkout: Path, messages: int, run: str, cold: bool,
              migrated: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        port = free_port()
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("DATABASE_", "DATA_", "FAQ_", "TWILIO_", "TELEGRAM_"))}
        env.update(PYTHONPATH=str(checkout), DATA_DIR=str(Path(directory) / "data"),
                   TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN=TOKEN,
                   TWILIO_WHATSAPP_FROM="whatsapp:+14155238886", PUBLIC_BASE_URL=PUBLIC,
                   TWILIO_API_BASE_URL="http://127.0.0.1:9", LOG_LEVEL="ERROR")
        if not cold:
            env["FAQ_CACHE_DIR"] = str(VECTORS)
        if migrated:  # a restart: the database is already at the newest revision
            subprocess.run([sys.executable, "-m", "consultbot.cli", "db", "upgrade"], env=env,
                           cwd=directory, stdout=subprocess.DEVNULL, check=True)
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "consultbot.cli", "serve", "--port", str(port)],
            env=env, cwd=directory, stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            healthz, healthz_cpu = wait_for(port, process, "/healthz", began)
            readyz, readyz_cpu = wait_for(port, process, "/readyz", began)
            loaded = memory(process.pid)
            errors = send(port, messages, run)
            after = memory(process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return {"healthz": healthz, "healthz_cpu": healthz_cpu, "readyz": readyz,
            "readyz_cpu": readyz_cpu, "loaded_rss": loaded["VmRSS"], "rss": after["VmRSS"],
            "hwm": after["VmHWM"], "anon": after["RssAnon"], "file": after["RssFile"],
            "errors": errors}


COLUMNS = (("healthz", "healthz s"), ("healthz_cpu", "cpu s"), ("readyz", "readyz s"),
           ("readyz_cpu", "cpu s"), ("loaded_rss", "RSS loaded"), ("rss", "RSS after"),
           ("hwm", "HWM"), ("anon", "anon"), ("file", "file"), ("errors", "errors"))


def label(checkout: Path) -> str:
    head = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True).stdout.strip()
    return f"{checkout.name}@{head}{'+' if dirty else ''}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds per checkout")
    parser.add_argument("--checkout", type=Path, action="append",
                        help="a checkout of the project to start (repeatable; default: this)")
    parser.add_argument("--cold-vectors", action="store_true",
                        help="no FAQ vector cache: each start computes the vectors")
    parser.add_argument("--migrated", action="store_true",
                        help="migrate each new database before the timed start (a restart)")
    args = parser.parse_args()
    checkouts = [path.resolve() for path in (args.checkout or [ROOT])]
    if not args.cold_vectors:
        from bot.flow.faq import warm_up
        warm_up(cache_directory=VECTORS, wait=True)
    results: dict[Path, list[dict[str, float]]] = {path: [] for path in checkouts}
    for round_number in range(args.rounds + 1):
        for index, checkout in enumerate(checkouts):
            result = one_start(checkout, args.messages, f"{round_number}{index}",
                               args.cold_vectors, args.migrated)
            if round_number:  # the first round only warms the page cache and .pyc files
                results[checkout].append(result)
    database = "migrated beforehand" if args.migrated else "new"
    print(f"consultbot serve on a {database} SQLite DATA_DIR, {args.messages} WhatsApp messages, "
          f"median of {args.rounds} rounds; seconds from process start, MiB "
          f"({'vectors computed' if args.cold_vectors else 'FAQ vectors cached'})")
    print("| checkout | " + " | ".join(title for _, title in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    medians = {}
    for checkout in checkouts:
        medians[checkout] = {key: statistics.median(r[key] for r in results[checkout])
                             for key, _ in COLUMNS}
        cells = [f"{medians[checkout][key]:.2f}" if key.endswith(("z", "cpu"))
                 else f"{medians[checkout][key]:.0f}" for key, _ in COLUMNS]
        print(f"| {label(checkout)} | " + " | ".join(cells) + " |")
    if len(checkouts) > 1:
        first, *others = checkouts
        for other in others:
            ratios = ", ".join(f"{title} {medians[other][key] / medians[first][key]:.2f}"
                               for key, title in (("healthz", "healthz"),
                                                  ("healthz_cpu", "healthz cpu"),
                                                  ("readyz", "readyz"), ("rss", "RSS after"),
                                                  ("hwm", "HWM"))
                               if medians[first][key])
            print(f"ratios {label(other)} / {label(first)}: {ratios}")


if __name__ == "__main__":
    main()

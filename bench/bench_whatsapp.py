"""Signed WhatsApp webhook requests per second: the project beside a bare app and a minimal
durable turn, measured side by side in one run on this machine.

Run: .venv/bin/python bench/bench_whatsapp.py [--seconds 10] [--people 2000] [--connections 16]
     [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres] [--only bare,minimal,…]

Every server is a process of its own, under waitress with 8 threads on 127.0.0.1:
- bare: a Flask app whose one route returns constant TwiML.
- minimal: a minimal durable turn: Twilio's RequestValidator, one SQLite transaction
  (``BEGIN IMMEDIATE``, upsert and lock the person's row, insert the message unless seen,
  ``synchronous=FULL``), Fernet for the text and the reply, TwiML.
- project-sqlite / project-sqlite2 / project-pg1 / project-pg2: ``consultbot serve``
  (``--processes 2`` for sqlite2 and pg2) on a new SQLite file or a new PostgreSQL database.
Load: ``wrk`` (16 connections, 2 threads) when installed, else a Python closed loop; every
server gets messages with ids never sent before, from ``--people`` distinct people, each
person's messages in the order of SCRIPT (person = request index mod people). Then an open
loop at ``--rate`` requests/s against project-sqlite (and project-sqlite2 when it runs),
latency counted from the scheduled send time. Statements per turn are counted in process
with a SQLAlchemy event listener.
Requests are signed before the clock starts (signing is Twilio's work, not ours). "CPU ms"
is the server's CPU time (user + system, its forked children included, from /proc) during
the load divided by the requests answered: on a machine shared with other work it moves
far less than req/s does.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import queue
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
KEY = "q9Qf6Bq3dJ9fB1m0xkq9e1u6l3s5YwVb2q8t0z7x4Cw="  # a Fernet key for this bench only
PUBLIC = "https://bot.example.org"
PATH = "/webhooks/whatsapp"
SCRIPT = ["Hello", "1", "which countries do you cover?", "menu", "book", "1", "Anna Petrova",
          "Russia", "United Kingdom", "2", "no", "No deadline",
          "I was detained for anti-war posts and cannot return home.", "anna@example.com", "1"]
CONSTANT = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thank you, we will '
            'answer soon.</Message></Response>')
VECTORS = Path(tempfile.gettempdir()) / "consultbot-bench-faq-vectors"
WRK_SCRIPT = r"""
local lines, n, tid = {}, 0, 0
local counter = 0
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  local index = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if index % threads == tid then lines[#lines + 1] = line end
    index = index + 1
  end
end
function request()
  n = n + 1
  local line = lines[(n - 1) % #lines + 1]
  local tab = line:find("\t")
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %.3f %.3f %.3f\n", summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""

Request = tuple[bytes, str]  # form body, signature


def signed_requests(people: int, run: str, count: int) -> list[Request]:
    """``count`` requests in rounds: request i is person i % people's message i // people."""
    validator = RequestValidator(TOKEN)
    result = []
    for index in range(count):
        person, n = index % people, index // people
        number = f"+4479{run}{person:05d}"
        sid = f"SM{run}{index:08d}".ljust(34, "0")
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
                  "AccountSid": "AC" + "0" * 32, "From": f"whatsapp:{number}",
                  "To": "whatsapp:+14155238886", "WaId": number[1:],
                  "Body": SCRIPT[n % len(SCRIPT)], "ProfileName": "Anna", "NumMedia": "0",
                  "NumSegments": "1", "MessageType": "text", "SmsStatus": "received",
                  "ApiVersion": "2010-04-01"}
        result.append((urlencode(fields).encode(), validator.compute_signature(PUBLIC + PATH,
                                                                                fields)))
    return result


# -- the two reference servers (run in a child process: --serve bare|minimal) ------------

def bare_app() -> Any:
    from flask import Flask, Response
    app = Flask("bare")

    @app.post(PATH)
    def constant() -> Response:
        return Response(CONSTANT, mimetype="text/xml")

    return app


def minimal_app(database: str) -> Any:
    """One durable turn and nothing else."""
    from cryptography.fernet import Fernet
    from flask import Flask, Response, abort, request
    fernet, validator, local = Fernet(KEY), RequestValidator(TOKEN), threading.local()
    secret = hashlib.sha256(KEY.encode()).digest()
    with sqlite3.connect(database) as setup:
        setup.executescript(
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE IF NOT EXISTS conversation (id INTEGER PRIMARY KEY, user_key TEXT"
            " UNIQUE NOT NULL, user_id_enc TEXT, state TEXT, data_enc TEXT, updated_at TEXT);"
            "CREATE TABLE IF NOT EXISTS message (id INTEGER PRIMARY KEY, conversation_id"
            " INTEGER NOT NULL, sid TEXT UNIQUE NOT NULL, text_enc TEXT, replies_enc TEXT);")
    app = Flask("minimal")

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(database, isolation_level=None, timeout=60)
            local.db.execute("PRAGMA synchronous=FULL")
            local.db.execute("PRAGMA busy_timeout=60000")
        return local.db  # type: ignore[no-any-return]

    @app.post(PATH)
    def turn() -> Response:
        form = request.form.to_dict()
        if not validator.validate(PUBLIC + PATH, form, request.headers.get(
                "X-Twilio-Signature", "")):
            abort(403)
        user = form["From"]
        key = hmac.new(secret, user.encode(), hashlib.sha256).hexdigest()
        reply = "Thank you, we will answer soon."
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            (conversation_id,) = db.execute(
                "INSERT INTO conversation (user_key, user_id_enc, state, updated_at) VALUES"
                " (?, ?, 'new', datetime('now')) ON CONFLICT (user_key) DO UPDATE SET"
                " updated_at = excluded.updated_at RETURNING id",
                (key, fernet.encrypt(user.encode()).decode())).fetchone()
            db.execute("INSERT OR IGNORE INTO message (conversation_id, sid, text_enc,"
                       " replies_enc) VALUES (?, ?, ?, ?)",
                       (conversation_id, form["MessageSid"],
                        fernet.encrypt(form.get("Body", "").encode()).decode(),
                        fernet.encrypt(reply.encode()).decode()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
                        f'{reply}</Message></Response>', mimetype="text/xml")

    return app


def serve_child(kind: str, database: str) -> None:
    import logging

    import waitress
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" notes
    app = bare_app() if kind == "bare" else minimal_app(database)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8, ident="bench")
    print(f"PORT {server.effective_port}", flush=True)  # type: ignore[union-attr]
    server.run()


# -- starting and loading the servers ----------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def start_reference(kind: str, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--database", str(tmp / f"{kind}.db")],
        stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("PORT "):
        raise SystemExit(f"{kind} did not start")
    return process, int(line.split()[1])


def supports_processes() -> bool:
    return "--processes" in subprocess.run(
        [sys.executable, "-m", "consultbot.cli", "serve", "--help"], capture_output=True,
        text=True, cwd=tempfile.gettempdir()).stdout  # the servers' cwd is not ROOT either


def supports_sqlite_processes(tmp: Path) -> bool:
    """Whether this tree's ``consultbot serve`` takes ``--processes`` on SQLite (older ones
    refused at once, before binding the port)."""
    probe = subprocess.run(
        [sys.executable, "-m", "consultbot.cli", "serve", "--port", str(free_port()),
         "--processes", "2", "--help"], capture_output=True, text=True, cwd=tmp)
    return "PostgreSQL only" not in probe.stdout


def start_project(database_url: str, processes: int, tmp: Path) -> tuple[subprocess.Popen[bytes],
                                                                           int]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_ENCRYPTION_KEY": KEY,
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "PUBLIC_BASE_URL": PUBLIC,
           "TWILIO_API_BASE_URL": "http://127.0.0.1:9", "FAQ_CACHE_DIR": str(VECTORS),
           "LOG_LEVEL": "ERROR"}
    command = [sys.executable, "-m", "consultbot.cli", "serve", "--port", str(port)]
    if processes > 1:
        command += ["--processes", str(processes)]
    process = subprocess.Popen(command, env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                               start_new_session=True)
    wait_healthy(port, process, "/healthz")
    return process, port


def stop(process: subprocess.Popen[bytes]) -> None:
    import signal
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of process ``pid`` and its children so far (Linux)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0.0
        for process in [str(pid), *children]:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def children_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each forked child of ``pid`` (empty when it has none)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {child: cpu_seconds(int(child)) or 0.0 for child in children}
    except OSError:
        return {}


def measured(pid: int, load: Any) -> dict[str, Any]:
    """``load()``'s result plus the server's CPU milliseconds per request answered, and
    with several processes each child's CPU seconds under the load (how they shared it)."""
    before, split = cpu_seconds(pid), children_cpu(pid)
    result: dict[str, Any] = load()
    after, split_after = cpu_seconds(pid), children_cpu(pid)
    result["cpu_ms"] = None if before is None or after is None or not result["requests"] \
        else 1000 * (after - before) / result["requests"]
    result["split"] = [split_after[child] - split[child] for child in split
                       if child in split_after] if len(split) > 1 else []
    return result


def post(connection: http.client.HTTPConnection, request: Request) -> bool:
    body, signature = request
    connection.request("POST", PATH, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    response = connection.getresponse()
    payload = response.read()
    return response.status == 200 and b"<Response" in payload


def closed_loop_python(port: int, requests: list[Request], connections: int,
                       seconds: float) -> dict[str, float]:
    """The fallback load without wrk: ``connections`` keep-alive clients for ``seconds``."""
    latencies: list[float] = []
    errors = [0]
    lock, position = threading.Lock(), iter(range(10 ** 9))
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own = []
        while time.perf_counter() < stop_at:
            with lock:
                index = next(position)
            began = time.perf_counter()
            ok = post(connection, requests[index % len(requests)])
            own.append(time.perf_counter() - began)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"requests": len(latencies), "errors": errors[0], "rate": len(latencies) / elapsed,
            "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "max": max(latencies)}


def closed_loop(port: int, requests: list[Request], connections: int, seconds: float,
                tmp: Path) -> dict[str, float]:
    if shutil.which("wrk") is None:
        return closed_loop_python(port, requests, connections, seconds)
    script, lines = tmp / "wrk.lua", tmp / f"requests-{port}.txt"
    script.write_text(WRK_SCRIPT)
    lines.write_text("".join(f"{sig}\t{body.decode()}\n" for body, sig in requests))
    threads = 2
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}{PATH}"],
        env={**os.environ, "BENCH_REQUESTS": str(lines), "BENCH_THREADS": str(threads)},
        capture_output=True, text=True, check=True)
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH "))
    count, errors, micros, p50, p99, worst = line.split()[1:]
    return {"requests": int(count), "errors": int(errors),
            "rate": int(count) / (int(micros) / 1e6), "p50": float(p50) / 1000,
            "p99": float(p99) / 1000, "max": float(worst) / 1000,
            "wrapped": int(count) > len(requests)}


def open_loop(port: int, requests: list[Request], rate: float) -> dict[str, float]:
    """Send request k at start + k / rate (whatever the answers do); latency from then."""
    todo: queue.Queue[tuple[float, Request] | None] = queue.Queue()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (item := todo.get()) is not None:
            due, request = item
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            ok = post(connection, request)
            with lock:
                latencies.append(time.perf_counter() - due)
                errors[0] += not ok

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for thread in threads:
        thread.start()
    began = time.perf_counter() + 0.2
    for k, request in enumerate(requests):
        todo.put((began + k / rate, request))
    for _ in threads:
        todo.put(None)
    for thread in threads:
        thread.join()
    return {"requests": len(latencies), "errors": errors[0], "rate": rate,
            "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "max": max(latencies)}


def warm(port: int, run: str, connections: int = 16) -> None:
    """Each of ``connections`` clients at once sends one person's whole SCRIPT: with several
    processes every child gets some of them, so none loads what a turn uses on first use
    (catalogs, indexes) under the measured load."""
    requests = signed_requests(connections, run, connections * len(SCRIPT))

    def client(person: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for request in requests[person::connections]:
            post(connection, request)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- statements per turn ------------------------------------------------------------------

def statements_per_turn(database_url: str) -> tuple[Counter[int], Counter[int]]:
    """How many statements each turn issues (BEGIN/COMMIT apart), counted by an event
    listener on the project's engine, for 20 people's whole SCRIPT; (by count, BEGIN+COMMIT)."""
    from sqlalchemy import event

    from consultbot.runtime import build_runtime
    from consultbot.web import create_app
    from plumbing.settings import load_settings
    settings = load_settings(
        database_url=database_url, data_encryption_key=KEY, twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN, twilio_whatsapp_from="whatsapp:+14155238886",
        public_base_url=PUBLIC, faq_cache_dir=VECTORS)
    runtime = build_runtime(settings)
    client = create_app(runtime).test_client()
    counted = {"statements": 0, "frame": 0}

    @event.listens_for(runtime.db.engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        first = statement.lstrip().split(None, 1)[0].upper()
        counted["frame" if first in ("BEGIN", "COMMIT", "ROLLBACK") else "statements"] += 1

    @event.listens_for(runtime.db.engine, "commit")
    def _commit(conn: Any) -> None:
        counted["frame"] += 1

    @event.listens_for(runtime.db.engine, "begin")
    def _begin(conn: Any) -> None:
        # SQLite's BEGIN IMMEDIATE is a statement (counted above); an autocommit read
        # (the lock-free read before the turn) sends no BEGIN.
        if runtime.db.engine.dialect.name != "sqlite" and \
                conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            counted["frame"] += 1

    per_turn: Counter[int] = Counter()
    frames: Counter[int] = Counter()
    for body, signature in signed_requests(20, "7", 20 * len(SCRIPT)):
        counted.update(statements=0, frame=0)
        client.post(PATH, data=body, headers={"X-Twilio-Signature": signature,
                                              "Content-Type": "application/x-www-form-urlencoded"})
        per_turn[counted["statements"]] += 1
        frames[counted["frame"]] += 1
    runtime.db.dispose()
    return per_turn, frames


# -- the run -------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 \
        else values[0]


def new_postgres_database(url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url
    name = f"bench_{uuid.uuid4().hex[:12]}"
    parsed = make_url(url)
    with psycopg.connect(parsed.set(drivername="postgresql").render_as_string(False),
                         autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str, database_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url
    name = make_url(database_url).database
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False),
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(name: str, result: dict[str, Any]) -> None:
    note = "  (ids wrapped: some redeliveries)" if result.get("wrapped") else ""
    if result.get("split"):
        note += "  children CPU s: " + " / ".join(f"{cpu:.1f}" for cpu in result["split"])
    cpu = "      -" if result.get("cpu_ms") is None else f"{result['cpu_ms']:7.2f}"
    print(f"| {name:15} | {result['rate']:7.0f} | {1000 * result['p50']:7.1f} | "
          f"{1000 * result['p99']:7.1f} | {1000 * result['max']:7.1f} | "
          f"{result['errors']:6d} | {cpu} |{note}", flush=True)


#: The ratios printed after the table: label, numerator and denominator rows, the figure.
RATIOS = (
    ("ratio project-sqlite / minimal durable turn", "project-sqlite", "minimal", "rate"),
    ("CPU per request, project-sqlite / minimal durable turn", "project-sqlite", "minimal",
     "cpu_ms"),
    ("ratio project-sqlite2 (2 processes) / minimal durable turn", "project-sqlite2",
     "minimal", "rate"),
    ("ratio SQLite 2 processes / 1", "project-sqlite2", "project-sqlite", "rate"),
    ("ratio project-sqlite / bare", "project-sqlite", "bare", "rate"),
    ("ratio PostgreSQL 2 processes / 1", "project-pg2", "project-pg1", "rate"),
)


def open_loop_run(process: subprocess.Popen[bytes], port: int, args: argparse.Namespace,
                  run: str, label: str) -> dict[str, Any]:
    """The open loop at ``args.rate`` against a started project server (ids of ``run``),
    reported as ``open <rate>/s <label>``."""
    n = int(args.rate * args.seconds)
    load = signed_requests(-(-n // len(SCRIPT)), run, n)
    result = measured(process.pid, partial(open_loop, port, load, args.rate))
    report(f"open {args.rate:.0f}/s {label}", result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=80, help="open loop requests/s")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"),
                        help="a server to create the bench's databases on (default: "
                             "TEST_POSTGRES_URL; none: PostgreSQL rows are skipped)")
    parser.add_argument("--only", default="bare,minimal,project-sqlite,project-sqlite2,"
                                           "open-loop,project-pg1,project-pg2,statements")
    parser.add_argument("--serve", choices=("bare", "minimal"), help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve, args.database)
        return
    wanted = set(args.only.split(","))
    from bot.flow.faq import warm_up  # the vectors once, so no server computes them
    warm_up(cache_directory=VECTORS, wait=True)
    count = int(args.seconds * 3500) + args.people
    results: dict[str, dict[str, Any]] = {}
    loader = "wrk -t2" if shutil.which("wrk") else "python closed loop"
    print(f"{args.connections} connections ({loader}), {args.seconds:.0f} s per server, "
          f"{args.people} people, waitress 8 threads per process, SQLite synchronous=FULL")
    print("| server          |   req/s | p50 ms  | p99 ms  | max ms  | errors | CPU ms  |")
    print("|-----------------|---------|---------|---------|---------|--------|---------|")
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        for run, kind in (("1", "bare"), ("2", "minimal")):
            if kind not in wanted:
                continue
            process, port = start_reference(kind, tmp)
            try:
                warm(port, "9" + run)
                load = signed_requests(args.people, run, count)
                results[kind] = measured(process.pid, partial(
                    closed_loop, port, load, args.connections, args.seconds, tmp))
                report(kind, results[kind])
            finally:
                stop(process)
        if wanted & {"project-sqlite", "open-loop"}:
            process, port = start_project(f"sqlite:///{tmp / 'project.db'}", 1, tmp)
            try:
                warm(port, "93")
                if "project-sqlite" in wanted:
                    load = signed_requests(args.people, "3", count)
                    results["project-sqlite"] = measured(process.pid, partial(
                        closed_loop, port, load, args.connections, args.seconds, tmp))
                    report("project-sqlite", results["project-sqlite"])
                if "open-loop" in wanted:
                    results["open-loop"] = open_loop_run(process, port, args, "4", "sqlite")
            finally:
                stop(process)
        if "project-sqlite2" in wanted:
            if not supports_sqlite_processes(tmp):
                print("| project-sqlite2 | (consultbot serve has no --processes on SQLite)")
            else:
                process, port = start_project(f"sqlite:///{tmp / 'project2.db'}", 2, tmp)
                try:
                    warm(port, "98")
                    load = signed_requests(args.people, "8", count)
                    results["project-sqlite2"] = measured(process.pid, partial(
                        closed_loop, port, load, args.connections, args.seconds, tmp))
                    report("project-sqlite2", results["project-sqlite2"])
                    if "open-loop" in wanted:
                        results["open-loop2"] = open_loop_run(process, port, args, "0",
                                                              "sqlite2")
                finally:
                    stop(process)
        for run, processes in (("5", 1), ("6", 2)):
            name = f"project-pg{processes}"
            if name not in wanted or not args.postgres_url:
                continue
            if processes > 1 and not supports_processes():
                print(f"| {name:15} | (consultbot serve has no --processes)")
                continue
            database_url = new_postgres_database(args.postgres_url)
            try:
                process, port = start_project(database_url, processes, tmp)
                try:
                    warm(port, "9" + run)
                    load = signed_requests(args.people, run, count)
                    results[name] = measured(process.pid, partial(
                        closed_loop, port, load, args.connections, args.seconds, tmp))
                    report(name, results[name])
                finally:
                    stop(process)
            finally:
                drop_postgres_database(args.postgres_url, database_url)
        for label, top, bottom, figure in RATIOS:
            value, base = (results.get(top, {}).get(figure), results.get(bottom, {}).get(figure))
            if value and base:
                print(f"{label}: {value / base:.2f}")
        if "statements" in wanted:
            urls = [("SQLite", f"sqlite:///{tmp / 'count.db'}")]
            if args.postgres_url:
                urls.append(("PostgreSQL", new_postgres_database(args.postgres_url)))
            for name, url in urls:
                try:
                    per_turn, frames = statements_per_turn(url)
                finally:
                    if name == "PostgreSQL":
                        drop_postgres_database(args.postgres_url, url)
                common = per_turn.most_common(1)[0][0]
                print(f"statements per turn on {name} (BEGIN/COMMIT apart), over "
                      f"{sum(per_turn.values())} turns: most common {common}, "
                      f"by count {dict(sorted(per_turn.items()))}; BEGIN+COMMIT "
                      f"{dict(sorted(frames.items()))}")
    json.dump(results, sys.stderr, default=str) if os.environ.get("BENCH_JSON") else None


if __name__ == "__main__":
    main()

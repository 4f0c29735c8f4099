"""The CPU one WhatsApp message costs in process, through the project's whole WSGI app.

Run: .venv/bin/python bench/bench_turn_cpu.py [--turns 2000] [--people 2000] [--rounds 3]
     [--checkout <tree> --checkout <tree> [--parallel]] [--dump <file>] [--profile <file>]

Builds the app as ``consultbot serve`` does (SQLite ``synchronous=FULL``, LOG_LEVEL=ERROR,
the FAQ model on), then calls it as a WSGI application, no server, with signed requests
from ``bench_whatsapp``: request i is person i % people's message i // people, so with
2,000 people and 2,000 turns every message is a first contact ("Hello"), as most of that
bench's closed loop is. Prints the main thread's CPU time per turn (``time.thread_time``:
the fsync waits of the commits are not counted, their kernel work is).

``--checkout`` (twice or more) runs each tree in its own process, alternated ``--rounds``
times, and prints each round (with each tree's ratio to the first) and the best of each;
``--parallel`` starts a round's trees at once, so they share the same load: on a machine
others are loading, the steadier comparison. ``--dump`` writes every answer (status,
headers without the request id, body) to compare two trees' answers byte for byte;
``--profile`` writes a cProfile file. ``--lock`` also prints how much of that CPU (and of
the wall time) ran while the turn held SQLite's write lock (the hand-off's outer hold,
``plumbing.db.HandOff``), the part that other writers wait for.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Any]


def build_app(tmp: Path) -> WSGI:
    import bench_whatsapp as bench

    from bot.flow.faq import configure_matching
    from consultbot.registry import build_bot
    from consultbot.runtime import build_runtime
    from consultbot.web import create_app
    from plumbing.logs import configure_logging
    from plumbing.settings import load_settings

    configure_logging("ERROR")
    settings = load_settings(
        database_url=f"sqlite:///{tmp / 'turns.db'}", data_encryption_key=bench.KEY,
        twilio_account_sid="AC" + "0" * 32, twilio_auth_token=bench.TOKEN,
        twilio_whatsapp_from="whatsapp:+14155238886", public_base_url=bench.PUBLIC,
        twilio_api_base_url="http://127.0.0.1:9", faq_cache_dir=bench.VECTORS,
        log_level="ERROR")
    runtime = build_runtime(settings, check_key=True)
    configure_matching(enabled=settings.faq_semantic, cache_directory=settings.faq_cache_dir)
    return create_app(runtime, bot=build_bot(runtime))  # type: ignore[return-value]


def call(app: WSGI, body: bytes, signature: str) -> tuple[str, list[tuple[str, str]], bytes]:
    import bench_whatsapp as bench

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": bench.PATH, "SCRIPT_NAME": "",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)), "HTTP_X_TWILIO_SIGNATURE": signature,
        "HTTP_HOST": "127.0.0.1:8080", "REMOTE_ADDR": "127.0.0.1", "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False}
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
        started.append((status, [h for h in headers if h[0] != "X-Request-ID"]))

    answer = app(environ, start_response)
    data = b"".join(answer)
    getattr(answer, "close", lambda: None)()
    return started[0][0], started[0][1], data


def inside_lock() -> dict[str, float]:
    """Wrap :class:`plumbing.db.HandOff` so that its outer holds add up their thread CPU and
    wall time (one thread: this bench's), returned as a dict updated in place."""
    from plumbing.db import HandOff

    held = {"cpu": 0.0, "wall": 0.0, "holds": 0}
    acquire, release = HandOff.acquire, HandOff.release
    began: list[tuple[float, float]] = []

    def timed_acquire(self: HandOff) -> None:
        acquire(self)
        if self._depth == 1:
            began.append((time.thread_time(), time.perf_counter()))

    def timed_release(self: HandOff) -> None:
        if self._depth == 1:
            cpu, wall = began.pop()
            held["cpu"] += time.thread_time() - cpu
            held["wall"] += time.perf_counter() - wall
            held["holds"] += 1
        release(self)

    HandOff.acquire, HandOff.release = timed_acquire, timed_release  # type: ignore[method-assign]
    return held


def run(args: argparse.Namespace) -> None:
    import bench_whatsapp as bench

    held = inside_lock() if args.lock else None
    tmp = Path(tempfile.mkdtemp())
    os.chdir(tmp)
    app = build_app(tmp)
    for body, signature in bench.signed_requests(2, "93", 2 * len(bench.SCRIPT)):
        call(app, body, signature)  # warm: every module and catalog the turns use
    load = bench.signed_requests(args.people, args.run, args.turns)
    dump = open(args.dump, "w") if args.dump else None  # noqa: SIM115
    profile = None
    if args.profile:
        import cProfile
        profile = cProfile.Profile()
        profile.enable()
    if held is not None:
        held.update(cpu=0.0, wall=0.0, holds=0)
    began, wall = time.thread_time(), time.perf_counter()
    for body, signature in load:
        status, headers, data = call(app, body, signature)
        if dump is not None:
            dump.write(f"{status} {headers} {data!r}\n")
        elif not status.startswith("200"):
            raise SystemExit(f"{status}: {data!r}")
    cpu, wall = time.thread_time() - began, time.perf_counter() - wall
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    if dump is not None:
        dump.close()
    print(f"CPU {cpu / len(load) * 1000:.3f} ms per turn over {len(load)} turns")
    if held is not None:
        print(f"inside the write lock: CPU {held['cpu'] / len(load) * 1000:.3f} ms per turn "
              f"({held['cpu'] / cpu:.0%} of the CPU), wall {held['wall'] / len(load) * 1000:.3f}"
              f" ms ({held['wall'] / wall:.0%} of the wall time), "
              f"{held['holds'] / len(load):.2f} holds per turn")


def compare(args: argparse.Namespace) -> None:
    """Each tree in its own process, one after the other or (``--parallel``) all at once,
    so that every round's trees share the machine's load as it is then."""
    best: dict[str, float] = {}
    first = args.checkout[0]
    for round_ in range(1, args.rounds + 1):
        command = [sys.executable, __file__, "--turns", str(args.turns), "--people",
                   str(args.people), "--run", args.run]
        started = []
        for tree in args.checkout:
            env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
            started.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                            text=True))
            if not args.parallel:
                started[-1].wait()
        times = {}
        for tree, process in zip(args.checkout, started, strict=True):
            out, _ = process.communicate()
            if process.returncode:
                raise SystemExit(f"{tree}: exit {process.returncode}")
            times[tree] = float(out.split()[1])
            best[tree] = min(best.get(tree, times[tree]), times[tree])
        print(f"round {round_}: " + ", ".join(
            f"{tree} {ms:.3f} ms ({ms / times[first]:.2f})" for tree, ms in times.items()),
            flush=True)
    for tree in args.checkout:
        print(f"best {tree}: {best[tree]:.3f} ms ({best[tree] / best[first]:.2f} of {first})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--run", default="5", help="a digit in the numbers and message ids")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", action="append", default=[])
    parser.add_argument("--parallel", action="store_true",
                        help="run a round's trees at once (the same load for each)")
    parser.add_argument("--dump")
    parser.add_argument("--profile")
    parser.add_argument("--lock", action="store_true",
                        help="also print the CPU and wall time inside the write lock")
    args = parser.parse_args()
    if args.checkout:
        compare(args)
    else:
        run(args)


if __name__ == "__main__":
    main()

"""Several server processes on one listening socket (``consultbot serve --processes N``).

The parent binds the socket, then forks N children before anything else is built (no
database connection, thread or model crosses a fork); each child builds its own runtime
and serves waitress on the inherited socket, the kernel spreading connections among them.
Only the first child runs the background services (the outbox worker, the Telegram
poller): there must be one of each. The parent only waits: a signal it gets is passed on
to the children, and when one child ends the others are stopped too (a supervisor such
as systemd then restarts the whole group).

Why not gunicorn: waitress is already the server (one code path for 1 and N processes,
no new dependency), and a pre-bound socket plus fork is all a pre-fork server adds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType


def fork_servers(count: int, serve: Callable[[bool], int]) -> int:
    """Run ``serve(first)`` in ``count`` forked children, ``first`` True for exactly one;
    wait for them all. 0 when they ended well or were stopped by a signal we passed on."""
    children: list[int] = []
    for index in range(count):
        pid = os.fork()
        if pid == 0:  # the child: serve, and never return into the parent's code
            code = 1
            try:
                code = serve(index == 0)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    stopping = [False]

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        stopping[0] = True
        _signal_all(children, signum)

    signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    before = {signum: signal.signal(signum, pass_on) for signum in signals}
    code = 0
    try:
        while children:
            pid, status = os.wait()
            if pid not in children:
                continue
            children.remove(pid)
            ended = os.waitstatus_to_exitcode(status)
            if not stopping[0]:  # one child ended on its own: the group stops with it
                stopping[0] = True
                code = ended if ended >= 0 else 1  # killed (e.g. out of memory): 1
                _signal_all(children, signal.SIGTERM)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    return code


def _signal_all(children: list[int], signum: int) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

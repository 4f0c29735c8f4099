"""What one web-chat message costs through the real Flask app, and how big the widget is.

Run: ``.venv/bin/python bench/bench_webchat.py``. SQLite in a temporary folder; 40 visitors
each go through the welcome and the menu (two messages) and then ask an FAQ question; the
figure is the median time of one POST /webchat/api/messages, and of a repeated one (the
same client id again, answered from storage), plus a history load of a long chat (its
newest 200 messages).
"""

from __future__ import annotations

import gzip
import os
import statistics
import tempfile
import time
from pathlib import Path

from consultbot.runtime import build_runtime
from consultbot.web import create_app
from plumbing.crypto import new_key
from plumbing.settings import load_settings

STATIC = Path(__file__).resolve().parents[1] / "channels" / "webchat" / "static"
VISITORS = 40


def main() -> None:
    folder = tempfile.mkdtemp()
    os.chdir(folder)
    runtime = build_runtime(load_settings(
        database_url=f"sqlite:///{folder}/bench.db", data_encryption_key=new_key(),
        webchat_rate_limit_session="10000/minute", webchat_rate_limit_address="10000/minute"))
    app = create_app(runtime)
    first, again, history = [], [], []
    for n in range(VISITORS):
        client = app.test_client()
        for step, text in enumerate(("/start", "Continue in English",
                                     "How much does a report cost?")):
            body = {"id": f"bench-{n:04d}-{step}", "text": text}
            started = time.perf_counter()
            assert client.post("/webchat/api/messages", json=body).status_code == 200
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert client.post("/webchat/api/messages", json=body).status_code == 200
            again.append(time.perf_counter() - started)
    for n in range(100):
        client.post("/webchat/api/messages", json={"id": f"fill-{n:05d}", "text": "menu"})
    for _ in range(20):
        started = time.perf_counter()
        loaded = client.get("/webchat/api/session")
        history.append(time.perf_counter() - started)
    shown = len(loaded.json["messages"])
    script = (STATIC / "widget.js").read_bytes()
    style = (STATIC / "widget.css").read_bytes()
    print(f"message, first time:  median {statistics.median(first) * 1000:6.1f} ms "
          f"(p95 {statistics.quantiles(first, n=20)[-1] * 1000:.1f} ms, {len(first)} messages)")
    print(f"message, repeated:    median {statistics.median(again) * 1000:6.1f} ms")
    print(f"history of {shown}:       median {statistics.median(history) * 1000:6.1f} ms")
    print(f"widget.js {len(script)} bytes ({len(gzip.compress(script, 9))} gzipped), "
          f"widget.css {len(style)} bytes ({len(gzip.compress(style, 9))} gzipped)")
    runtime.db.dispose()


if __name__ == "__main__":
    main()

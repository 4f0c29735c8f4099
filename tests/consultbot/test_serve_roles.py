"""``consultbot serve --role``: each role, as a real process, starts its part and only it.

One SQLite database holds a due staff e-mail (only a worker sends it, through the fake SMTP
server); the fake Telegram Bot API sees a poller's calls (only ``telegram`` and ``all``
poll). Readiness is the line each process prints when it is ready.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.messages import Text, reply_to_dict
from consultbot.runtime import build_runtime
from plumbing.crypto import new_key
from plumbing.outbox import OutboxMessage, OutboxStatus, enqueue
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.consultbot.processes import Process, free_port
from tests.fake_smtp import FakeSmtpServer

pytestmark = pytest.mark.slow  # started first: see tests/conftest.py


@dataclass
class Deployment:
    env: dict[str, str]
    cwd: Path
    telegram: FakeTelegramServer
    smtp: FakeSmtpServer

    def serve(self, role: str, *args: str) -> Process:
        return Process.consultbot("serve", "--role", role, *args, env=self.env, cwd=self.cwd)

    def outbox_statuses(self) -> list[str]:
        runtime = build_runtime(load_settings(database_url=self.env["DATABASE_URL"],
                                              data_encryption_key=self.env["DATA_ENCRYPTION_KEY"]))
        with runtime.db.transaction() as session:
            statuses = [m.status for m in session.exec(select(OutboxMessage)).all()]
        runtime.db.dispose()
        return statuses


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with FakeTelegramServer() as telegram, FakeSmtpServer(tls=False) as smtp:
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'roles.db'}",
               "DATA_ENCRYPTION_KEY": new_key(), "FAQ_SEMANTIC": "false",
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url,
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
               "SMTP_STARTTLS": "false", "SMTP_FROM": "alerts@firm.org", "LOG_LEVEL": "WARNING"}
        stored = build_runtime(load_settings(database_url=env["DATABASE_URL"],
                                             data_encryption_key=env["DATA_ENCRYPTION_KEY"]))
        with stored.db.transaction() as session:
            enqueue(session, stored.cipher, key="staff:roles:email", kind="staff_alert",
                    channel="email", recipient="staff@firm.org",
                    replies=[reply_to_dict(Text("Subject\nBody"))], now=stored.clock())
        stored.db.dispose()
        yield Deployment(env, tmp_path, telegram, smtp)


def test_web_runs_the_app_and_neither_the_worker_nor_the_poller(deployment: Deployment) -> None:
    port = free_port()
    web = deployment.serve("web", "--port", str(port))
    try:
        web.wait_for_line(f"listening on http://127.0.0.1:{port}")
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
    finally:
        web.stop()
    assert ready.status_code == 503  # no worker anywhere has ever beaten
    assert ready.json()["worker"]["state"] == "never ran"
    assert "role: web only" in web.output
    assert deployment.telegram.api.calls == []  # not even getMe
    assert deployment.smtp.received == []
    assert deployment.outbox_statuses() == [OutboxStatus.PENDING]


def test_web_in_webhook_mode_runs_the_telegram_service_its_webhook_feeds(
        deployment: Deployment) -> None:
    api = deployment.telegram.api
    deployment.env.update({"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "s3cret-hook",
                           "PUBLIC_BASE_URL": "https://bot.example.org"})
    port = free_port()
    web = deployment.serve("web", "--port", str(port))
    try:
        web.wait_for_line(f"listening on http://127.0.0.1:{port}")
        assert api.wait_for(lambda: bool(api.calls_to("setWebhook")), timeout=30), web.output
        update = TelegramUser(api, chat_id=502).message("/start")
        answer = httpx.post(f"http://127.0.0.1:{port}/webhooks/telegram", json=update,
                            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-hook"},
                            timeout=30)
        assert answer.status_code == 200, answer.text
        assert api.sent(502)  # answered before the webhook returned
    finally:
        web.stop()
    [hook] = api.calls_to("setWebhook")
    assert hook.params["url"] == "https://bot.example.org/webhooks/telegram"
    assert not api.calls_to("getUpdates")
    assert deployment.outbox_statuses() == [OutboxStatus.PENDING]


def test_worker_sends_what_is_due_and_serves_nothing(deployment: Deployment) -> None:
    worker = deployment.serve("worker")
    try:
        worker.wait_for_line("consultbot worker: on: sends by email")
        assert deployment.smtp.wait_for(1, timeout=30), worker.output
    finally:
        assert worker.stop() == 0  # SIGTERM ends the loop after its round
    assert [r.message["Subject"] for r in deployment.smtp.received] == ["Subject"]
    assert "listening" not in worker.output
    assert deployment.telegram.api.calls == []


def test_telegram_polls_and_answers_but_sends_no_outbox(deployment: Deployment) -> None:
    api = deployment.telegram.api
    poller = deployment.serve("telegram")
    try:
        poller.wait_for_line("is polling for messages")
        api.push_update(TelegramUser(api, chat_id=501).message("/start"))
        assert api.wait_for(lambda: bool(api.sent(501)), timeout=30), poller.output
    finally:
        assert poller.stop() == 0
    assert "listening" not in poller.output
    assert deployment.smtp.received == []
    assert deployment.outbox_statuses() == [OutboxStatus.PENDING]


def test_all_runs_every_part_in_one_process(deployment: Deployment) -> None:
    api = deployment.telegram.api
    port = free_port()
    everything = deployment.serve("all", "--port", str(port))
    try:
        everything.wait_for_line(f"listening on http://127.0.0.1:{port}")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        assert deployment.smtp.wait_for(1, timeout=30), everything.output
        assert api.wait_for(lambda: bool(api.calls_to("getUpdates")), timeout=30)
    finally:
        everything.stop()
    assert "role:" not in everything.output


@pytest.mark.parametrize(("extra", "reason"), [
    ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_MODE": "webhook"}, "the web processes receive"),
])
def test_telegram_role_with_nothing_to_poll_ends_at_once_without_failing(
        deployment: Deployment, extra: dict[str, str], reason: str) -> None:
    deployment.env.update(extra)
    poller = deployment.serve("telegram")
    assert poller.popen.wait(60) == 0  # a supervisor restarting on failure leaves it stopped
    assert reason in poller.wait_for_line("nothing to poll")
    assert deployment.telegram.api.calls == []

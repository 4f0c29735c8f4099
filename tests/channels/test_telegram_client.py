"""The one Telegram send path: one reading of the Bot API's errors for replies, outbox sends
and staff alerts, and one event-loop thread per runtime for all three."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from bot.engine import Bot
from bot.messages import Text
from channels.delivery import Delivery, DeliveryFailed
from channels.staff_telegram import StaffTelegramSender
from channels.telegram.client import TelegramClient, client_for, delivery_failure, loop_for
from channels.telegram.render import Outgoing
from channels.telegram.sender import TelegramSender
from channels.telegram.service import TelegramService, service_for
from consultbot.registry import build_senders
from consultbot.runtime import Runtime
from tests.channels.fake_telegram import TOKEN, FakeBotApi, FakeRequest, FakeTelegramServer

#: python-telegram-bot itself reads RetryAfter.retry_after in its constructor.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

STAFF_CHAT = "-1001234567890"


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def client(api: FakeBotApi) -> Iterator[TelegramClient]:
    made = TelegramClient(TOKEN, "https://api.telegram.org/bot", request=FakeRequest(api))
    yield made
    made.close()


def failure(client: TelegramClient, chat: int | str, *, staff_chat: bool) -> DeliveryFailed:
    """What sending a text to ``chat`` fails with, read as the senders read it."""
    with pytest.raises(Exception) as raised:
        client.send(chat, Outgoing(text="Hello"))
    return delivery_failure(raised.value, staff_chat=staff_chat)


@pytest.mark.parametrize("staff_chat", [False, True])
def test_a_requested_pause_is_a_retry_after_on_every_path(
        client: TelegramClient, api: FakeBotApi, staff_chat: bool) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    failed = failure(client, 7001, staff_chat=staff_chat)
    assert (failed.retry_after, failed.permanent, failed.unreachable) == (3.0, False, False)


def test_a_blocked_person_is_unreachable_but_a_refusing_staff_chat_is_a_setting(
        client: TelegramClient, api: FakeBotApi) -> None:
    api.blocked_chats.add(7002)
    person = failure(client, 7002, staff_chat=False)
    assert person.unreachable and person.permanent
    staff = failure(client, 7002, staff_chat=True)
    assert staff.permanent and not staff.unreachable
    assert "bot was blocked" in staff.reason and "TELEGRAM_STAFF_CHAT_ID" in staff.reason


@pytest.mark.parametrize("staff_chat", [False, True])
def test_a_refused_message_is_permanent_and_a_bad_gateway_is_not(
        client: TelegramClient, api: FakeBotApi, staff_chat: bool) -> None:
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    refused = failure(client, 7003, staff_chat=staff_chat)
    assert refused.permanent and not refused.unreachable
    assert "chat not found" in refused.reason.lower()
    api.fail_next("sendMessage", 502, "Bad Gateway")
    outage = failure(client, 7003, staff_chat=staff_chat)
    assert not outage.permanent and outage.retry_after is None
    assert outage.reason == "Telegram answered Bad Gateway"


def test_a_rejected_token_waits_for_a_fix_for_people_and_fails_a_staff_alert(
        api: FakeBotApi) -> None:
    wrong = TelegramClient("999:wrong", "https://api.telegram.org/bot", request=FakeRequest(api))
    try:
        person = failure(wrong, 7004, staff_chat=False)
        staff = failure(wrong, 7004, staff_chat=True)
    finally:
        wrong.close()
    assert person.reason == staff.reason == "Telegram rejected TELEGRAM_BOT_TOKEN"
    assert not person.permanent and staff.permanent


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/bot"


def test_an_unreachable_telegram_is_named_without_the_token_on_the_outbox_path(
        make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(telegram_bot_token=TOKEN, telegram_api_base_url=closed_port_url())
    sender = TelegramSender(runtime)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(Delivery(key="k", kind="notice", recipient="7005", replies=(Text("Hi"),)))
    assert failed.value.reason == "Telegram unreachable: ConnectError"
    assert not failed.value.permanent
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def telegram_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("telegram")]


def test_replies_outbox_sends_and_staff_alerts_share_one_loop_thread(
        make_runtime: Callable[..., Runtime]) -> None:
    with FakeTelegramServer() as server:
        runtime = make_runtime(telegram_bot_token=TOKEN, telegram_staff_chat_id=STAFF_CHAT,
                               telegram_api_base_url=server.base_url)
        before = len(telegram_threads())
        senders = build_senders(runtime)
        outbox, staff = senders["telegram"], senders["staff_telegram"]
        assert isinstance(outbox, TelegramSender) and isinstance(staff, StaffTelegramSender)
        service = service_for(runtime, Bot(runtime))
        assert isinstance(service, TelegramService)
        service.start()
        try:
            service.wait_started(10)
            outbox.send(Delivery(key="r", kind="reminder", recipient="7006",
                                 replies=(Text("Your consultation is tomorrow."),)))
            staff.send(Delivery(key="s", kind="staff_alert", recipient=STAFF_CHAT,
                                replies=(Text("New booking: Anna"),)))
            assert len(telegram_threads()) == before + 1
            assert outbox.client is client_for(runtime)
            assert client_for(runtime).loop is loop_for(runtime)
            assert [m["text"] for m in server.api.sent(7006)] == ["Your consultation is tomorrow."]
            assert [m["text"] for m in server.api.sent(int(STAFF_CHAT))] == ["New booking: Anna"]
        finally:
            service.stop()
        assert service_for(runtime, Bot(runtime)) is not service  # a stopped one is forgotten
        runtime.services.close()
        assert len(telegram_threads()) == before

"""Sending first through the outbox: pace, RetryAfter, blocked bots, partial deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.engine import Bot
from bot.identifiers import find_conversation
from bot.messages import Choice, Choices, Document, Inbound, Text
from channels.delivery import Delivery, DeliveryFailed
from channels.telegram.limits import RateLimiter
from channels.telegram.sender import TelegramSender, build_sender
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.crypto import new_key
from tests.channels.fake_telegram import TOKEN, FakeBotApi, FakeRequest
from tests.fixtures import close_runtime, runtime_for

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class VirtualTime:
    """A monotonic clock that only sleeping moves; records each sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def runtime(database_url: str, clock: ManualClock) -> Iterator[Runtime]:
    rt = runtime_for(database_url=database_url, data_encryption_key=new_key(),
                                     telegram_bot_token=TOKEN, clock=clock)
    yield rt
    close_runtime(rt)


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def sender(runtime: Runtime, api: FakeBotApi, time: VirtualTime) -> Iterator[TelegramSender]:
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    s = TelegramSender(runtime, request=FakeRequest(api), limiter=limiter)
    yield s
    s.close()


ICS = Document("consultation.ics", "Add it to your calendar", "text/calendar",
               content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")


def reminder(key: str = "reminder:1:24h", chat: str = "6001") -> Delivery:
    return Delivery(key=key, kind="reminder", recipient=chat, replies=(
        Text("Your consultation is tomorrow at 10:00."),
        ICS,
        Choices("Can you come?", (Choice("yes", "Yes"), Choice("cancel", "Cancel it")), "9"),
    ))


def test_a_delivery_goes_out_as_messages_and_a_document(sender: TelegramSender, api: FakeBotApi,
                                                        time: VirtualTime) -> None:
    message_id = sender.send(reminder())
    sent = api.sent(6001)
    assert [m.get("text") or m["document"]["file_name"] for m in sent] == [
        "Your consultation is tomorrow at 10:00.", "consultation.ics", "Can you come?"]
    assert message_id == str(sent[-1]["message_id"])
    assert [b[0]["callback_data"] for b in sent[-1]["reply_markup"]["inline_keyboard"]] == [
        "9:yes", "9:cancel"]
    assert api.calls_to("sendDocument")[0].files["document"] == (
        "consultation.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert time.sleeps == [1.0, 1.0]  # one message a second within a chat


def test_retry_after_pauses_and_the_retry_continues_where_it_stopped(
        sender: TelegramSender, api: FakeBotApi, time: VirtualTime) -> None:
    api.fail_next("sendDocument", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(reminder())
    assert failed.value.retry_after == 7.0
    assert not failed.value.permanent and not failed.value.unreachable
    assert len(api.sent(6001)) == 1

    started = time.now
    sender.send(reminder())  # the outbox's retry of the same delivery
    assert [m.get("text") or m["document"]["file_name"] for m in api.sent(6001)] == [
        "Your consultation is tomorrow at 10:00.", "consultation.ics", "Can you come?"]
    assert time.now - started >= 7.0  # the pause was honoured before sending again


def test_a_person_who_blocked_the_bot_is_marked_and_not_retried(
        runtime: Runtime, sender: TelegramSender, api: FakeBotApi) -> None:
    Bot(runtime).handle(Inbound(channel="telegram", user_id="6002", message_id="u1",
                                text="/start"))
    api.blocked_chats.add(6002)
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(reminder(chat="6002"))
    assert failed.value.unreachable and failed.value.permanent
    with runtime.db.transaction() as session:
        conversation = find_conversation(session, runtime.cipher, "telegram", "6002")
    assert conversation is not None
    assert conversation.unreachable


def test_a_refused_message_is_permanent_and_an_outage_is_not(
        sender: TelegramSender, api: FakeBotApi) -> None:
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(DeliveryFailed) as refused:
        sender.send(reminder(key="a"))
    assert refused.value.permanent
    api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(DeliveryFailed) as outage:
        sender.send(reminder(key="b"))
    assert not outage.value.permanent and outage.value.retry_after is None
    with pytest.raises(DeliveryFailed) as not_a_chat:
        sender.send(reminder(key="c", chat="+447700900123x"))
    assert not_a_chat.value.permanent


def test_no_token_no_sender(database_url: str, clock: ManualClock) -> None:
    runtime = runtime_for(database_url=database_url,
                                          data_encryption_key=new_key(), clock=clock)
    try:
        assert build_sender(runtime) is None
    finally:
        close_runtime(runtime)


def test_the_pace_is_thirty_a_second_overall_and_one_a_second_per_chat(
        time: VirtualTime) -> None:
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    start = time.now
    for chat in range(60):
        limiter.wait(chat)
    assert time.now - start == pytest.approx(59 / 30)
    start = time.now
    for _ in range(3):
        limiter.wait("same")
    assert time.now - start == pytest.approx(2.0, abs=0.05)


def test_a_pause_holds_everyone_back(time: VirtualTime) -> None:
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    limiter.pause(12)
    assert limiter.wait(1) == pytest.approx(12)
    assert datetime.now(UTC)  # real time untouched: nothing here slept for real

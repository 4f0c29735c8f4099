"""Outbox keys are built in one place and read back to what they name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plumbing import outbox_keys
from plumbing.outbox_keys import KeyKind, OutboxKey


@pytest.mark.parametrize(("key", "named"), [
    (outbox_keys.meeting_link(17, "8812"), OutboxKey(KeyKind.MEETING_LINK, booking_id=17)),
    (outbox_keys.meeting_failed(17), OutboxKey(KeyKind.MEETING_FAILED, booking_id=17)),
    (outbox_keys.reminder(17, datetime(2026, 3, 3, 9, 40, tzinfo=UTC), 24),
     OutboxKey(KeyKind.REMINDER, booking_id=17, reminder_start="20260303T0940Z")),
    (outbox_keys.cancellation(17), OutboxKey(KeyKind.CANCELLATION, booking_id=17)),
    (outbox_keys.staff_alert("booking_moved", 17, "email", "ab12"),
     OutboxKey(KeyKind.STAFF_ALERT, booking_id=17, alert="booking_moved")),
    (outbox_keys.staff_alert("handoff", 5, "email", "ab12", instance="20260303T094000.000001"),
     OutboxKey(KeyKind.STAFF_ALERT, conversation_id=5, alert="handoff")),
    (outbox_keys.staff_reply(9, "n" * 80), OutboxKey(KeyKind.STAFF_REPLY, request_id=9)),
    (outbox_keys.chat_reply("SM123"), OutboxKey(KeyKind.CHAT_REPLY)),
    ("something-else:17", OutboxKey(KeyKind.OTHER)),
    ("reminder:１７:x:24h", OutboxKey(KeyKind.REMINDER, booking_id=None, reminder_start="x")),
])
def test_a_key_reads_back_to_what_it_names(key: str, named: OutboxKey) -> None:
    assert outbox_keys.parse(key) == named


def test_a_prefix_matches_every_key_of_that_booking_and_no_other() -> None:
    prefix = outbox_keys.prefix(KeyKind.MEETING_LINK, 1)
    assert outbox_keys.meeting_link(1, "a").startswith(prefix)
    assert not outbox_keys.meeting_link(12, "a").startswith(prefix)
    assert outbox_keys.staff_reply(1, "nonce") == "staff_reply:1:nonce"

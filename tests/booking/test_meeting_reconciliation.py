"""A create that Zoom carried out but answered too late: exactly one meeting, one link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import respx
from sqlmodel import select

from booking.meetings import backoff
from booking.models import MeetingStatus
from bot.notices.booking_notices import run_meeting_sync
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage
from tests.booking.fake_zoom import FakeZoom
from tests.booking.test_meetings import load, new_booking
from tests.fixtures import ZOOM_SETTINGS


def links(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage)).all())


def test_a_late_create_is_found_not_made_again(
        any_database_url: str, make_runtime: Callable[..., Runtime], zoom: respx.MockRouter,
        clock: ManualClock) -> None:
    runtime = make_runtime(database_url=any_database_url, **ZOOM_SETTINGS)
    fake = FakeZoom(zoom)
    fake.answer_late()
    booking_id = new_booking(runtime)

    assert run_meeting_sync(runtime) == 0  # Zoom made it; we did not hear back
    assert len(fake.meetings) == 1
    assert load(runtime, booking_id).meeting_id is None
    clock.advance(backoff(1))
    assert run_meeting_sync(runtime) == 1

    [(meeting_id, meeting)] = fake.meetings.items()
    assert fake.deleted == []
    booking = load(runtime, booking_id)
    assert (booking.meeting_status, booking.meeting_id, booking.join_url) == \
        (MeetingStatus.READY, meeting_id, meeting["join_url"])
    assert booking.start_url == meeting["start_url"] and booking.meeting_password == "pw"
    assert "consultbot-booking-" in str(meeting["agenda"])
    assert len(links(runtime)) == 1  # the link is queued once
    clock.advance(timedelta(hours=1))
    assert run_meeting_sync(runtime) == 0 and len(fake.meetings) == 1


def test_a_worker_that_died_mid_create_is_reconciled_after_its_lease(
        database_url: str, make_runtime: Callable[..., Runtime], zoom: respx.MockRouter,
        clock: ManualClock) -> None:
    from booking.meetings import LEASE, claim, perform

    runtime = make_runtime(database_url=database_url, **ZOOM_SETTINGS)
    fake = FakeZoom(zoom)
    booking_id = new_booking(runtime)
    [job] = claim(runtime.db, clock(), 5)
    from booking.zoom import ZoomClient

    client = ZoomClient(account_id="acc", client_id="cid", client_secret="secret",
                        api_base_url=ZOOM_SETTINGS["zoom_api_base_url"],
                        oauth_url=ZOOM_SETTINGS["zoom_oauth_url"], clock=clock)
    perform(client, job, "Free consultation")  # made at Zoom; the worker dies before storing
    clock.advance(LEASE + timedelta(seconds=1))
    assert run_meeting_sync(runtime) == 1
    assert len(fake.meetings) == 1
    assert load(runtime, booking_id).meeting_id == next(iter(fake.meetings))
    client.close()

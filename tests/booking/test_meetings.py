"""Meeting jobs against a fake Zoom (respx): create, retry, refuse, move, delete, races."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from sqlmodel import Session, select

from booking import service
from booking.meetings import Job, backoff, claim, run_job, sync_meetings
from booking.models import Booking, BookingStatus, MeetingStatus
from booking.zoom import FallbackMeetings, ZoomClient, meeting_topic
from bot.identifiers import new_conversation
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from tests.fixtures import START, ZOOM_API, ZOOM_OAUTH, ZOOM_SETTINGS

API, OAUTH = ZOOM_API, ZOOM_OAUTH
TUE_0900 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
TUE_0940 = TUE_0900 + timedelta(minutes=40)


@pytest.fixture
def rt(any_database_url: str, make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(database_url=any_database_url, **ZOOM_SETTINGS)


@pytest.fixture
def client(clock: ManualClock) -> Iterator[ZoomClient]:
    c = ZoomClient(account_id="acc", client_id="cid", client_secret="secret",
                   api_base_url=API, oauth_url=OAUTH, clock=clock)
    yield c
    c.close()


def created(meeting_id: int) -> httpx.Response:
    return httpx.Response(201, json={
        "id": meeting_id, "join_url": f"https://zoom.test/j/{meeting_id}?pwd=p",
        "start_url": f"https://zoom.test/s/{meeting_id}?zak=host", "password": "pw"})


class Ready:
    """Records on_ready (or on_failed) calls, checking each runs inside the storing
    transaction."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str | None, str]] = []

    def __call__(self, session: Session, booking: Booking) -> None:
        assert session.in_transaction()
        assert booking.id is not None
        self.calls.append((booking.id, booking.meeting_id, booking.meeting_status))


def new_booking(rt: Runtime, user: str = "anna", start: datetime = TUE_0900) -> int:
    with rt.db.transaction() as session:
        conversation = new_conversation(rt.cipher, channel="console", user_id=user,
                                        state="menu", created_at=START, updated_at=START)
        session.add(conversation)
        session.flush()
        booking = service.book(session, rt.settings, rt.clock(),
                               conversation_id=conversation.id, start=start,
                               request_key=f"{user}:1", channel="console",
                               language="en", applicant_timezone="Asia/Tehran")
        assert booking.meeting_status == MeetingStatus.PENDING
        return booking.id


def load(rt: Runtime, booking_id: int) -> Booking:
    with rt.db.transaction() as session:
        return session.exec(select(Booking).where(Booking.id == booking_id)).one()


def unexpected(session: Session, booking: Booking) -> None:
    raise AssertionError(f"on_failed for booking {booking.id}")


def sync(rt: Runtime, meetings, ready: Ready, failed=unexpected) -> int:  # type: ignore[no-untyped-def]
    return sync_meetings(rt.db, meetings, rt.clock, on_ready=ready, on_failed=failed,
                         topic=meeting_topic(rt.settings.company_name))


def test_a_booking_gets_its_meeting(rt: Runtime, zoom: respx.MockRouter,
                                    client: ZoomClient) -> None:
    route = zoom.post(f"{API}/users/me/meetings").mock(return_value=created(111))
    booking_id = new_booking(rt)
    ready = Ready()
    assert sync(rt, client, ready) == 1
    body = json.loads(route.calls.last.request.content)
    assert body["topic"] == "Free consultation — The Human Rights"
    assert (body["start_time"], body["duration"], body["timezone"]) == \
        ("2026-03-03T09:00:00Z", 30, "Europe/London")
    assert body["settings"]["waiting_room"] is True
    booking = load(rt, booking_id)
    assert (booking.meeting_status, booking.meeting_id, booking.join_url, booking.start_url,
            booking.meeting_password) == (MeetingStatus.READY, "111", "https://zoom.test/j/111?pwd=p",
                                          "https://zoom.test/s/111?zak=host", "pw")
    assert booking.meeting_claimed_until is None
    assert ready.calls == [(booking_id, "111", MeetingStatus.READY)]
    assert sync(rt, client, ready) == 0 and route.call_count == 1  # nothing left to do


@pytest.mark.parametrize(
    ("failure", "wait"),
    [
        (httpx.Response(503, json={"message": "busy"}), backoff(1)),
        (httpx.Response(429, headers={"Retry-After": "120"}, json={"code": 429}),
         timedelta(seconds=120)),
        (httpx.ConnectTimeout("slow"), backoff(1)),
    ],
)
def test_transient_failures_are_retried_later(rt: Runtime, zoom: respx.MockRouter,
                                              client: ZoomClient, clock: ManualClock,
                                              failure, wait: timedelta) -> None:  # type: ignore[no-untyped-def]
    route = zoom.post(f"{API}/users/me/meetings").mock(side_effect=[failure, created(222)])
    booking_id = new_booking(rt)
    ready = Ready()
    assert sync(rt, client, ready) == 0
    booking = load(rt, booking_id)
    assert (booking.meeting_status, booking.meeting_attempts) == (MeetingStatus.PENDING, 1)
    assert booking.meeting_next_attempt_at == START + wait
    assert booking.meeting_error and "secret" not in booking.meeting_error
    clock.advance(wait - timedelta(seconds=1))
    assert sync(rt, client, ready) == 0 and route.call_count == 1  # not due yet
    clock.advance(timedelta(seconds=1))
    assert sync(rt, client, ready) == 1
    booking = load(rt, booking_id)
    assert (booking.meeting_status, booking.meeting_id, booking.meeting_error) == \
        (MeetingStatus.READY, "222", None)
    assert ready.calls == [(booking_id, "222", MeetingStatus.READY)]


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30) == timedelta(hours=1)


def test_a_refusal_marks_the_meeting_failed_for_staff(rt: Runtime, zoom: respx.MockRouter,
                                                      client: ZoomClient) -> None:
    zoom.post(f"{API}/users/me/meetings").mock(return_value=httpx.Response(
        400, json={"code": 300, "message": "Invalid meeting settings"}))
    booking_id = new_booking(rt)
    ready, failed = Ready(), Ready()
    assert sync(rt, client, ready, failed) == 0
    booking = load(rt, booking_id)
    assert booking.meeting_status == MeetingStatus.FAILED
    assert "Invalid meeting settings" in (booking.meeting_error or "")
    assert booking.status == "confirmed"  # the booking stands
    assert ready.calls == []
    assert failed.calls == [(booking_id, None, MeetingStatus.FAILED)]  # staff and person are told
    assert sync(rt, client, ready, failed) == 0 and len(failed.calls) == 1  # once


def test_a_refused_move_is_reported_a_refused_delete_is_not(
        rt: Runtime, zoom: respx.MockRouter, client: ZoomClient) -> None:
    zoom.post(f"{API}/users/me/meetings").mock(return_value=created(888))
    refusal = httpx.Response(400, json={"code": 300, "message": "Invalid start time"})
    zoom.patch(f"{API}/meetings/888").mock(return_value=refusal)
    remove = zoom.delete(f"{API}/meetings/888").mock(return_value=refusal)
    old_id = new_booking(rt)
    ready, failed = Ready(), Ready()
    sync(rt, client, ready, failed)
    with rt.db.transaction() as session:
        old = session.get(Booking, old_id)
        new_id = service.reschedule(session, rt.settings, rt.clock(), booking_id=old_id,
                                    conversation_id=old.conversation_id, start=TUE_0940,
                                    request_key="anna:2").id
    assert sync(rt, client, ready, failed) == 0
    assert failed.calls == [(new_id, "888", MeetingStatus.FAILED)]  # the meeting is at the old time
    with rt.db.transaction() as session:
        service.cancel(session, new_id, rt.clock(), by="applicant")
    assert sync(rt, client, ready, failed) == 0
    assert remove.call_count == 1 and load(rt, new_id).meeting_status == MeetingStatus.FAILED
    assert len(failed.calls) == 1  # a cancelled booking needs no link


def test_reschedule_moves_the_meeting_and_cancel_deletes_it(
        rt: Runtime, zoom: respx.MockRouter, client: ZoomClient) -> None:
    zoom.post(f"{API}/users/me/meetings").mock(return_value=created(333))
    patch = zoom.patch(f"{API}/meetings/333").mock(return_value=httpx.Response(204))
    remove = zoom.delete(f"{API}/meetings/333").mock(return_value=httpx.Response(204))
    old_id = new_booking(rt)
    ready = Ready()
    sync(rt, client, ready)
    with rt.db.transaction() as session:
        old = session.get(Booking, old_id)
        new = service.reschedule(session, rt.settings, rt.clock(), booking_id=old_id,
                                 conversation_id=old.conversation_id, start=TUE_0940,
                                 request_key="anna:2")
        new_id = new.id
    assert sync(rt, client, ready) == 1
    assert json.loads(patch.calls.last.request.content)["start_time"] == "2026-03-03T09:40:00Z"
    assert load(rt, new_id).meeting_status == MeetingStatus.READY
    assert ready.calls[-1] == (new_id, "333", MeetingStatus.READY)
    with rt.db.transaction() as session:
        service.cancel(session, new_id, rt.clock(), by="applicant")
    assert load(rt, new_id).meeting_status == MeetingStatus.DELETE
    assert sync(rt, client, ready) == 1
    assert remove.call_count == 1
    assert load(rt, new_id).meeting_status == MeetingStatus.DELETED
    assert len(ready.calls) == 2  # no link message for a deletion


def test_a_claimed_job_is_not_taken_twice_until_its_lease_expires(
        rt: Runtime, clock: ManualClock) -> None:
    booking_id = new_booking(rt)
    first = claim(rt.db, clock(), 10)
    assert [j.booking_id for j in first] == [booking_id]
    assert claim(rt.db, clock(), 10) == []
    clock.advance(timedelta(minutes=6))  # the worker holding it died
    assert [j.booking_id for j in claim(rt.db, clock(), 10)] == [booking_id]


def test_cancelled_while_the_meeting_was_being_made(rt: Runtime, zoom: respx.MockRouter,
                                                    client: ZoomClient) -> None:
    booking_id = new_booking(rt)

    def person_cancels_meanwhile(request: httpx.Request) -> httpx.Response:
        # Runs while the worker waits for Zoom: it must not hold a database transaction.
        with rt.db.transaction() as session:
            service.cancel(session, booking_id, rt.clock(), by="applicant")
        return created(444)

    zoom.post(f"{API}/users/me/meetings").mock(side_effect=person_cancels_meanwhile)
    remove = zoom.delete(f"{API}/meetings/444").mock(return_value=httpx.Response(204))
    ready = Ready()
    sync(rt, client, ready)
    booking = load(rt, booking_id)
    assert (booking.status, booking.meeting_id, booking.meeting_status) == \
        (BookingStatus.CANCELLED, "444", MeetingStatus.DELETE)
    assert ready.calls == []  # no link for a cancelled booking
    sync(rt, client, ready)
    assert remove.call_count == 1 and load(rt, booking_id).meeting_status == MeetingStatus.DELETED


def test_rescheduled_while_the_meeting_was_being_made(rt: Runtime, zoom: respx.MockRouter,
                                                      client: ZoomClient) -> None:
    old_id = new_booking(rt)
    moved: dict[str, int] = {}

    def person_moves_meanwhile(request: httpx.Request) -> httpx.Response:
        with rt.db.transaction() as session:
            old = session.get(Booking, old_id)
            moved["id"] = service.reschedule(
                session, rt.settings, rt.clock(), booking_id=old_id,
                conversation_id=old.conversation_id, start=TUE_0940, request_key="anna:2").id
        return created(555)

    zoom.post(f"{API}/users/me/meetings").mock(side_effect=person_moves_meanwhile)
    patch = zoom.patch(f"{API}/meetings/555").mock(return_value=httpx.Response(204))
    ready = Ready()
    sync(rt, client, ready)
    new = load(rt, moved["id"])
    assert (new.meeting_id, new.meeting_status) == ("555", MeetingStatus.UPDATE)  # handed on
    assert ready.calls == []
    sync(rt, client, ready)
    assert json.loads(patch.calls.last.request.content)["start_time"] == "2026-03-03T09:40:00Z"
    assert ready.calls == [(moved["id"], "555", MeetingStatus.READY)]
    creates = [c for c in zoom.calls if c.request.method == "POST"
               and c.request.url.path.endswith("/meetings")]
    assert len(creates) == 1  # one meeting in all: no second create


def test_a_meeting_zoom_lost_is_made_again(rt: Runtime, zoom: respx.MockRouter,
                                           client: ZoomClient) -> None:
    zoom.post(f"{API}/users/me/meetings").mock(side_effect=[created(666), created(777)])
    zoom.patch(f"{API}/meetings/666").mock(return_value=httpx.Response(
        404, json={"code": 3001, "message": "Meeting does not exist"}))
    old_id = new_booking(rt)
    ready = Ready()
    sync(rt, client, ready)
    with rt.db.transaction() as session:
        old = session.get(Booking, old_id)
        new_id = service.reschedule(session, rt.settings, rt.clock(), booking_id=old_id,
                                    conversation_id=old.conversation_id, start=TUE_0940,
                                    request_key="anna:2").id
    sync(rt, client, ready)
    assert load(rt, new_id).meeting_status == MeetingStatus.PENDING
    sync(rt, client, ready)
    booking = load(rt, new_id)
    assert (booking.meeting_id, booking.meeting_status) == ("777", MeetingStatus.READY)


def test_the_time_passed_before_zoom_answered(rt: Runtime, clock: ManualClock) -> None:
    booking_id = new_booking(rt)
    clock.set(TUE_0900)
    ready = Ready()
    assert sync(rt, FallbackMeetings("https://meet.example/room"), ready) == 0  # no on_failed
    assert load(rt, booking_id).meeting_status == MeetingStatus.FAILED


def test_fallback_link_without_zoom(rt: Runtime) -> None:
    booking_id = new_booking(rt)
    ready = Ready()
    assert sync(rt, FallbackMeetings("https://meet.example/room"), ready) == 1
    booking = load(rt, booking_id)
    assert (booking.meeting_status, booking.join_url) == (MeetingStatus.READY,
                                                          "https://meet.example/room")
    assert ready.calls == [(booking_id, booking.meeting_id, MeetingStatus.READY)]



def test_a_late_answer_from_a_worker_whose_lease_ran_out(rt: Runtime, zoom: respx.MockRouter,
                                                         client: ZoomClient,
                                                         clock: ManualClock) -> None:
    """Zoom answers the first worker after a second one re-claimed the booking, before
    the second's answer: the booking keeps one meeting and the other is deleted."""
    booking_id = new_booking(rt)
    ready = Ready()
    taken_over: list[Job] = []

    def slow_zoom(request: httpx.Request) -> httpx.Response:
        if not taken_over:  # the first worker's call: its lease runs out meanwhile
            clock.advance(timedelta(minutes=6))
            taken_over.extend(claim(rt.db, clock(), 10))
            return created(111)
        return created(222)

    zoom.post(f"{API}/users/me/meetings").mock(side_effect=slow_zoom)
    delete_111 = zoom.delete(f"{API}/meetings/111").mock(return_value=httpx.Response(204))
    delete_222 = zoom.delete(f"{API}/meetings/222").mock(return_value=httpx.Response(204))
    sync(rt, client, ready)  # the first worker stores 111 though its lease ran out
    assert [job.booking_id for job in taken_over] == [booking_id]
    run_job(rt.db, client, taken_over[0], rt.clock, on_ready=ready, on_failed=unexpected,
            topic="Free consultation")  # the second worker's 222 arrives later
    sync(rt, client, ready)
    booking = load(rt, booking_id)
    assert (booking.status, booking.meeting_id, booking.meeting_status) == \
        (BookingStatus.CONFIRMED, "111", MeetingStatus.READY)
    assert ready.calls == [(booking_id, "111", MeetingStatus.READY)]
    assert (delete_111.call_count, delete_222.call_count) == (0, 1)

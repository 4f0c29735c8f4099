"""ZoomClient against a fake Zoom (respx): tokens, meetings and every failure class."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from booking.zoom import (
    FallbackMeetings,
    ZoomClient,
    ZoomMeeting,
    ZoomRejected,
    ZoomUnavailable,
    meeting_topic,
    parse_retry_after,
)

API = "https://zoom.test/v2"
OAUTH = "https://zoom.test/oauth/token"
SECRET = "s3cr3t-client-secret"
START = datetime(2030, 3, 4, 10, 30, tzinfo=UTC)


class Clock:
    """A hand-moved clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2030, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def zoom() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(clock: Clock) -> Iterator[ZoomClient]:
    c = ZoomClient(
        account_id="acc-1",
        client_id="cid",
        client_secret=SECRET,
        api_base_url=API,
        oauth_url=OAUTH,
        clock=clock,
    )
    yield c
    c.close()


def token_route(router: respx.MockRouter, *tokens: str, expires_in: int = 3600) -> respx.Route:
    responses = [
        httpx.Response(
            200, json={"access_token": t, "token_type": "bearer", "expires_in": expires_in}
        )
        for t in tokens
    ]
    return router.post(OAUTH).mock(side_effect=responses)


def created(meeting_id: int = 85746065432) -> httpx.Response:
    return httpx.Response(
        201,
        json={
            "id": meeting_id,
            "join_url": f"https://zoom.test/j/{meeting_id}?pwd=abc",
            "start_url": f"https://zoom.test/s/{meeting_id}?zak=host-token",
            "password": "Xy12",
            "topic": "ignored",
        },
    )


def create(client: ZoomClient) -> ZoomMeeting:
    return client.create_meeting(
        topic=meeting_topic("The Human Rights"),
        start=START,
        duration_minutes=30,
        timezone="Europe/London",
    )


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_token_request_uses_account_credentials_and_basic_auth(zoom, client):
    tokens = token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(return_value=created())

    create(client)

    request = tokens.calls.last.request
    query = parse_qs(urlsplit(str(request.url)).query)
    assert query == {"grant_type": ["account_credentials"], "account_id": ["acc-1"]}
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"cid:{SECRET}"


def test_create_sends_utc_start_waiting_room_and_no_personal_data(zoom, client):
    token_route(zoom, "tok-1")
    route = zoom.post(f"{API}/users/me/meetings").mock(return_value=created(123))
    local_start = START.astimezone(ZoneInfo("Asia/Tokyo"))

    meeting = client.create_meeting(
        topic=meeting_topic("The Human Rights"),
        start=local_start,
        duration_minutes=45,
        timezone="Asia/Tokyo",
    )

    request = route.calls.last.request
    body = json.loads(request.content)
    assert body == {
        "topic": "Free consultation — The Human Rights",
        "type": 2,
        "start_time": "2030-03-04T10:30:00Z",
        "duration": 45,
        "timezone": "Asia/Tokyo",
        "settings": {"waiting_room": True, "join_before_host": False},
    }
    assert bearer(request) == "tok-1"
    assert meeting == ZoomMeeting(
        meeting_id="123",
        join_url="https://zoom.test/j/123?pwd=abc",
        start_url="https://zoom.test/s/123?zak=host-token",
        password="Xy12",
    )


def test_meeting_without_password_or_start_url(zoom, client):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(
        return_value=httpx.Response(201, json={"id": 7, "join_url": "https://zoom.test/j/7"})
    )
    meeting = create(client)
    assert (meeting.meeting_id, meeting.start_url, meeting.password) == ("7", None, None)


def test_token_is_fetched_once_and_reused(zoom, client, clock):
    tokens = token_route(zoom, "tok-1", "tok-2")
    meetings = zoom.post(f"{API}/users/me/meetings").mock(side_effect=[created(1), created(2)])

    create(client)
    clock.now += timedelta(minutes=50)
    create(client)

    assert tokens.call_count == 1
    assert [bearer(c.request) for c in meetings.calls] == ["tok-1", "tok-1"]


def test_token_is_refreshed_shortly_before_expiry(zoom, client, clock):
    tokens = token_route(zoom, "tok-1", "tok-2")
    meetings = zoom.post(f"{API}/users/me/meetings").mock(side_effect=[created(1), created(2)])

    create(client)
    clock.now += timedelta(seconds=3600 - 30)  # inside the safety margin
    create(client)

    assert tokens.call_count == 2
    assert [bearer(c.request) for c in meetings.calls] == ["tok-1", "tok-2"]


def test_expired_token_401_is_refreshed_and_retried_once(zoom, client):
    tokens = token_route(zoom, "tok-1", "tok-2")
    meetings = zoom.post(f"{API}/users/me/meetings").mock(
        side_effect=[
            httpx.Response(401, json={"code": 124, "message": "Access token is expired."}),
            created(9),
        ]
    )

    meeting = create(client)

    assert meeting.meeting_id == "9"
    assert tokens.call_count == 2
    assert [bearer(c.request) for c in meetings.calls] == ["tok-1", "tok-2"]


def test_second_401_is_rejected_without_more_attempts(zoom, client):
    tokens = token_route(zoom, "tok-1", "tok-2", "tok-3")
    meetings = zoom.post(f"{API}/users/me/meetings").mock(
        return_value=httpx.Response(401, json={"code": 124, "message": "Invalid access token."})
    )

    with pytest.raises(ZoomRejected) as info:
        create(client)

    assert info.value.status_code == 401
    assert info.value.zoom_code == 124
    assert tokens.call_count == 2
    assert meetings.call_count == 2


def test_429_with_retry_after_seconds(zoom, client):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(
        return_value=httpx.Response(
            429,
            headers={"Retry-After": "17"},
            json={"code": 429, "message": "You have reached the maximum per-second rate limit."},
        )
    )
    with pytest.raises(ZoomUnavailable) as info:
        create(client)
    assert info.value.retry_after == 17
    assert info.value.status_code == 429


def test_429_with_retry_after_instant_is_measured_from_injected_clock(zoom, client, clock):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "2030-03-02T00:00:00Z"})
    )
    with pytest.raises(ZoomUnavailable) as info:
        create(client)
    assert info.value.retry_after == 15 * 3600  # clock reads 2030-03-01 09:00 UTC


def test_429_daily_limit_without_header_waits_for_utc_midnight(zoom, client, clock):
    token_route(zoom, "tok-1")
    message = (
        "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests"
        " permitted for this particular user. You may resume these requests at GMT 00:00:00."
    )
    zoom.post(f"{API}/users/me/meetings").mock(
        return_value=httpx.Response(429, json={"code": 429, "message": message})
    )
    with pytest.raises(ZoomUnavailable) as info:
        create(client)
    assert info.value.retry_after == 15 * 3600


def test_429_without_any_hint_has_no_retry_after(zoom, client):
    token_route(zoom, "tok-1")
    zoom.delete(f"{API}/meetings/5").mock(return_value=httpx.Response(429))
    with pytest.raises(ZoomUnavailable) as info:
        client.delete_meeting("5")
    assert info.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(zoom, client, status):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(return_value=httpx.Response(status))
    with pytest.raises(ZoomUnavailable) as info:
        create(client)
    assert info.value.status_code == status


def test_timeout_is_transient(zoom, client):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ZoomUnavailable, match="in time"):
        create(client)


def test_connection_error_is_transient(zoom, client):
    zoom.post(OAUTH).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ZoomUnavailable, match="could not reach"):
        create(client)


def test_400_is_rejected_with_zoom_code(zoom, client):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(
        return_value=httpx.Response(400, json={"code": 300, "message": "Invalid meeting start"})
    )
    with pytest.raises(ZoomRejected) as info:
        create(client)
    assert (info.value.status_code, info.value.zoom_code) == (400, 300)
    assert "Invalid meeting start" in str(info.value)


def test_bad_credentials_are_rejected(zoom, client):
    zoom.post(OAUTH).mock(
        return_value=httpx.Response(
            400, json={"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        )
    )
    with pytest.raises(ZoomRejected) as info:
        create(client)
    assert info.value.status_code == 400
    assert SECRET not in str(info.value)


def test_token_endpoint_outage_is_transient_and_not_cached(zoom, client):
    zoom.post(OAUTH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json={"access_token": "tok-2", "expires_in": 3600}),
        ]
    )
    zoom.post(f"{API}/users/me/meetings").mock(return_value=created(3))
    with pytest.raises(ZoomUnavailable):
        create(client)
    assert create(client).meeting_id == "3"


def test_create_answer_without_join_url_is_transient(zoom, client):
    token_route(zoom, "tok-1")
    zoom.post(f"{API}/users/me/meetings").mock(return_value=httpx.Response(201, json={"id": 4}))
    with pytest.raises(ZoomUnavailable):
        create(client)


def test_update_patches_time_in_utc(zoom, client):
    token_route(zoom, "tok-1")
    route = zoom.patch(f"{API}/meetings/85746065432").mock(return_value=httpx.Response(204))
    new_start = datetime(2030, 3, 5, 14, 0, tzinfo=ZoneInfo("Europe/London"))

    client.update_meeting(
        "85746065432", start=new_start, duration_minutes=60, timezone="Europe/London"
    )

    assert json.loads(route.calls.last.request.content) == {
        "start_time": "2030-03-05T14:00:00Z",
        "duration": 60,
        "timezone": "Europe/London",
    }


def test_update_of_missing_meeting_is_rejected(zoom, client):
    token_route(zoom, "tok-1")
    zoom.patch(f"{API}/meetings/11").mock(
        return_value=httpx.Response(404, json={"code": 3001, "message": "Meeting does not exist"})
    )
    with pytest.raises(ZoomRejected) as info:
        client.update_meeting("11", start=START, duration_minutes=30, timezone="UTC")
    assert info.value.status_code == 404


def test_delete_succeeds_on_204_and_on_404(zoom, client):
    token_route(zoom, "tok-1")
    gone = zoom.delete(f"{API}/meetings/1").mock(return_value=httpx.Response(204))
    missing = zoom.delete(f"{API}/meetings/2").mock(
        return_value=httpx.Response(404, json={"code": 3001, "message": "Meeting does not exist"})
    )
    client.delete_meeting("1")
    client.delete_meeting("2")
    assert gone.called and missing.called


def test_delete_forbidden_is_rejected(zoom, client):
    token_route(zoom, "tok-1")
    zoom.delete(f"{API}/meetings/1").mock(return_value=httpx.Response(403, json={"code": 200}))
    with pytest.raises(ZoomRejected):
        client.delete_meeting("1")


def test_naive_start_and_bad_zone_are_refused_before_any_call(zoom, client):
    with pytest.raises(ValueError):
        client.create_meeting(
            topic="t", start=START.replace(tzinfo=None), duration_minutes=30, timezone="UTC"
        )
    with pytest.raises(ValueError):
        client.create_meeting(topic="t", start=START, duration_minutes=30, timezone="Mars/Base")
    with pytest.raises(ValueError):
        client.create_meeting(topic="t", start=START, duration_minutes=0, timezone="UTC")
    assert not zoom.calls


def test_threads_share_one_token(zoom, clock):
    second_fetch = threading.Event()
    fetches = 0

    def issue_token(request: httpx.Request) -> httpx.Response:
        # The first fetch holds the door open briefly: an unlocked client lets other
        # threads fetch too, which sets the event and shows up in the count.
        nonlocal fetches
        fetches += 1
        if fetches == 1:
            second_fetch.wait(timeout=0.2)
        else:
            second_fetch.set()
        return httpx.Response(200, json={"access_token": f"tok-{fetches}", "expires_in": 3600})

    zoom.post(OAUTH).mock(side_effect=issue_token)
    meetings = zoom.post(f"{API}/users/me/meetings").mock(return_value=created())
    client = ZoomClient(
        account_id="a",
        client_id="c",
        client_secret=SECRET,
        api_base_url=API,
        oauth_url=OAUTH,
        clock=clock,
        http=httpx.Client(),
    )
    start_together = threading.Barrier(8)
    errors: list[BaseException] = []

    def book() -> None:
        start_together.wait()
        try:
            create(client)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=book) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert fetches == 1
    assert {bearer(c.request) for c in meetings.calls} == {"tok-1"}
    assert meetings.call_count == 8


def test_secrets_stay_out_of_logs_and_reprs(zoom, client, caplog):
    caplog.set_level(logging.DEBUG)
    token_route(zoom, "tok-secret-1", "tok-secret-2")
    zoom.post(f"{API}/users/me/meetings").mock(
        side_effect=[httpx.Response(401, json={"code": 124}), created(55)]
    )
    zoom.delete(f"{API}/meetings/55").mock(return_value=httpx.Response(500))

    meeting = create(client)
    with pytest.raises(ZoomUnavailable) as info:
        client.delete_meeting(meeting.meeting_id)

    shown = caplog.text + repr(meeting) + repr(client) + str(info.value)
    assert "55" in caplog.text
    for secret in (SECRET, "tok-secret-1", "tok-secret-2", "Xy12", "host-token", "pwd=abc"):
        assert secret not in shown


def test_fallback_gives_configured_link_and_ignores_changes(zoom):
    fallback = FallbackMeetings("https://meet.example/room")
    first = fallback.create_meeting(
        topic="t", start=START, duration_minutes=30, timezone="Europe/London"
    )
    second = fallback.create_meeting(
        topic="t", start=START, duration_minutes=30, timezone="Europe/London"
    )
    assert first.join_url == second.join_url == "https://meet.example/room"
    assert first.meeting_id.startswith("fallback-")
    assert first.meeting_id != second.meeting_id
    assert (first.start_url, first.password) == (None, None)
    fallback.update_meeting(first.meeting_id, start=START, duration_minutes=30, timezone="UTC")
    fallback.delete_meeting(first.meeting_id)
    assert not zoom.calls


def test_meeting_topic_names_only_the_company():
    assert meeting_topic("The Human Rights") == "Free consultation — The Human Rights"
    assert meeting_topic("  Acme\n Ltd ") == "Free consultation — Acme Ltd"
    assert len(meeting_topic("x" * 500)) == 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("Fri, 01 Mar 2030 09:02:00 GMT", 120.0),
        ("2030-03-01T10:00:00Z", 3600.0),
        ("2030-03-01T08:00:00Z", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value, expected, clock):
    assert parse_retry_after(value, clock()) == expected

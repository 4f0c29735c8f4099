"""Zoom's far side with state, on respx: meetings are kept, listed, read and deleted.

:meth:`FakeZoom.answer_late` makes the next create *act* (the meeting is made and kept)
and then not answer in time: the client sees ``httpx.ReadTimeout``, as after its own
timeout, without any real waiting.
"""

from __future__ import annotations

import itertools
import json
import re

import httpx
import respx

from tests.conftest import ZOOM_API


class FakeZoom:
    """The meetings of one Zoom user, behind the routes of ``router``."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.meetings: dict[str, dict[str, object]] = {}
        self.deleted: list[str] = []
        self._ids = itertools.count(9001)
        self._late = 0
        router.post(f"{ZOOM_API}/users/me/meetings").mock(side_effect=self._create)
        router["list"].mock(side_effect=self._list)  # the route the fixture made
        one = re.compile(rf"^{re.escape(ZOOM_API)}/meetings/(?P<id>\d+)$")
        router.get(url__regex=one.pattern).mock(side_effect=self._get)
        router.delete(url__regex=one.pattern).mock(side_effect=self._delete)

    def answer_late(self, times: int = 1) -> None:
        """The next ``times`` creates succeed at Zoom but time out at the client."""
        self._late += times

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        meeting_id = str(next(self._ids))
        self.meetings[meeting_id] = {
            "id": int(meeting_id), "topic": body["topic"], "agenda": body.get("agenda", ""),
            "start_time": body["start_time"], "duration": body["duration"],
            "join_url": f"https://zoom.test/j/{meeting_id}?pwd=p",
            "start_url": f"https://zoom.test/s/{meeting_id}?zak=host", "password": "pw"}
        if self._late:
            self._late -= 1
            raise httpx.ReadTimeout("the answer came after the client's timeout",
                                    request=request)
        return httpx.Response(201, json=self.meetings[meeting_id])

    def _list(self, request: httpx.Request) -> httpx.Response:
        listed = [{k: m[k] for k in ("id", "topic", "agenda", "start_time", "duration",
                                      "join_url")} for m in self.meetings.values()]
        return httpx.Response(200, json={"meetings": listed, "next_page_token": "",
                                         "total_records": len(listed)})

    def _get(self, request: httpx.Request, id: str) -> httpx.Response:
        meeting = self.meetings.get(id)
        if meeting is None:
            return httpx.Response(404, json={"code": 3001, "message": "Meeting not found"})
        return httpx.Response(200, json=meeting)

    def _delete(self, request: httpx.Request, id: str) -> httpx.Response:
        if self.meetings.pop(id, None) is None:
            return httpx.Response(404, json={"code": 3001, "message": "Meeting not found"})
        self.deleted.append(id)
        return httpx.Response(204)

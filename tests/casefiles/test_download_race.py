"""Two workers on one database compete for the same downloads: each file is fetched from
Twilio once, stored once and acknowledged once (on SQLite and on PostgreSQL), and a worker
whose lease another took over does not fetch the file again."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.casefiles import downloads
from bot.casefiles.fetching import Fetcher
from bot.casefiles.models import DocumentStatus
from bot.messages import Media
from consultbot.registry import build_fetchers
from consultbot.runtime import Runtime, build_runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from tests.casefiles import samples
from tests.casefiles.helpers import documents
from tests.casefiles.whatsapp import send_file, sent_to_anna, started
from tests.channels.fake_twilio import FakeFileHost, FakeTwilioApi, TwilioWebhooks

FILES = 24  # more than two claim batches: both workers get to claim


class MeetingFetcher:
    """The real WhatsApp fetcher, but each worker's first fetch waits for the other's: both
    hold claims at the same time, so they really compete."""

    def __init__(self, fetcher: Fetcher, meet: threading.Barrier) -> None:
        self.fetcher, self.meet, self.first = fetcher, meet, True

    def fetch(self, media: Media, limit: int) -> bytes:
        if self.first:
            self.first = False
            self.meet.wait(timeout=30)
        return self.fetcher.fetch(media, limit)


@pytest.fixture
def other(wa: Runtime, clock: ManualClock) -> Iterator[Runtime]:
    """A second process's runtime: the same database and key, its own connections."""
    runtime = build_runtime(wa.settings, clock=clock)
    yield runtime
    runtime.db.dispose()


def send_pdfs(wa: Runtime, webhooks: TwilioWebhooks, twilio: FakeTwilioApi,
              cdn: FakeFileHost, clock: ManualClock) -> None:
    started(webhooks, clock)
    for n in range(FILES):
        send_file(webhooks, twilio.add_media(samples.pdf(1 + n % 3), "application/pdf", cdn),
                  "application/pdf")
    assert [d.status for d in documents(wa)] == \
        [DocumentStatus.PENDING] * FILES


def fetched_once_each(twilio: FakeTwilioApi, cdn: FakeFileHost) -> None:
    per_media = Counter(path for path, _ in twilio.media_requests)
    assert len(per_media) == FILES and set(per_media.values()) == {1}, per_media
    assert len(cdn.requests) == FILES


def test_two_workers_at_once_fetch_each_file_once(
        wa: Runtime, other: Runtime, webhooks: TwilioWebhooks,
        twilio: FakeTwilioApi, cdn: FakeFileHost, clock: ManualClock) -> None:
    send_pdfs(wa, webhooks, twilio, cdn, clock)
    workers = [Worker(wa), Worker(other)]
    start, meet = threading.Barrier(len(workers)), threading.Barrier(len(workers))
    meeting = [MeetingFetcher(build_fetchers(w.runtime)["whatsapp"], meet) for w in workers]
    for worker, fetcher in zip(workers, meeting, strict=True):
        worker.fetchers = {"whatsapp": fetcher}
    failed: list[BaseException] = []

    def run(worker: Worker) -> None:
        start.wait()
        try:
            worker.tick()
        except BaseException as exc:  # reported below, not lost in the thread
            failed.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failed == [] and not any(t.is_alive() for t in threads)
    assert not meet.broken and not any(f.first for f in meeting)  # both fetched, at once

    fetched_once_each(twilio, cdn)
    rows = documents(wa)
    assert [(r.status, r.attempts) for r in rows] == [(DocumentStatus.STORED, 1)] * FILES
    acknowledged = Counter(t for t in sent_to_anna(twilio) if t.startswith("Received:"))
    assert sum(acknowledged.values()) == FILES
    assert acknowledged == Counter(
        f"Received: your document, {n} page{'s' if n > 1 else ''}." for n in
        (1 + k % 3 for k in range(FILES)))


def test_a_worker_whose_lease_was_taken_over_does_not_fetch_again(
        wa: Runtime, other: Runtime, webhooks: TwilioWebhooks,
        twilio: FakeTwilioApi, cdn: FakeFileHost, clock: ManualClock) -> None:
    send_pdfs(wa, webhooks, twilio, cdn, clock)
    late = downloads.claim(wa, limit=FILES)  # then this worker stalls past its lease
    assert len(late) == FILES
    clock.advance(downloads.LEASE + timedelta(seconds=1))
    assert downloads.run_downloads(other, build_fetchers(other)) == FILES

    fetchers = build_fetchers(wa)
    assert [downloads.process(wa, fetchers["whatsapp"], held) for held in late] == \
        [None] * FILES  # every one settled by the other worker
    fetched_once_each(twilio, cdn)
    rows = documents(wa)
    assert [(r.status, r.attempts) for r in rows] == [(DocumentStatus.STORED, 2)] * FILES

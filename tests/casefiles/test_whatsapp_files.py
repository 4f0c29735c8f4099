"""WhatsApp files end to end: a signed Twilio webhook carrying media, the download job
fetching it from the fake Twilio (credentials to its API host only, its CDN without them),
what is kept (encrypted, cleaned) or refused, and what the person is told over WhatsApp."""

from __future__ import annotations

import base64
from datetime import timedelta

from bot.casefiles.downloads import run_downloads
from bot.casefiles.models import DocumentStatus, Refusal
from consultbot.registry import build_fetchers
from consultbot.runtime import Runtime
from consultbot.worker import Worker
from plumbing.clock import ManualClock
from tests.casefiles import samples
from tests.casefiles.helpers import documents, outbox_texts, raw_chunks, stored_bytes
from tests.casefiles.whatsapp import BASIC, send_file, sent_to_anna, started
from tests.channels.fake_twilio import FakeFileHost, FakeTwilioApi, TwilioWebhooks


def test_a_pdf_photo_and_voice_note_are_kept_encrypted_and_acknowledged(
        wa: Runtime, webhooks: TwilioWebhooks, twilio: FakeTwilioApi, cdn: FakeFileHost,
        clock: ManualClock) -> None:
    started(webhooks, clock)
    letter, photo, voice = samples.pdf(2), samples.jpeg_with_gps(), samples.ogg_voice(3)
    assert samples.gps_of(photo)  # the photo says where it was taken
    answer = send_file(webhooks, twilio.add_media(letter, "application/pdf", cdn),
                       "application/pdf", caption="Refusal letter from the Home Office")
    assert answer == ""  # nothing fetched inside the webhook: the job answers
    send_file(webhooks, twilio.add_media(photo, "image/jpeg", cdn), "image/jpeg")
    send_file(webhooks, twilio.add_media(voice, "audio/ogg", cdn), "audio/ogg")
    assert [d.status for d in documents(wa)] == [DocumentStatus.PENDING] * 3
    assert not twilio.media_requests and not cdn.requests

    worker = Worker(wa)
    worker.tick()

    pdf_row, photo_row, voice_row = documents(wa)
    assert [d.status for d in (pdf_row, photo_row, voice_row)] == [DocumentStatus.STORED] * 3
    # Encrypted at rest: no chunk holds the file; decrypted, the PDF is the same bytes.
    for row in (pdf_row, photo_row, voice_row):
        assert row.id is not None
        chunks = raw_chunks(wa, row.id)
        assert chunks and all(b"%PDF" not in base64.urlsafe_b64decode(c) for c in chunks)
    assert stored_bytes(wa, pdf_row.id or 0) == letter
    assert (pdf_row.media_type, pdf_row.pages) == ("application/pdf", 2)
    assert wa.cipher.decrypt(pdf_row.caption_enc or "") == "Refusal letter from the Home Office"
    # The photo was re-encoded: its GPS position is gone.
    kept_photo = stored_bytes(wa, photo_row.id or 0)
    assert kept_photo != photo and samples.gps_of(kept_photo) == {}
    assert stored_bytes(wa, voice_row.id or 0) == voice
    assert (voice_row.media_type, voice_row.duration_seconds) == ("audio/ogg", 3.0)
    # Credentials went to Twilio's API host only; its CDN got none.
    assert twilio.media_requests and all(auth == BASIC for _, auth in twilio.media_requests)
    assert len(cdn.requests) == 3 and all("authorization" not in r for r in cdn.requests)
    # The person was told, over WhatsApp, in the same round.
    told = sent_to_anna(twilio)
    assert "Received: your document, 2 pages." in told
    assert "Received: your photo." in told
    assert "Received: your voice note, length 0:03." in told


def test_refused_files_are_not_kept_and_the_person_is_told_why(
        wa: Runtime, webhooks: TwilioWebhooks, twilio: FakeTwilioApi, cdn: FakeFileHost,
        clock: ManualClock) -> None:
    started(webhooks, clock)
    with FakeFileHost() as elsewhere:
        send_file(webhooks, twilio.add_media(samples.executable(), "application/pdf", cdn),
                  "application/pdf")
        send_file(webhooks, twilio.add_media(samples.pdf(1, padding=1_200_000),
                                             "application/pdf", cdn), "application/pdf")
        send_file(webhooks, elsewhere.add(samples.pdf(1), "application/pdf"),
                  "application/pdf")
        run_downloads(wa, build_fetchers(wa))
        assert elsewhere.requests == []  # a URL not on Twilio's host is never even asked
    fake_pdf, too_big, foreign = documents(wa)
    assert (fake_pdf.status, fake_pdf.refusal) == (DocumentStatus.REFUSED, Refusal.TYPE)
    assert (too_big.status, too_big.refusal) == (DocumentStatus.REFUSED, Refusal.SIZE)
    assert (foreign.status, foreign.refusal) == (DocumentStatus.REFUSED, Refusal.SOURCE)
    assert all(raw_chunks(wa, d.id or 0) == [] for d in (fake_pdf, too_big, foreign))
    told = outbox_texts(wa)
    assert told[0].startswith("I could not keep your document: I can only keep PDFs")
    assert told[1].startswith("I could not keep your document: it is larger than 1 MB")
    assert "did not come from the messaging service's own servers" in told[2]


def test_a_download_that_fails_with_500_is_tried_again_later(
        wa: Runtime, webhooks: TwilioWebhooks, twilio: FakeTwilioApi, cdn: FakeFileHost,
        clock: ManualClock) -> None:
    started(webhooks, clock)
    letter = samples.pdf(3)
    twilio.fail_media_next(500)
    send_file(webhooks, twilio.add_media(letter, "application/pdf", cdn), "application/pdf")
    fetchers = build_fetchers(wa)
    assert run_downloads(wa, fetchers) == 0
    [waiting] = documents(wa)
    assert waiting.status == DocumentStatus.PENDING and waiting.attempts == 1
    assert waiting.last_error == "Twilio answered 500"
    assert run_downloads(wa, fetchers) == 0  # not due yet: no request at all
    assert len(twilio.media_requests) == 1
    clock.advance(timedelta(seconds=21))
    assert run_downloads(wa, fetchers) == 1
    [done] = documents(wa)
    assert done.status == DocumentStatus.STORED and done.pages == 3
    assert stored_bytes(wa, done.id or 0) == letter
    assert outbox_texts(wa) == ["Received: your document, 3 pages."]


def test_the_case_limit_refuses_what_would_overflow_it(
        wa: Runtime, webhooks: TwilioWebhooks, twilio: FakeTwilioApi, cdn: FakeFileHost,
        clock: ManualClock) -> None:
    started(webhooks, clock)
    big = [samples.pdf(1, padding=900_000 + n) for n in range(4)]  # 3 MB per case
    for data in big:
        send_file(webhooks, twilio.add_media(data, "application/pdf", cdn), "application/pdf")
    run_downloads(wa, build_fetchers(wa))
    statuses = [(d.status, d.refusal) for d in documents(wa)]
    assert statuses == [(DocumentStatus.STORED, None)] * 3 + [
        (DocumentStatus.REFUSED, Refusal.CASE_FULL)]
    assert "your case file already holds 3 MB" in outbox_texts(wa)[-1]

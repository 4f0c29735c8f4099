"""How long a 10 MB file takes from the WhatsApp webhook to the staff dashboard.

Run: .venv/bin/python bench/bench_media.py [--mb 10] [--rounds 3] [--database-url …]
Each round, side by side in one process on 127.0.0.1 (SQLite file by default):
- webhook: a signed Twilio webhook carrying the file's MediaUrl, through the real app
  (it only notes the file: nothing is fetched inside the webhook);
- job: the worker's download job: Twilio's media URL with the account's credentials,
  the redirect to the CDN without them, the magic-byte check, the PDF's pages counted
  (or the photo re-encoded), Fernet in 1 MiB chunks, the commit, the acknowledgement queued;
- dashboard: a signed-in member of staff fetching the file (decrypted chunk by chunk);
- bare: the same bytes fetched once from the same fake CDN with httpx (the network floor).
Reported: seconds per phase (median of the rounds) and the whole as a multiple of bare.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for the tests' fakes

from bot.casefiles.downloads import run_downloads
from consultbot.registry import build_fetchers
from consultbot.runtime import build_runtime
from consultbot.web import create_app
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    FakeFileHost,
    FakeTwilioApi,
    TwilioWebhooks,
)
from tests.dashboard.helpers import add_staff, sign_in


def _noise(mb: float) -> Image.Image:
    """A picture of about ``mb`` MB as a JPEG (noise does not compress: a camera's size)."""
    side = int((mb * 1024 * 1024 / 0.95) ** 0.5)
    return Image.effect_noise((side, side), 64).convert("RGB")


def big_pdf(mb: int) -> bytes:
    """A scanned letter: a PDF whose pages are photos (as phone scanner apps make them)."""
    pages = [_noise(mb / 3) for _ in range(3)]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], quality=95)
    return out.getvalue()


def big_photo(mb: int) -> bytes:
    out = io.BytesIO()
    _noise(mb).save(out, "JPEG", quality=95)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-media-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, SENDER) as twilio, FakeFileHost() as cdn:
        settings = load_settings(
            database_url=url, data_encryption_key=new_key(), twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN, twilio_whatsapp_from=SENDER,
            public_base_url=PUBLIC_BASE_URL, twilio_api_base_url=twilio.base_url,
            cookie_secure=False, case_file_max_mb=args.mb + 5,
            case_files_max_mb=(args.mb + 5) * args.rounds * 3)
        runtime = build_runtime(settings)
        runtime.db.upgrade()
        app = create_app(runtime)
        add_staff(runtime)
        staff = app.test_client()
        sign_in(staff)
        webhooks = TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
        webhooks.message("+447900000001", "Hello")
        fetchers = build_fetchers(runtime)
        for label, make, media_type in (("PDF", big_pdf, "application/pdf"),
                                        ("photo", big_photo, "image/jpeg")):
            data = make(args.mb)
            timings: dict[str, list[float]] = {"webhook": [], "job": [], "dashboard": [],
                                               "bare": []}
            for _ in range(args.rounds):
                media_url = twilio.add_media(data, media_type, cdn)
                started = time.perf_counter()
                webhooks.post("/webhooks/whatsapp", webhooks.message_fields(
                    "+447900000001", "", media=[media_url], media_types=[media_type]))
                noted = time.perf_counter()
                assert run_downloads(runtime, fetchers) == 1
                stored = time.perf_counter()
                document_id = max(twilio_ids(runtime))
                served = staff.get(f"/staff/files/{document_id}")
                assert served.status_code == 200 and len(served.data) > 0
                shown = time.perf_counter()
                bare_start = time.perf_counter()
                assert len(httpx.get(cdn.add(data, media_type)).content) == len(data)
                bare = time.perf_counter() - bare_start
                timings["webhook"].append(noted - started)
                timings["job"].append(stored - noted)
                timings["dashboard"].append(shown - stored)
                timings["bare"].append(bare)
            median = {k: statistics.median(v) for k, v in timings.items()}
            whole = median["webhook"] + median["job"] + median["dashboard"]
            print(f"{label} of {len(data) / 1024 / 1024:.1f} MB, median of {args.rounds}: "
                  f"webhook {median['webhook'] * 1000:.0f} ms, job {median['job']:.2f} s, "
                  f"dashboard {median['dashboard']:.2f} s; whole {whole:.2f} s = "
                  f"{whole / median['bare']:.0f}x a bare local download "
                  f"({median['bare'] * 1000:.0f} ms)")
        runtime.db.dispose()


def twilio_ids(runtime):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from bot.casefiles.models import CaseDocument

    with runtime.db.transaction() as session:
        return list(session.exec(select(CaseDocument.id)).all())


if __name__ == "__main__":
    main()

"""Hostile bodies against both webhooks of the real app: how many answers were >= 500.

Run: .venv/bin/python bench/fuzz_webhooks.py [--count 10000] [--seed 1] [--database-url …]
Each webhook gets ``--count`` bodies from ``tests/reliability/hostile.py`` (deep JSON,
out-of-range dates, wrong field types, lone surrogates, control characters, invalid
UTF-8, texts past 4,096 characters, junk), WhatsApp's signed as Twilio signs them,
through the Flask app with the Telegram channel running (webhook mode, local fake Bot
API). Then the service must still be healthy and answer a plain message on each webhook.
Prints the answers by status, the rate, and exits 1 on any answer >= 500.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.engine import Bot
from channels.telegram.polling import start
from channels.telegram.service import service_for
from consultbot.runtime import build_runtime
from consultbot.web import create_app
from plumbing.crypto import new_key
from plumbing.settings import load_settings
from tests.channels.fake_telegram import TOKEN, FakeTelegramServer, TelegramUser
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
)
from tests.reliability.fuzzing import fuzz_telegram, fuzz_whatsapp, still_alive

SECRET = "fuzz-bench-secret"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="bodies per webhook")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder, FakeTelegramServer() as telegram:
        url = args.database_url or f"sqlite:///{folder}/fuzz.db"
        runtime = build_runtime(load_settings(
            database_url=url, data_encryption_key=new_key(),
            twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
            twilio_whatsapp_from=SENDER, public_base_url=PUBLIC_BASE_URL,
            telegram_bot_token=TOKEN, telegram_mode="webhook",
            telegram_webhook_secret=SECRET, telegram_api_base_url=telegram.base_url))
        bot = Bot(runtime)
        app = create_app(runtime, bot=bot)
        stop = start(runtime, bot, app.config["AREAS"])
        assert stop is not None
        service_for(runtime, bot).wait_started(30)
        failed = False
        try:
            for name, run in (
                    ("whatsapp", lambda: fuzz_whatsapp(app, args.seed, args.count)),
                    ("telegram", lambda: fuzz_telegram(app, SECRET, args.seed, args.count))):
                began = time.perf_counter()
                answers = run()
                took = time.perf_counter() - began
                errors = sum(n for status, n in answers.items() if status >= 500)
                failed |= errors > 0
                print(f"{name}: {sum(answers.values())} bodies in {took:.0f} s "
                      f"({sum(answers.values()) / took:.0f}/s); answers "
                      + ", ".join(f"{s}: {n}" for s, n in sorted(answers.items()))
                      + f"; >= 500: {errors}", flush=True)
            alive = still_alive(app, TelegramUser(telegram.api, 4242), SECRET)
            print(f"alive after: {'yes' if alive else 'NO'}")
            failed |= not alive
        finally:
            stop()
            runtime.db.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

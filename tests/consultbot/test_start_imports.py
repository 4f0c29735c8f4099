"""What a ``consultbot serve`` start on the defaults does not load: the libraries of
channels and integrations that are off (Telegram, Twilio's REST client, calendars, Zoom, and
numpy with the FAQ's model off) and of checks made in some turns only (images, e-mail
addresses, dates). Each costs start-up time (0.01-0.15 s) and resident memory in every
process, tests' subprocesses included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # processes: started first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
NOT_AT_START = ("telegram", "httpx", "twilio.rest", "requests", "icalendar",
                "recurring_ical_events", "caldav", "PIL", "email_validator", "dateparser",
                "numpy")  # the FAQ's vectors: FAQ_SEMANTIC is false here

BUILD = """
import json, sys
from consultbot.cli import main  # what every command imports
import dashboard.bookings
from consultbot.commands import serve
from consultbot.registry import backgrounds, build_bot, build_fetchers, build_senders
from consultbot.runtime import build_runtime
from consultbot.web import create_app
from consultbot.worker import start_background
from plumbing.settings import load_settings

runtime = build_runtime(load_settings(), check_key=True)
app = create_app(runtime, bot=build_bot(runtime))
build_senders(runtime), build_fetchers(runtime)
print(json.dumps(sorted(name for name in %r if name in sys.modules)))
"""


#: WhatsApp configured, as in production: its fetcher and sender are built at start.
WHATSAPP = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
            "PUBLIC_BASE_URL": "https://bot.example.org"}


def imported_at_start(tmp_path: Path, names: tuple[str, ...],
                      settings: dict[str, str] | None = None) -> list[str]:
    """Which of ``names`` a start on the defaults (DATA_DIR in ``tmp_path``), plus
    ``settings``, imports."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD % (names,)], cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "data"),
             "PYTHONPATH": str(ROOT), "FAQ_SEMANTIC": "false", **(settings or {})})
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def first_start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """One first start on the defaults (a new database: migrations pending), shared by the
    two tests that read it: its folder, and which of ``NOT_AT_START`` and alembic it imported
    (a start costs 3-4 s of CPU)."""
    folder = tmp_path_factory.mktemp("first-start")
    return folder, imported_at_start(folder, (*NOT_AT_START, "alembic"))


def test_a_start_on_the_defaults_imports_no_library_of_what_is_off(
    first_start: tuple[Path, list[str]]
) -> None:
    assert [name for name in first_start[1] if name in NOT_AT_START] == []


def test_a_whatsapp_start_imports_no_http_client(tmp_path: Path) -> None:
    """The media fetcher makes its httpx client on the first fetch (8.5 MiB resident)."""
    assert imported_at_start(tmp_path, ("httpx", "httpcore", "rich"), WHATSAPP) == []


def test_alembic_is_imported_only_while_migrations_are_pending(
    first_start: tuple[Path, list[str]]
) -> None:
    """The first start migrates the new database; the next finds it at the head revision."""
    folder, first = first_start
    assert "alembic" in first
    assert imported_at_start(folder, ("alembic",)) == []


COMMANDS = """
import contextlib, io, json, sys
from consultbot.cli import main

HEAVY = ("numpy", "sqlalchemy", "bot.faq", "dashboard.bookings")
seen = {}
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    seen["keygen"] = [main(["keygen"]), [name for name in HEAVY if name in sys.modules]]
    seen["telegram"] = [main(["telegram"]), [name for name in HEAVY if name in sys.modules]]
print(json.dumps(seen))
"""


def test_a_light_command_loads_no_numpy_sqlalchemy_or_faq_and_a_chat_command_the_erasers(
    tmp_path: Path,
) -> None:
    """``keygen`` (as ``db``, ``settings`` and ``faq``, which erase nobody) runs without the
    staff notes' eraser and what it pulls in; ``telegram`` (a chat can erase a person) loads
    it before it runs, even when it then stops for a missing token."""
    result = subprocess.run(
        [sys.executable, "-c", COMMANDS], cwd=tmp_path, capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "data"),
                          "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["keygen"] == [0, []]
    assert seen["telegram"][0] == 2  # no TELEGRAM_BOT_TOKEN
    assert "dashboard.bookings" in seen["telegram"][1]

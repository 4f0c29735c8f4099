"""Settings validation, the CLI's start-up, the health check and encryption keys."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from consultbot.cli import main
from consultbot.web import create_app
from plumbing.crypto import Cipher, new_key
from plumbing.settings import SettingsError, load_settings
from tests.consultbot.processes import Process


def test_defaults_need_no_accounts() -> None:
    settings = load_settings()
    assert settings.is_default_setup
    assert not (settings.whatsapp_enabled or settings.telegram_enabled or settings.zoom_enabled)
    assert settings.reminder_offsets_hours == (24.0, 1.0)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"booking_timezone": "Mars/Olympus"}, "BOOKING_TIMEZONE"),
        ({"booking_slot_minutes": 0}, "BOOKING_SLOT_MINUTES"),
        ({"booking_weekly_hours": "mon-fri 17:00-09:00"}, "BOOKING_WEEKLY_HOURS"),
        ({"telegram_mode": "carrier-pigeon"}, "TELEGRAM_MODE"),
        ({"database_url": "mysql://localhost/x"}, "DATABASE_URL"),
        ({"reminder_hours_before": "24,soon"}, "REMINDER_HOURS_BEFORE"),
    ],
)
def test_bad_setting_is_named(overrides: dict, named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(**overrides)


def test_key_is_required_off_the_default_setup() -> None:
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEY is required"):
        load_settings(database_url="postgresql://localhost/consultbot")


@pytest.mark.slow
def test_bad_environment_stops_the_start_with_a_message(tmp_path: Path) -> None:
    env = {**os.environ, "BOOKING_DAILY_LIMIT": "lots"}
    done = subprocess.run([sys.executable, "-m", "consultbot.cli", "db", "upgrade"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "BOOKING_DAILY_LIMIT" in done.stderr


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("COMPANY_NAME=Test Firm\nBOOKING_HORIZON_DAYS=7\n")
    settings = load_settings()
    assert (settings.company_name, settings.booking_horizon_days) == ("Test Firm", 7)


def test_arguments_beat_the_environment_which_beats_the_dotenv_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANY_NAME", "From Env")
    assert load_settings().company_name == "From Env"  # no .env file: its source is left out
    (tmp_path / ".env").write_text("COMPANY_NAME=Dotenv\nBOOKING_HORIZON_DAYS=7\n")
    settings = load_settings(booking_horizon_days=9)
    assert (settings.company_name, settings.booking_horizon_days) == ("From Env", 9)
    monkeypatch.delenv("COMPANY_NAME")
    assert load_settings().company_name == "Dotenv"


def test_key_rotation_keeps_old_data_readable() -> None:
    old, new = new_key(), new_key()
    token = Cipher(old).encrypt_json({"name": "Anna"})
    assert Cipher(f"{new},{old}").decrypt_json(token) == {"name": "Anna"}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Cipher(new).decrypt(token)
    with pytest.raises(ValueError, match="DATA_ENCRYPTION_KEY"):
        Cipher("not-a-key")


def test_keygen_and_db_upgrade(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    Cipher(capsys.readouterr().out.strip())
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert Path("var/consultbot.db").exists()


def test_healthz(runtime) -> None:  # type: ignore[no-untyped-def]
    client = create_app(runtime).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    body = client.get("/readyz").get_json()
    assert (body["database"], body["failed"]) == ("ok", ["worker"])  # no worker here


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_on_the_embedded_default(tmp_path: Path) -> None:
    port = free_port()
    process = Process.consultbot("serve", "--port", str(port), cwd=tmp_path,
                                 env={"ZOOM_CLIENT_SECRET": "very-secret-value"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.popen.poll() is None, process.output
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
        assert response.headers["server"] == "consultbot"  # waitress, not Flask's dev server
        # The health check's access line, written once the answer is sent (meanwhile the
        # warm-up thread may hold the interpreter: waited for, not raced by the stop).
        process.wait_for_line(" consultbot.access [")
    finally:
        process.stop()
    output = process.output
    assert f"listening on http://127.0.0.1:{port}" in output
    assert f"data directory: {tmp_path / 'var'}" in output  # absolute
    assert f"database: sqlite:///{tmp_path / 'var' / 'consultbot.db'}" in output
    assert f"encryption key: from the file {tmp_path / 'var' / 'data.key'}" in output
    assert "very-secret-value" not in output
    assert "terminal chat: " in output and "zoom: " in output
    assert "WARNING:" not in output  # 127.0.0.1: the Secure cookie works
    assert (tmp_path / "var" / "data.key").exists()
    assert oct((tmp_path / "var" / "data.key").stat().st_mode & 0o777) == "0o600"


def test_session_secret_is_stable_without_secret_key(runtime) -> None:  # type: ignore[no-untyped-def]
    first, second = create_app(runtime).secret_key, create_app(runtime).secret_key
    assert first == second and len(first) == 64
    other = Cipher(new_key()).derive("sessions")
    assert other != first


def test_start_up_output_hides_database_passwords() -> None:
    from consultbot.commands.serve import describe

    settings = load_settings(
        database_url="postgresql://bot:s3cret@db.internal/consultbot?password=other",
        data_encryption_key=new_key())
    [database, *_] = describe(settings, {})
    assert "s3cret" not in database and "other" not in database
    assert database == "database: postgresql://bot:***@db.internal/consultbot"

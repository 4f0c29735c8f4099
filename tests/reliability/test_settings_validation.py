"""Every setting checked at start, with a message naming it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from plumbing.settings import SettingsError, load_settings


@pytest.mark.parametrize(("name", "value", "says"), [
    ("twilio_content_sid_buttons", "2:HXnothex", "TWILIO_CONTENT_SID_BUTTONS"),
    ("twilio_content_sid_buttons", "9:HX" + "0" * 32, "TWILIO_CONTENT_SID_BUTTONS"),
    ("twilio_content_sid_list", "HX12", "TWILIO_CONTENT_SID_LIST"),
    ("log_level", "loud", "LOG_LEVEL"),
    ("public_base_url", "http://bot.example.org", "https://"),
    ("public_base_url", "https://bot.example.org/", "slash"),
    ("public_base_url", "https://bot.example.org?x=1", "PUBLIC_BASE_URL"),
    ("public_base_url", "bot.example.org", "PUBLIC_BASE_URL"),
    ("default_language", "de", "DEFAULT_LANGUAGE"),
])
def test_a_wrong_setting_is_named(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**{name: value})
    assert says in str(raised.value)
    assert name.upper() in str(raised.value)


def test_accepted_forms() -> None:
    settings = load_settings(log_level="debug", public_base_url="http://localhost:8000",
                             default_language="ru",
                             twilio_content_sid_buttons="2:HX" + "a" * 32)
    assert settings.log_level == "DEBUG"
    assert load_settings(public_base_url="https://bot.example.org/consult").public_base_url


@pytest.mark.slow
def test_a_taken_port_stops_serve_with_one_line_before_anything_starts(
        tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "consultbot.cli", "serve", "--port", str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "var").exists()  # nothing started: no database, no key file


@pytest.mark.slow
def test_a_malformed_content_sid_stops_serve_naming_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "consultbot.cli", "serve", "--port", "0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "TWILIO_CONTENT_SID_BUTTONS": "2:HXnothex"})
    assert result.returncode == 2
    assert "TWILIO_CONTENT_SID_BUTTONS" in result.stderr and "Traceback" not in result.stderr

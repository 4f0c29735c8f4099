"""Every setting is described once, in the code: .env.example and the README follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from consultbot.cli import main
from plumbing.settings import Settings
from plumbing.settings_table import BEGIN, END, markdown_table, with_table

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {name.upper() for name in Settings.model_fields}


def test_every_setting_has_a_one_line_description() -> None:
    missing = [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert not missing, f"Field(description=...) missing for {missing}"
    assert not [n for n, f in Settings.model_fields.items() if "\n" in (f.description or "")]


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = [line.split("=", 1)[0] for line in example.splitlines()
              if line and not line.startswith("#") and "=" in line]
    assert len(listed) == len(set(listed)), "a setting is listed twice"
    assert set(listed) - FIELDS == set(), "in .env.example but not a setting"
    assert FIELDS - set(listed) == set(), "a setting missing from .env.example"


def test_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    assert with_table(readme) == readme, \
        "README settings table is out of date: run .venv/bin/consultbot settings --write-readme"
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    named = {row.split("`")[1] for row in table.splitlines() if row.startswith("| `")}
    assert named == FIELDS


def test_the_table_shows_defaults_bounds_and_groups() -> None:
    table = markdown_table()
    assert "| **Telegram** | | |" in table
    assert "| `TELEGRAM_MODE` | `polling` |" in table
    assert "| `COOKIE_SECURE` | `true` |" in table
    assert "| `TWILIO_AUTH_TOKEN` | — |" in table
    assert "Allowed: 10–240." in table.split("`BOOKING_SLOT_MINUTES`")[1].split("\n")[0]


def test_an_edited_table_is_put_back(tmp_path: Path) -> None:
    stale = f"# Title\n\n{BEGIN}\n| old | table |\n{END}\n\nAfter.\n"
    fresh = with_table(stale)
    assert fresh.startswith("# Title\n\n") and fresh.endswith(f"{END}\n\nAfter.\n")
    assert markdown_table() in fresh and "| old | table |" not in fresh
    with pytest.raises(ValueError, match="markers"):
        with_table("# no table here")


def test_the_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings"]) == 0
    assert capsys.readouterr().out.strip() == markdown_table()

"""DATA_DIR: one place the SQLite database, the generated key and the FAQ cache derive
from, absolute; DATA_KEY_FILE, and the key kept apart from the data in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from consultbot.cli import main
from plumbing.crypto import Cipher, new_key
from plumbing.runtime import data_keys
from plumbing.settings import SettingsError, load_settings

POSTGRES = "postgresql://consultbot@db.internal/consultbot"


@pytest.fixture(autouse=True)
def _no_cache_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite points FAQ_CACHE_DIR at its shared vector cache; here it must derive."""
    monkeypatch.delenv("FAQ_CACHE_DIR", raising=False)


def test_everything_derives_from_the_data_directory_made_absolute(tmp_path: Path) -> None:
    settings = load_settings()  # the tests run in tmp_path
    assert settings.data_dir == tmp_path / "var" and settings.data_dir.is_absolute()
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'consultbot.db'}"
    assert settings.data_key_file == tmp_path / "var" / "data.key"
    assert settings.faq_cache_dir == tmp_path / "var" / "faq-cache"
    assert settings.is_default_setup


def test_another_data_directory_moves_all_of_it(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", "srv/data")  # relative: to where consultbot starts
    settings = load_settings()
    assert settings.data_dir == tmp_path / "srv" / "data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'srv' / 'data' / 'consultbot.db'}"
    assert settings.data_key_file == tmp_path / "srv" / "data" / "data.key"
    assert settings.faq_cache_dir == tmp_path / "srv" / "data" / "faq-cache"


def test_settings_given_win_over_the_derived_ones(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d", database_url="sqlite:///other.db",
                             data_key_file=tmp_path / "k", faq_cache_dir=tmp_path / "c")
    assert (settings.database_url, settings.data_key_file, settings.faq_cache_dir) == (
        "sqlite:///other.db", tmp_path / "k", tmp_path / "c")


def test_a_start_elsewhere_uses_the_same_data(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    assert main(["db", "upgrade"]) == 0
    key = (data / "data.key").read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["db", "upgrade"]) == 0  # the key check passes: the same key, the same db
    assert (data / "data.key").read_text() == key
    # (-writers: the empty file SQLite's writers of several processes queue on)
    assert sorted(p.name for p in data.iterdir()) == ["consultbot.db", "consultbot.db-writers",
                                                      "data.key"]
    assert list(elsewhere.iterdir()) == []


def test_the_embedded_setup_makes_its_key_file_once(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    first = data_keys(settings)
    Cipher(first)
    assert oct(settings.data_key_file.stat().st_mode & 0o777) == "0o600"
    assert data_keys(settings) == first


def test_production_refuses_the_key_inside_the_data_directory(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEY is required") as default:
        load_settings(database_url=POSTGRES, data_dir=tmp_path / "d")
    assert "DATA_KEY_FILE outside DATA_DIR" in str(default.value)
    with pytest.raises(SettingsError, match="outside DATA_DIR"):  # set, but still inside
        load_settings(database_url=POSTGRES, data_dir=tmp_path / "d",
                      data_key_file=tmp_path / "d" / "keys" / "data.key")
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "d")
    with pytest.raises(SettingsError, match="outside DATA_DIR"):  # a link into it is inside
        load_settings(database_url=POSTGRES, data_dir=tmp_path / "d",
                      data_key_file=tmp_path / "link" / "data.key")


def test_production_takes_the_key_from_the_environment_or_a_file_outside(
        tmp_path: Path) -> None:
    key = new_key()
    from_env = load_settings(database_url=POSTGRES, data_dir=tmp_path / "d",
                             data_encryption_key=key)
    assert data_keys(from_env) == key
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "data.key").write_text(key + "\n")
    from_file = load_settings(database_url=POSTGRES, data_dir=tmp_path / "d",
                              data_key_file=tmp_path / "secrets" / "data.key")
    assert not from_file.is_default_setup
    assert data_keys(from_file) == key


def test_production_never_makes_a_key_file(tmp_path: Path) -> None:
    missing = tmp_path / "secrets" / "data.key"
    settings = load_settings(database_url=POSTGRES, data_dir=tmp_path / "d",
                             data_key_file=missing)
    with pytest.raises(SettingsError, match=r"DATA_KEY_FILE: cannot read .*consultbot keygen"):
        data_keys(settings)
    assert not missing.exists()


def test_the_cli_stops_with_the_reason(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    with pytest.raises(SystemExit) as stopped:
        main(["db", "upgrade"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "DATA_ENCRYPTION_KEY is required" in error and "outside DATA_DIR" in error

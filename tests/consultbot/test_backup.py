"""``consultbot db backup``: a consistent SQLite copy while writes go on; not the key."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from consultbot.cli import main
from consultbot.runtime import Runtime
from plumbing.clock import ManualClock
from plumbing.outbox import OutboxMessage, enqueue
from tests.fixtures import runtime_for

CASE = "detained at the border on 3 May"


def use(monkeypatch: pytest.MonkeyPatch, runtime: Runtime) -> None:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    key = runtime.settings.data_encryption_key
    assert key is not None
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", key.get_secret_value())


def test_backup_while_writing_then_restore(
        runtime: Runtime, clock: ManualClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    use(monkeypatch, runtime)
    with runtime.db.transaction() as session:
        enqueue(session, runtime.cipher, key="case", kind="notice", channel="whatsapp",
                recipient="+447911123456", replies=[{"text": CASE}], now=clock())
    stop, written = threading.Event(), [0]

    def write() -> None:  # two rows a transaction: a consistent copy has an even count
        while not stop.is_set():
            n = written[0]
            with runtime.db.engine.begin() as connection:
                for name in (f"w{n}a", f"w{n}b"):
                    connection.execute(text("INSERT INTO worker_heartbeat (name, beat_at) "
                                            "VALUES (:n, '2026-03-02 09:30:00')"), {"n": name})
            written[0] = n + 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 20:
            stop.wait(0.01)
        assert main(["db", "backup", str(tmp_path / "copy.db")]) == 0  # writer still going
    finally:
        stop.set()
        writer.join()
    out = capsys.readouterr().out
    assert "NOT in the backup" in out and "DATA_ENCRYPTION_KEY" in out
    assert not (tmp_path / "copy.db.partial").exists()

    with sqlite3.connect(tmp_path / "copy.db") as copy:
        beats = copy.execute("SELECT count(*) FROM worker_heartbeat").fetchone()[0]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert beats >= 40 and beats % 2 == 0  # whole transactions only
    assert CASE.encode() not in (tmp_path / "copy.db").read_bytes()  # encrypted in the copy

    # Restore: the copy in place of the database, with the same key, reads the case.
    restored = tmp_path / "restored" / "consultbot.db"
    restored.parent.mkdir()
    shutil.copyfile(tmp_path / "copy.db", restored)
    again = runtime_for(f"sqlite:///{restored}",
                        data_encryption_key=runtime.settings.data_encryption_key)
    try:
        with again.db.transaction() as session:
            row = session.get(OutboxMessage, 1)
            assert row is not None
            assert again.cipher.decrypt_json(row.payload_enc)["replies"][0]["text"] == CASE
    finally:
        again.db.dispose()


def test_refuses_an_existing_file(runtime: Runtime, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    use(monkeypatch, runtime)
    (tmp_path / "there.db").write_text("keep me")
    assert main(["db", "backup", str(tmp_path / "there.db")]) == 2
    assert "exists already" in capsys.readouterr().err
    assert (tmp_path / "there.db").read_text() == "keep me"


def test_postgres_gets_pg_dump_guidance_without_the_password(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from plumbing.crypto import new_key

    monkeypatch.setenv("DATABASE_URL", "postgresql://consultbot:hunter2@db.internal/consultbot")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    assert main(["db", "backup", str(tmp_path / "x.dump")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom" in err and "db.internal/consultbot" in err
    assert "hunter2" not in err
    assert not (tmp_path / "x.dump").exists()

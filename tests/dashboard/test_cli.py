"""``consultbot staff add``: the password from a prompt or piped input, never the command line."""

from __future__ import annotations

import io
import sys

import pytest
from sqlmodel import select

from consultbot import cli
from consultbot.runtime import Runtime
from consultbot.web import create_app
from dashboard.accounts import verify_password
from dashboard.models import LoginThrottle, StaffAccount
from plumbing.command import command_name
from plumbing.settings import Settings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", settings.data_encryption_key.get_secret_value())  # type: ignore[union-attr]
    return settings


def accounts(runtime: Runtime) -> list[StaffAccount]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(StaffAccount)).all())


def test_add_reads_a_piped_password(env: Settings, runtime: Runtime,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    assert cli.main(["staff", "add", "Kate@Example.org"]) == 0
    assert "Created staff account kate@example.org" in capsys.readouterr().out
    [account] = accounts(runtime)
    assert account.email == "kate@example.org"
    assert verify_password(account, "a long enough secret")


def test_add_asks_twice_at_a_terminal(env: Settings, runtime: Runtime,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["first password 1", "other password 2"])
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert cli.main(["staff", "add", "kate@example.org"]) == 1
    assert accounts(runtime) == []
    monkeypatch.setattr("getpass.getpass", lambda prompt: "same password twice")
    assert cli.main(["staff", "add", "kate@example.org"]) == 0
    assert verify_password(accounts(runtime)[0], "same password twice")


def test_password_cannot_be_given_on_the_command_line(env: Settings) -> None:
    with pytest.raises(SystemExit):
        cli.main(["staff", "add", "kate@example.org", "--password", "x"])
    with pytest.raises(SystemExit):
        cli.main(["staff", "add", "kate@example.org", "secret password"])


@pytest.mark.parametrize(("email", "password", "why"), [
    ("not-an-address", "long enough password", "not a valid e-mail"),
    ("kate@example.org", "short", "at least 12 characters"),
])
def test_bad_input_is_explained(env: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], email: str, password: str,
                                why: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    assert cli.main(["staff", "add", email]) == 1
    assert why in capsys.readouterr().err
    assert accounts(runtime) == []


def test_an_account_is_added_once(env: Settings, runtime: Runtime,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
        cli.main(["staff", "add", "kate@example.org"])
    assert "already exists" in capsys.readouterr().err
    assert len(accounts(runtime)) == 1


def test_password_reset_lifts_the_lock(env: Settings, runtime: Runtime,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    cli.main(["staff", "add", "kate@example.org"])
    with runtime.db.transaction() as session:
        session.add(LoginThrottle(key="account:kate@example.org", failures=0,
                                  locked_until=runtime.clock().replace(year=2030)))
    monkeypatch.setattr(sys, "stdin", io.StringIO("a brand new secret\n"))
    assert cli.main(["staff", "password", "kate@example.org"]) == 0
    [account] = accounts(runtime)
    assert verify_password(account, "a brand new secret") and account.session_version == 2
    with runtime.db.transaction() as session:
        assert session.exec(select(LoginThrottle)).all() == []


def test_start_up_output_says_how_to_create_the_first_account(
        env: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    hint = f"no staff account yet: run {command_name()} staff add EMAIL"
    assert hint in create_app(runtime).config["AREAS"]["staff dashboard"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    cli.main(["staff", "add", "kate@example.org"])
    assert create_app(runtime).config["AREAS"]["staff dashboard"] == "on: /staff"


def test_list_disable_enable_role_and_remove(env: Settings, runtime: Runtime,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for email in ("boss@example.org", "kate@example.org"):
        monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
        assert cli.main(["staff", "add", email]) == 0
    capsys.readouterr()
    assert cli.main(["staff", "list"]) == 0
    listed = capsys.readouterr().out
    assert "boss@example.org\tadmin\tactive" in listed
    assert "kate@example.org\tstaff\tactive" in listed
    client = create_app(runtime).test_client()
    page = client.get("/staff/login")
    from tests.dashboard.helpers import token_from

    signed = client.post("/staff/login", data={"csrf_token": token_from(page.text),
                                               "email": "kate@example.org",
                                               "password": "a long enough secret"})
    assert signed.status_code == 302 and client.get("/staff/people").status_code == 200
    assert cli.main(["staff", "disable", "kate@example.org"]) == 0
    assert client.get("/staff/people").status_code == 302  # her open session is refused
    assert cli.main(["staff", "role", "boss@example.org", "staff"]) == 1
    assert "last active admin" in capsys.readouterr().err
    assert cli.main(["staff", "enable", "kate@example.org"]) == 0
    assert cli.main(["staff", "role", "kate@example.org", "admin"]) == 0
    assert cli.main(["staff", "role", "boss@example.org", "staff"]) == 0
    assert cli.main(["staff", "remove", "boss@example.org"]) == 0
    capsys.readouterr()
    assert cli.main(["staff", "list"]) == 0
    listed = capsys.readouterr().out
    assert "boss@example.org" not in listed and "removed\t" in listed
    assert "kate@example.org\tadmin\tactive" in listed
    assert cli.main(["staff", "disable", "nobody@example.org"]) == 1

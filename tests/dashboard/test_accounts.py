"""Password checks that cost the same whether or not the e-mail is known."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import argon2
import pytest
from argon2 import PasswordHasher

import dashboard.accounts as accounts
from dashboard.accounts import verify_password

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_account_is_checked_at_the_hashers_cost(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verified: list[str] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    hasher = Recording(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    assert verify_password(None, "any password at all") is False
    (dummy,) = verified  # Argon2 really ran, on a hash no password matches
    assert argon2.extract_parameters(dummy) == argon2.extract_parameters(
        hasher.hash("a real password"))


def test_importing_the_accounts_hashes_nothing() -> None:
    """Every ``consultbot`` command imports this module: no Argon2 hash (64 MiB, a third of
    a second) is made then."""
    code = ("import argon2\n"
            "def refuse(*args, **kwargs): raise SystemExit('hashed at import')\n"
            "argon2.PasswordHasher.hash = refuse\n"
            "import dashboard.accounts\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr

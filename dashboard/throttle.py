"""Limits on failed sign-ins, per account and per address, judged by the injected clock.

Each key counts failures within a window of ``lockout`` minutes from its first failure.
Reaching ``max_failures`` locks the key for ``lockout``; while either the account or the
address is locked, sign-in is refused without even checking the password.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from dashboard.models import LoginThrottle


def keys_for(email: str, address: str | None) -> tuple[str, ...]:
    """The throttle keys of one sign-in attempt."""
    keys = [f"account:{email.strip().lower()[:254]}"]
    if address:
        keys.append(f"ip:{address[:64]}")
    return tuple(keys)


def locked_until(session: Session, keys: Iterable[str], now: datetime) -> datetime | None:
    """The latest lock still in force on any of ``keys``, or None.

    The keys' rows are locked (created if new) until the transaction ends, so concurrent
    attempts under one key are checked one after the other: no password is checked while
    another attempt may be about to lock the key.
    """
    rows = [_locked_row(session, key) for key in sorted(set(keys))]
    locks = [r.locked_until for r in rows if r.locked_until is not None and r.locked_until > now]
    return max(locks, default=None)


def _locked_row(session: Session, key: str) -> LoginThrottle:
    table = LoginThrottle.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(table).values(key=key, failures=0).on_conflict_do_nothing(
        index_elements=["key"]))
    row = session.exec(
        select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    ).one()
    session.refresh(row)
    return row


def record_failure(
    session: Session, keys: Iterable[str], now: datetime, *, max_failures: int,
    lockout: timedelta,
) -> datetime | None:
    """Count one failed sign-in under each key; return the lock end if this one locked."""
    locked: datetime | None = None
    for key in keys:
        row = _locked_row(session, key)
        if row.first_failure_at is None or row.first_failure_at + lockout <= now:
            row.failures, row.first_failure_at = 0, now
        row.failures += 1
        if row.failures >= max_failures:
            row.locked_until = now + lockout
            row.failures, row.first_failure_at = 0, None
            locked = row.locked_until
        session.add(row)
    return locked


def record_success(session: Session, account_key: str) -> None:
    """Forget the account's failures (the address keeps its count until the window ends)."""
    row = session.get(LoginThrottle, account_key)
    if row is not None:
        session.delete(row)

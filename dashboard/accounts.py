"""Staff accounts: creating them, checking passwords (Argon2id) and calendar-feed secrets."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, select

from dashboard.models import ADMIN, ROLES, StaffAccount

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 defaults


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A well-formed hash at ``hasher``'s cost that no password matches (zero salt, zero
    digest), verified against when the e-mail is unknown so both cases take the same time.
    Written out, not hashed at import: a hash costs 64 MiB and a third of a second, and
    every ``consultbot`` command imports this module."""
    def zeros(size: int) -> str:
        return base64.b64encode(bytes(size)).decode().rstrip("=")

    return (f"$argon2{hasher.type.name.lower()}$v=19$m={hasher.memory_cost},"
            f"t={hasher.time_cost},p={hasher.parallelism}$"
            f"{zeros(hasher.salt_len)}${zeros(hasher.hash_len)}")


class AccountError(ValueError):
    """The account cannot be created or changed; the message says why."""


def normalise_email(email: str) -> str:
    """The canonical form of a staff e-mail (checked syntax, lower case)."""
    from email_validator import EmailNotValidError, validate_email  # on first use: 35 ms

    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"not a valid e-mail address: {exc}") from exc
    return checked.normalized.lower()


def check_password_rules(password: str) -> None:
    """Raise :class:`AccountError` when the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("the password is too long")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def find_account(session: Session, email: str) -> StaffAccount | None:
    """The account with this e-mail (any case), or None."""
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    return session.exec(select(StaffAccount).where(StaffAccount.email == email)).first()


def count_accounts(session: Session) -> int:
    """How many staff accounts exist."""
    return int(session.exec(select(func.count()).select_from(StaffAccount)).one())


def create_account(session: Session, email: str, password: str, *, now: datetime,
                   role: str | None = None) -> StaffAccount:
    """Add a staff account (the first one is an admin unless ``role`` says otherwise);
    raise :class:`AccountError` if it exists or the input is bad."""
    email = normalise_email(email)
    check_password_rules(password)
    if find_account(session, email) is not None:
        raise AccountError(f"an account for {email} already exists")
    role = role or (ADMIN if count_accounts(session) == 0 else "staff")
    if role not in ROLES:
        raise AccountError(f"the role is one of {', '.join(ROLES)}")
    account = StaffAccount(email=email, password_hash=hash_password(password), created_at=now,
                           role=role)
    session.add(account)
    session.flush()
    return account


def set_password(session: Session, account: StaffAccount, password: str) -> None:
    """Change the password and end every session signed in with the old one."""
    check_password_rules(password)
    account.password_hash = hash_password(password)
    account.session_version += 1
    session.add(account)


def verify_password(account: StaffAccount | None, password: str) -> bool:
    """Whether ``password`` is the account's; also spends the time when there is no account.

    Upgrades the stored hash in place when the hashing parameters have been raised.
    """
    if account is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(_hasher), password)
        return False
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return True


def new_calendar_token(account: StaffAccount) -> str:
    """Give the account a new calendar-feed secret (the old URL stops working); return it."""
    token = secrets.token_urlsafe(32)
    account.calendar_token_hash = token_digest(token)
    return token


def token_digest(token: str) -> str:
    """What is stored for a calendar-feed secret (it has 256 random bits: SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def account_for_calendar_token(session: Session, token: str) -> StaffAccount | None:
    """The account whose feed URL carries ``token``, or None."""
    if not token or len(token) > 100:
        return None
    return session.exec(
        select(StaffAccount).where(StaffAccount.calendar_token_hash == token_digest(token))
    ).first()


def _other_active_admins(session: Session, account: StaffAccount) -> int:
    return int(session.exec(select(func.count()).select_from(StaffAccount).where(
        StaffAccount.role == ADMIN, StaffAccount.id != account.id,
        StaffAccount.disabled_at.is_(None))).one())  # type: ignore[union-attr]


def _keep_an_admin(session: Session, account: StaffAccount) -> None:
    if account.role == ADMIN and account.disabled_at is None and \
            _other_active_admins(session, account) == 0:
        raise AccountError("this is the last active admin: make another admin first")


def set_role(session: Session, account: StaffAccount, role: str) -> None:
    """Make the account ``admin`` or ``staff`` (never demoting the last active admin)."""
    if role not in ROLES:
        raise AccountError(f"the role is one of {', '.join(ROLES)}")
    if role != ADMIN:
        _keep_an_admin(session, account)
    account.role = role
    session.add(account)


def disable(session: Session, account: StaffAccount, *, now: datetime) -> None:
    """Stop the account signing in; its open sessions are refused from the next request."""
    _keep_an_admin(session, account)
    account.disabled_at = account.disabled_at or now
    account.session_version += 1
    session.add(account)


def enable(session: Session, account: StaffAccount) -> None:
    """Let a disabled account sign in again (with its password)."""
    account.disabled_at = None
    session.add(account)


def remove(session: Session, account: StaffAccount, *, now: datetime) -> None:
    """Remove the account: it can never sign in again, its e-mail and password and feed
    are gone. The row stays (as ``removed-<id>``) because notes name their author; the
    audit trail keeps the e-mail it had."""
    disable(session, account, now=now)
    account.email = f"removed-{account.id}@removed.invalid"
    account.password_hash = hash_password(secrets.token_urlsafe(32))
    account.calendar_token_hash = None
    account.role = "staff"
    session.add(account)


def is_removed(account: StaffAccount) -> bool:
    """Whether :func:`remove` was applied."""
    return account.email.endswith("@removed.invalid")

"""``consultbot staff add|password|list|disable|enable|remove|role``: dashboard accounts.

The password is asked at a prompt (twice), or read from the first line of standard
input when that is not a terminal; never from the command line, where it would be
visible in the process list and the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, TextIO


def register(subparsers: Any) -> None:
    staff = subparsers.add_parser("staff", help="staff dashboard accounts")
    actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("email")
    add.add_argument("--role", choices=("admin", "staff"),
                     help="default: admin for the first account, staff after")
    add.set_defaults(func=add_account)
    password = actions.add_parser(
        "password", help="set a new password, end the account's sessions and lift a lock")
    password.add_argument("email")
    password.set_defaults(func=change_password)
    actions.add_parser("list", help="list accounts").set_defaults(func=list_accounts)
    for name, text in (("disable", "stop the account signing in; its sessions end at once"),
                       ("enable", "let a disabled account sign in again"),
                       ("remove", "remove the account for good (its notes stay)")):
        action = actions.add_parser(name, help=text)
        action.add_argument("email")
        action.set_defaults(func=change_account, change=name)
    role = actions.add_parser("role", help="make an account admin or staff")
    role.add_argument("email")
    role.add_argument("role", choices=("admin", "staff"))
    role.set_defaults(func=change_account, change="role")


def read_password(stdin: TextIO | None = None, *, confirm: bool = True) -> str:
    """The new password from a prompt, or from standard input's first line when piped."""
    stream = stdin or sys.stdin
    if not stream.isatty():
        return stream.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat the password: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _runtime():  # type: ignore[no-untyped-def]
    from consultbot.runtime import build_runtime
    from plumbing.settings import load_settings_or_exit

    return build_runtime(load_settings_or_exit(), check_key=True)


def add_account(args: argparse.Namespace) -> int:
    from dashboard.accounts import AccountError, create_account

    runtime = _runtime()
    try:
        password = read_password()
        with runtime.db.transaction() as session:
            account = create_account(session, args.email, password, now=runtime.clock(),
                                     role=args.role)
    except (AccountError, ValueError) as exc:
        print(f"consultbot staff add: {exc}", file=sys.stderr)
        return 1
    print(f"Created staff account {account.email} ({account.role}). Sign in at /staff.")
    return 0


def change_password(args: argparse.Namespace) -> int:
    from dashboard.accounts import AccountError, find_account, set_password
    from dashboard.models import LoginThrottle
    from dashboard.throttle import keys_for

    runtime = _runtime()
    try:
        password = read_password()
        with runtime.db.transaction() as session:
            account = find_account(session, args.email)
            if account is None:
                raise AccountError(f"no account for {args.email}")
            set_password(session, account, password)
            lock = session.get(LoginThrottle, keys_for(account.email, None)[0])
            if lock is not None:
                session.delete(lock)
    except (AccountError, ValueError) as exc:
        print(f"consultbot staff password: {exc}", file=sys.stderr)
        return 1
    print(f"New password set for {account.email}; its other sessions have ended.")
    return 0


def list_accounts(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from dashboard.accounts import is_removed
    from dashboard.models import StaffAccount

    runtime = _runtime()
    with runtime.db.transaction() as session:
        accounts = session.exec(select(StaffAccount).order_by(StaffAccount.email)).all()
    if not accounts:
        print("No staff accounts yet: run consultbot staff add EMAIL")
    for account in accounts:
        last = account.last_login_at.isoformat(timespec="minutes") if account.last_login_at \
            else "never"
        state = "removed" if is_removed(account) else "disabled" if account.disabled_at \
            else "active"
        print(f"{account.email}\t{account.role}\t{state}\tlast sign-in: {last}")
    return 0


def change_account(args: argparse.Namespace) -> int:
    """disable, enable, remove or role: one change to one account, recorded in the audit."""
    from dashboard import accounts as domain
    from dashboard import audit

    runtime = _runtime()
    try:
        with runtime.db.transaction() as session:
            account = domain.find_account(session, args.email)
            if account is None or domain.is_removed(account):
                raise domain.AccountError(f"no account for {args.email}")
            now = runtime.clock()
            if args.change == "disable":
                domain.disable(session, account, now=now)
            elif args.change == "enable":
                domain.enable(session, account)
            elif args.change == "remove":
                domain.remove(session, account, now=now)
            else:
                domain.set_role(session, account, args.role)
            change = f"{args.change} {args.role}" if args.change == "role" else args.change
            audit.record(session, actor="command line", action=audit.ACCOUNT,
                         target=f"{change}: {args.email}"[:100], now=now)
    except domain.AccountError as exc:
        print(f"consultbot staff {args.change}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.email}: {change} done.")
    return 0

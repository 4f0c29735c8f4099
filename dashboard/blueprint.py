"""The dashboard's blueprint, shared by the view modules; helpers every view uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, abort, current_app, request, session
from flask_login import UserMixin, current_user

from dashboard import audit
from dashboard.models import ADMIN, StaffAccount
from plumbing.runtime import Runtime

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates",
               static_folder="static")

#: Where the session remembers when its owner signed in (judged by the injected clock).
SESSION_STARTED = "staff_since"
#: Endpoints a visitor may reach without signing in (the feed checks its own secret).
PUBLIC_ENDPOINTS = frozenset({"staff.login", "staff.static", "staff.calendar_feed"})


class StaffUser(UserMixin):
    """The signed-in member of staff, as Flask-Login keeps them for a request."""

    def __init__(self, account: StaffAccount) -> None:
        assert account.id is not None
        self.id = account.id
        self.email = account.email
        self.timezone = account.timezone
        self.session_version = account.session_version
        self.role = account.role

    @property
    def is_admin(self) -> bool:
        """Admins also read the audit trail and manage accounts."""
        return self.role == ADMIN

    def get_id(self) -> str:
        # The version makes sessions from before a password change invalid.
        return f"{self.id}.{self.session_version}"


def runtime() -> Runtime:
    """The runtime of the running app."""
    return current_app.extensions["consultbot.runtime"]  # type: ignore[no-any-return]


def reachable_channels() -> frozenset[str]:
    """Channels messages can be sent on with this server's settings."""
    return current_app.extensions.get("consultbot.reachable", frozenset())  # type: ignore[no-any-return]


def now() -> datetime:
    """The current instant from the injected clock."""
    return runtime().clock()


def staff_zone() -> str:
    """The zone the signed-in person reads times in."""
    user: Any = current_user
    zone = getattr(user, "timezone", None)
    return str(zone or runtime().settings.staff_timezone)


def session_expired() -> bool:
    """Whether this session began more than STAFF_SESSION_HOURS ago (or never said when)."""
    try:
        began = datetime.fromisoformat(str(session.get(SESSION_STARTED)))
    except ValueError:
        return True
    return now() - began > timedelta(hours=runtime().settings.staff_session_hours)


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) a signed-in member of staff who is not an admin."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_admin", False):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def audit_here(db: Any, action: str, target: str, *, actor: str | None = None) -> None:
    """Record ``action`` on ``target`` by the signed-in person, from this request's address."""
    audit.record(db, actor=actor or str(getattr(current_user, "email", "?")), action=action,
                 target=target, now=now(), address=request.remote_addr)

"""The dashboard's blueprint, shared by the view modules; helpers every view uses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, session
from flask_login import UserMixin, current_user

from dashboard.models import StaffAccount
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

    def get_id(self) -> str:
        # The version makes sessions from before a password change invalid.
        return f"{self.id}.{self.session_version}"


def runtime() -> Runtime:
    """The runtime of the running app."""
    return current_app.extensions["consultbot.runtime"]  # type: ignore[no-any-return]


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

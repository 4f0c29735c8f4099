"""Attaching the dashboard to the app: sign-in, CSRF on every form, cookies, headers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response

from bot.engine import Bot
from dashboard import times
from dashboard.accounts import count_accounts
from dashboard.blueprint import (
    PUBLIC_ENDPOINTS,
    StaffUser,
    bp,
    runtime,
    session_expired,
)
from dashboard.models import StaffAccount
from dashboard.views import (  # noqa: F401  (importing registers the views)
    account,
    admin,
    auth,
    availability,
    bookings,
    casefiles,
    exports,
    messages,
    people,
    waiting,
)
from plumbing.command import command_name
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

AREA = "staff dashboard"
_csrf = CSRFProtect()

#: Sent with every dashboard response: nothing from elsewhere, no framing, no caching.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def attach(app: Flask, runtime_: Runtime, bot: Bot) -> None:
    """Register the dashboard under ``/staff`` and say at start-up whether accounts exist."""
    settings = runtime_.settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.staff_session_hours),
        # Checked for the dashboard's own requests only (see _guard): other areas
        # receive webhooks that carry no token.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.staff_session_hours * 3600,
    )
    _csrf.init_app(app)
    manager = LoginManager()
    manager.login_view = "staff.login"
    manager.login_message = "Please sign in to continue."
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    manager.init_app(app)
    app.register_blueprint(bp)
    with runtime_.db.transaction() as db_session:
        accounts = count_accounts(db_session)
    app.config["AREAS"][AREA] = "on: /staff" if accounts else (
        f"on: /staff (no staff account yet: run {command_name()} staff add EMAIL)")


def _load_user(user_id: str) -> StaffUser | None:
    account_id, _, version = user_id.partition(".")
    if not account_id.isdigit() or not version.isdigit():
        return None
    with runtime().db.transaction() as db_session:
        account = db_session.get(StaffAccount, int(account_id))
    if account is None or account.session_version != int(version) or \
            account.disabled_at is not None:
        return None
    return StaffUser(account)


@bp.before_request
def _guard() -> Response | None:
    """Refuse visitors who are not signed in, expired sessions, and forms without a token."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path.rstrip("?")
                                    if request.method == "GET" else None))
        if session_expired():
            logout_user()
            session.clear()
            flash("Your session has ended. Please sign in again.", "error")
            return redirect(url_for("staff.login"))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        _csrf.protect()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    log.info("staff form refused: %s", error.description)
    return render_template("staff/error.html", title="Form refused",
                           message="This form was not accepted: it is missing its security "
                                   "token or has expired. Go back, reload the page and try "
                                   "again."), 400


@bp.app_template_filter("when")
def _when(moment: datetime | None, zone_name: str | None = None) -> str:
    from dashboard.blueprint import staff_zone

    return times.when(moment, zone_name or staff_zone())


@bp.app_template_filter("meeting")
def _meeting(status: str) -> str:
    from dashboard.bookings import meeting_label

    return meeting_label(status)


@bp.app_template_filter("waited")
def _waited(delta: timedelta) -> str:
    return times.waited(delta)


@bp.context_processor
def _layout() -> dict[str, Any]:
    from dashboard.messages import failed_count
    from dashboard.waiting import waiting_count

    values: dict[str, Any] = {"company": runtime().settings.company_name}
    if current_user.is_authenticated:
        with runtime().db.transaction() as db_session:
            values["waiting_total"] = waiting_count(db_session)
            values["failed_total"] = failed_count(db_session)
    return values

"""Signing in and out, with limits on failed attempts."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from dashboard import audit, throttle, times
from dashboard.accounts import find_account, verify_password
from dashboard.blueprint import (
    SESSION_STARTED,
    StaffUser,
    bp,
    now,
    runtime,
    session_expired,
)
from dashboard.forms import ActionForm, SignInForm
from dashboard.models import StaffAccount
from plumbing.command import command_name

log = logging.getLogger(__name__)

def safe_next(target: str | None) -> str:
    """Only paths inside the dashboard, without control characters (a CR/LF would break
    the ``Location`` header); anything else goes to the bookings list."""
    if target and target.startswith("/staff/") and not target.startswith("//") \
            and "\\" not in target and target.isprintable() and " " not in target:
        return target
    return url_for("staff.bookings")


def _locked_message(until) -> str:  # type: ignore[no-untyped-def]
    return ("Too many failed sign-ins. Signing in is locked until "
            f"{times.when(until, runtime().settings.staff_timezone, with_date=False)}.")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated and not session_expired():
        return redirect(url_for("staff.bookings"))
    form = SignInForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("staff/login.html", form=form, cli=command_name()), status
    settings = runtime().settings
    moment = now()
    email = (form.email.data or "").strip().lower()
    keys = throttle.keys_for(email, request.remote_addr)
    user, disabled = None, False
    with runtime().db.transaction() as db:
        until = throttle.locked_until(db, keys, moment)
        if until is None:
            account = find_account(db, email)
            if verify_password(account, form.password.data or ""):
                assert account is not None
                disabled = account.disabled_at is not None
                if not disabled:
                    throttle.record_success(db, keys[0])
                    account.last_login_at = moment
                    db.add(account)
                    user = StaffUser(account)
            else:
                until = throttle.record_failure(
                    db, keys, moment, max_failures=settings.staff_max_failed_logins,
                    lockout=timedelta(minutes=settings.staff_lockout_minutes))
                if until is not None:
                    log.warning("staff sign-in locked for %d minutes after repeated failures",
                                settings.staff_lockout_minutes)
        audit.record(db, actor=email or "?", action=audit.SIGN_IN if user else
                     audit.SIGN_IN_REFUSED, target="dashboard", now=moment,
                     address=request.remote_addr)
    if user is None:
        message = "This account is disabled." if disabled else \
            _locked_message(until) if until else "Wrong e-mail or password."
        flash(message, "error")
        return render_template("staff/login.html", form=SignInForm(email=email),
                               cli=command_name()), \
            403 if disabled else 429 if until else 401
    session.clear()  # a fresh session for the signed-in person
    login_user(user)
    session.permanent = True
    session[SESSION_STARTED] = moment.isoformat()
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> Response:
    ActionForm()  # the token was checked before the view ran
    with runtime().db.transaction() as db:  # a copy of this session's cookie stops working
        account = db.get(StaffAccount, current_user.id)
        if account is not None:
            account.session_version += 1
            db.add(account)
    logout_user()
    session.clear()
    flash("You are signed out.", "ok")
    return redirect(url_for("staff.login"))


@bp.get("/")
def home() -> Response:
    return redirect(url_for("staff.bookings"))

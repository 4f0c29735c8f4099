"""The signed-in person's own settings: time zone and private calendar-feed link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from dashboard import audit, times
from dashboard.accounts import (
    AccountError,
    new_calendar_token,
    set_password,
    verify_password,
)
from dashboard.blueprint import SESSION_STARTED, StaffUser, audit_here, bp, now, runtime
from dashboard.forms import ActionForm, PasswordForm, ZoneForm
from dashboard.models import StaffAccount


def _account(db) -> StaffAccount:  # type: ignore[no-untyped-def]
    account = db.get(StaffAccount, current_user.id)
    assert account is not None
    return account


@bp.get("/account")
def account() -> str:
    with runtime().db.transaction() as db:
        has_feed = _account(db).calendar_token_hash is not None
    return render_template("staff/account.html", title="Your account",
                           zone_form=ZoneForm(timezone=current_user.timezone or ""),
                           action=ActionForm(), has_feed=has_feed, feed_url=None,
                           default_zone=runtime().settings.staff_timezone,
                           password_form=PasswordForm())


@bp.post("/account/timezone")
def set_timezone() -> Response:
    form = ZoneForm()
    value = (form.timezone.data or "").strip() if form.validate_on_submit() else ""
    if value and not times.is_zone(value):
        flash(f"Unknown time zone {value!r}: use a name such as Europe/London.", "error")
        return redirect(url_for("staff.account"))
    with runtime().db.transaction() as db:
        account_row = _account(db)
        account_row.timezone = value or None
        db.add(account_row)
    flash("Time zone saved.", "ok")
    return redirect(url_for("staff.account"))


@bp.post("/account/calendar")
def new_feed() -> str:
    """Make a new secret feed URL (the old one stops working) and show it once."""
    with runtime().db.transaction() as db:
        account_row = _account(db)
        token = new_calendar_token(account_row)
        db.add(account_row)
    feed_url = request.host_url.rstrip("/") + url_for("staff.calendar_feed", token=token)
    base = runtime().settings.public_base_url
    if base:
        feed_url = base.rstrip("/") + url_for("staff.calendar_feed", token=token)
    return render_template("staff/account.html", title="Your account",
                           zone_form=ZoneForm(timezone=current_user.timezone or ""),
                           action=ActionForm(), has_feed=True, feed_url=feed_url,
                           default_zone=runtime().settings.staff_timezone,
                           password_form=PasswordForm())


@bp.post("/account/password")
def change_password() -> Response:
    """A new password: every other session of the account ends, this one goes on."""
    form = PasswordForm()
    if not form.validate_on_submit():
        flash("Fill in all three password fields.", "error")
        return redirect(url_for("staff.account"))
    if form.new.data != form.repeat.data:
        flash("The two new passwords differ.", "error")
        return redirect(url_for("staff.account"))
    try:
        with runtime().db.transaction() as db:
            account_row = _account(db)
            if not verify_password(account_row, form.current.data or ""):
                raise AccountError("the current password is wrong")
            set_password(db, account_row, form.new.data or "")
            audit_here(db, audit.PASSWORD, f"account:{account_row.id}")
            user = StaffUser(account_row)
    except AccountError as refused:
        flash(f"Password not changed: {refused}.", "error")
        return redirect(url_for("staff.account"))
    started = session.get(SESSION_STARTED)
    login_user(user)  # this session carries the new version; copies of the old do not
    session[SESSION_STARTED] = started or now().isoformat()
    flash("Password changed. Your other sessions have ended.", "ok")
    return redirect(url_for("staff.account"))

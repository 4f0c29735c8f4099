"""The signed-in person's own settings: time zone and private calendar-feed link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from dashboard import times
from dashboard.accounts import new_calendar_token
from dashboard.blueprint import bp, runtime
from dashboard.forms import ActionForm, ZoneForm
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
                           default_zone=runtime().settings.staff_timezone)


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
                           default_zone=runtime().settings.staff_timezone)

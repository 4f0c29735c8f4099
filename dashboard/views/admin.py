"""For admins: the audit trail and the staff accounts (role, disable, enable, remove)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import col, select
from werkzeug.wrappers import Response

from dashboard import accounts as domain
from dashboard import audit
from dashboard.blueprint import admin_required, audit_here, bp, now, runtime, staff_zone
from dashboard.forms import ActionForm
from dashboard.models import ROLES, StaffAccount

CHANGES = ("disable", "enable", "remove", *(f"role:{r}" for r in ROLES))


@bp.get("/audit")
@admin_required
def audit_trail() -> str:
    args = request.args
    with runtime().db.transaction() as db:
        events = audit.recent(db, actor=args.get("actor") or None,
                              action=args.get("action") or None,
                              target=args.get("target") or None)
    return render_template("staff/audit.html", title="Audit trail", events=events,
                           zone=staff_zone(), args=args)


@bp.get("/accounts")
@admin_required
def accounts() -> str:
    with runtime().db.transaction() as db:
        rows = [a for a in db.exec(select(StaffAccount).order_by(col(StaffAccount.email)))
                if not domain.is_removed(a)]
    return render_template("staff/accounts.html", title="Accounts", rows=rows,
                           zone=staff_zone(), action=ActionForm(), roles=ROLES)


@bp.post("/accounts/<int:account_id>/<change>")
@admin_required
def change_account(account_id: int, change: str) -> Response:
    ActionForm()  # the token was checked before the view ran
    if change not in CHANGES:
        abort(404)
    try:
        with runtime().db.transaction() as db:
            account = db.get(StaffAccount, account_id)
            if account is None or domain.is_removed(account):
                abort(404)
            email, moment = account.email, now()
            if change == "disable":
                domain.disable(db, account, now=moment)
            elif change == "enable":
                domain.enable(db, account)
            elif change == "remove":
                domain.remove(db, account, now=moment)
            else:
                domain.set_role(db, account, change.split(":", 1)[1])
            audit_here(db, audit.ACCOUNT, f"{change}: {email}")
    except domain.AccountError as refused:
        flash(f"Not changed: {refused}.", "error")
        return redirect(url_for("staff.accounts"))
    flash(f"{email}: {change.replace(':', ' ')} done.", "ok")
    if account_id == current_user.id and change in ("disable", "remove"):
        return redirect(url_for("staff.login"))
    return redirect(url_for("staff.accounts"))

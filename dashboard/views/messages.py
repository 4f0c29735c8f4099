"""Messages the service could not send (staff alerts included) and the ones still waiting;
sending a failed one again, e.g. once a WhatsApp template has been configured."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from werkzeug.wrappers import Response

from dashboard import messages as domain
from dashboard.blueprint import bp, now, runtime, staff_zone
from dashboard.views.auth import safe_next
from plumbing.outbox import retry_failed


@bp.get("/messages")
def messages() -> str:
    tab = request.args.get("tab", domain.FAILED_TAB)
    if tab not in domain.TABS:
        tab = domain.FAILED_TAB
    moment = now()
    with runtime().db.transaction() as db:
        if tab == domain.FAILED_TAB:
            listing = domain.failed_messages(db, runtime().cipher, moment)
        else:
            listing = domain.waiting_messages(db, runtime().cipher, moment)
    return render_template("staff/messages.html", title="Messages", tab=tab, tabs=domain.TABS,
                           listing=listing, zone=staff_zone(), now=moment,
                           limit=domain.LIST_LIMIT)


@bp.post("/messages/<int:message_id>/retry")
def retry_message(message_id: int) -> Response:
    with runtime().db.transaction() as db:
        queued = retry_failed(db, message_id, now())
    flash("The message will be sent again." if queued else
          "That message has not failed (it may have been sent meanwhile).",
          "ok" if queued else "error")
    return redirect(safe_next(request.form.get("next")))

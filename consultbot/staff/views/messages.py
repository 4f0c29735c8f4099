"""Sending a failed message again, e.g. once a WhatsApp template has been configured."""

from __future__ import annotations

from flask import flash, redirect, request
from werkzeug.wrappers import Response

from consultbot.staff.blueprint import bp, now, runtime
from consultbot.staff.views.auth import safe_next
from consultbot.worker import retry_failed


@bp.post("/messages/<int:message_id>/retry")
def retry_message(message_id: int) -> Response:
    with runtime().db.transaction() as db:
        queued = retry_failed(db, message_id, now())
    flash("The message will be sent again." if queued else
          "That message has not failed (it may have been sent meanwhile).",
          "ok" if queued else "error")
    return redirect(safe_next(request.form.get("next")))

"""People waiting for a human: the list, replying on their channel, resolving."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from dashboard import audit
from dashboard import waiting as domain
from dashboard.blueprint import audit_here, bp, now, reachable_channels, runtime
from dashboard.forms import ActionForm, ReplyForm
from dashboard.reach import reply_refusal


@bp.get("/waiting")
def waiting() -> str:
    rt = runtime()
    moment = now()
    with rt.db.transaction() as db:
        people = domain.waiting_list(db, rt.cipher, moment)
    reachable = reachable_channels()
    return render_template("staff/waiting.html", title="People waiting", people=people,
                           promise=domain.PROMISE, action=ActionForm(),
                           refusals={p.request.id: reply_refusal(
                               p.conversation.channel, reachable) for p in people},
                           reply_forms={p.request.id: ReplyForm(prefix=f"r{p.request.id}")
                                        for p in people})


@bp.post("/waiting/<int:request_id>/reply")
def reply(request_id: int) -> Response:
    form = ReplyForm(prefix=f"r{request_id}")
    if not form.validate_on_submit():
        flash("The reply was not sent: write between 1 and "
              f"{domain.REPLY_MAX} characters.", "error")
        return redirect(url_for("staff.waiting") + f"#request-{request_id}")
    rt = runtime()
    try:
        with rt.db.transaction() as db:
            stored = domain.send_reply(db, rt.cipher, request_id, form.text.data or "",
                                       nonce=form.nonce.data or "", now=now(),
                                       link=rt.settings.company_website,
                                       reachable=reachable_channels())
            if stored:
                audit_here(db, audit.STAFF_REPLY, f"request:{request_id}")
    except domain.NotWaiting:
        abort(404)
    except ValueError as refused:
        flash(f"The reply was not sent: {refused}.", "error")
        return redirect(url_for("staff.waiting") + f"#request-{request_id}")
    flash("Reply queued: it goes to the person on their channel." if stored else
          "That reply had already been sent.", "ok")
    return redirect(url_for("staff.waiting") + f"#request-{request_id}")


@bp.post("/waiting/<int:request_id>/resolve")
def resolve(request_id: int) -> Response:
    rt = runtime()
    try:
        with rt.db.transaction() as db:
            domain.resolve(db, request_id, by=current_user.email, now=now())
    except domain.NotWaiting:
        flash("That request was already resolved.", "ok")
        return redirect(url_for("staff.waiting"))
    flash("Marked as resolved.", "ok")
    return redirect(url_for("staff.waiting"))

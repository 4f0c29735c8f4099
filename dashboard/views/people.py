"""People: everyone who started an intake, one person's page, export and erasure."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from sqlmodel import select
from werkzeug.wrappers import Response as BaseResponse

from booking.service import upcoming_for
from bot.erasure import Erasing, erase
from bot.models import Conversation
from bot.retention import schedule
from dashboard import audit
from dashboard import people as domain
from dashboard.blueprint import audit_here, bp, now, runtime, staff_zone
from dashboard.export import person_export
from dashboard.export_bundle import bundle
from dashboard.forms import EraseForm, ExportForm
from dashboard.transcript import transcript


@bp.get("/people")
def people() -> str:
    rt = runtime()
    query = (request.args.get("q") or "")[:200]
    with rt.db.transaction() as db:
        rows = domain.list_people(db, rt.cipher, rt.settings, now(), query)
    return render_template("staff/people.html", title="People", rows=rows, q=query,
                           zone=staff_zone())


def _person_page(conversation_id: int, *, export_form: ExportForm | None = None,
                 erase_form: EraseForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    rt = runtime()
    moment = now()
    with rt.db.transaction() as db:
        person = db.get(Conversation, conversation_id)
        if person is None:
            abort(404)
        case = domain.latest_case(db, conversation_id)
        details = domain.case_details(rt.cipher, case).to_dict()
        lines = transcript(db, rt.cipher, conversation_id)
        ahead = upcoming_for(db, conversation_id, moment)
        due = schedule(db, rt.settings, moment, [conversation_id]).get(conversation_id)
        audit_here(db, audit.VIEW_PERSON, f"person:{conversation_id}")
    return render_template(
        "staff/person.html", title=f"Person #{conversation_id}", person=person,
        name=domain.display_name(rt.cipher, person, case), details=details, lines=lines,
        ahead=ahead, purge_at=due.purge_at if due else None, zone=staff_zone(),
        export_form=export_form or ExportForm(), erase_form=erase_form or EraseForm(),
    ), status


@bp.get("/people/<int:conversation_id>")
def person(conversation_id: int):  # type: ignore[no-untyped-def]
    return _person_page(conversation_id)


@bp.post("/people/<int:conversation_id>/export")
def export_person(conversation_id: int):  # type: ignore[no-untyped-def]
    form = ExportForm()
    if not form.validate_on_submit():
        return _person_page(conversation_id, export_form=form, status=400)
    rt = runtime()
    with rt.db.transaction() as db:
        data = person_export(db, rt.cipher, conversation_id)
        if data is None:
            abort(404)
        audit_here(db, audit.EXPORT, f"person:{conversation_id} ({form.format.data})")
    name = f"person-{conversation_id}-{now():%Y%m%d-%H%M}"
    if form.format.data == "zip":
        response = send_file(bundle(rt.db, rt.cipher, data), mimetype="application/zip",
                             as_attachment=True, download_name=f"{name}.zip")
        response.headers["Cache-Control"] = "no-store"
        return response
    if form.format.data == "json":
        return Response(json.dumps(data, ensure_ascii=False, indent=2),
                        mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    return render_template("staff/person_export.html", title=f"Export of person "
                           f"#{conversation_id}", data=data, conversation_id=conversation_id)


@bp.post("/people/<int:conversation_id>/erase")
def erase_person(conversation_id: int) -> BaseResponse | tuple[str, int]:
    form = EraseForm()
    if not form.validate_on_submit():
        return _person_page(conversation_id, erase_form=form, status=400)  # type: ignore[no-any-return]
    rt = runtime()
    moment = now()
    with rt.db.transaction() as db:
        person = db.exec(select(Conversation).where(Conversation.id == conversation_id)
                         .with_for_update()).first()
        if person is None:
            abort(404)
        cancelled = len(upcoming_for(db, conversation_id, moment))
        erase(Erasing(rt, db, person, moment))
        audit_here(db, audit.ERASE, f"person:{conversation_id}")
    flash("Erased at the person's request" + (
        f"; {cancelled} consultation{'s' if cancelled > 1 else ''} cancelled (the Zoom "
        "meeting is deleted shortly)." if cancelled else "."), "ok")
    return redirect(url_for("staff.person", conversation_id=conversation_id))

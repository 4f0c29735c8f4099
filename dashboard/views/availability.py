"""Consultants, weekly hours and days off; with the slots the bot offers right now."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking.models import Consultant
from dashboard import availability as domain
from dashboard.blueprint import bp, now, runtime, staff_zone
from dashboard.forms import ActionForm, CalendarForm, ConsultantForm, DayOffForm

PREVIEW_DAYS = 7


@bp.get("/availability")
def availability() -> str:
    rt = runtime()
    moment, zone = now(), staff_zone()
    today = moment.astimezone(domain.times.zone(zone)).date()
    with rt.db.transaction() as db:
        people = domain.overview(db, today, moment)
        offered = domain.offered_summary(
            domain.offered_slots(db, rt.settings, moment, PREVIEW_DAYS, zone), zone)
    new_form = ConsultantForm(prefix="new", timezone=rt.settings.booking_timezone)
    states = {p.consultant.id: domain.calendar_state(p.calendar, rt.settings, moment)
              for p in people}
    return render_template("staff/availability.html", title="Availability", people=people,
                           offered=offered, zone=zone, days=PREVIEW_DAYS, new_form=new_form,
                           states=states)


@bp.route("/availability/consultants/<int:consultant_id>", methods=["GET", "POST"])
def consultant(consultant_id: int):  # type: ignore[no-untyped-def]
    rt = runtime()
    moment = now()
    with rt.db.transaction() as db:
        found = db.get(Consultant, consultant_id)
        if found is None:
            abort(404)
        weekly = domain.weekly_text(db, consultant_id)
        today = moment.astimezone(domain.times.zone(found.timezone)).date()
        hours = domain.overview(db, today, moment, consultant_id)[0]
    form = ConsultantForm(obj=found, weekly_hours=weekly) if request.method == "GET" \
        else ConsultantForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with rt.db.transaction() as db:
                    domain.save_consultant(
                        db, consultant_id, name=form.name.data or "", email=form.email.data or "",
                        timezone=form.timezone.data or "", weekly=form.weekly_hours.data or "",
                        active=bool(form.active.data), now=moment)
            except domain.AvailabilityError as exc:
                flash(str(exc), "error")
                status = 400
            else:
                flash("Saved. The bot offers the new hours from now on.", "ok")
                return redirect(url_for("staff.consultant", consultant_id=consultant_id))
        else:
            status = 400
    return render_template("staff/consultant.html", title=found.name, c=found, form=form,
                           hours=hours, date_form=DayOffForm(), action=ActionForm(),
                           calendar_form=CalendarForm(kind=hours.calendar.kind if hours.calendar
                                                      else "caldav"),
                           calendar_state=domain.calendar_state(hours.calendar, rt.settings,
                                                                moment),
                           unreadable=rt.settings.calendar_unreadable,
                           refresh_minutes=rt.settings.calendar_refresh_minutes), status


@bp.post("/availability/consultants")
def add_consultant() -> Response:
    form = ConsultantForm(prefix="new")
    if not form.validate_on_submit():
        flash("Fill in the name, e-mail and time zone.", "error")
        return redirect(url_for("staff.availability"))
    try:
        with runtime().db.transaction() as db:
            created = domain.save_consultant(
                db, None, name=form.name.data or "", email=form.email.data or "",
                timezone=form.timezone.data or "", weekly=form.weekly_hours.data or "",
                active=bool(form.active.data), now=now())
    except domain.AvailabilityError as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.availability"))
    flash(f"Added {created.name}.", "ok")
    return redirect(url_for("staff.consultant", consultant_id=created.id))


@bp.post("/availability/consultants/<int:consultant_id>/dates")
def add_date(consultant_id: int) -> Response:
    form = DayOffForm()
    if not form.validate_on_submit() or form.day.data is None:
        flash("Enter a date.", "error")
    else:
        try:
            with runtime().db.transaction() as db:
                domain.save_date(db, consultant_id, form.day.data, form.hours.data or "",
                                 form.note.data or "")
        except domain.AvailabilityError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{form.day.data:%a %d %b %Y} saved.", "ok")
    return redirect(url_for("staff.consultant", consultant_id=consultant_id) + "#dates")


@bp.post("/availability/consultants/<int:consultant_id>/dates/<int:override_id>/delete")
def remove_date(consultant_id: int, override_id: int) -> Response:
    with runtime().db.transaction() as db:
        domain.remove_date(db, consultant_id, override_id)
    flash("Date removed: the weekly hours apply again.", "ok")
    return redirect(url_for("staff.consultant", consultant_id=consultant_id) + "#dates")


@bp.post("/availability/consultants/<int:consultant_id>/calendar")
def save_calendar(consultant_id: int) -> Response:
    form = CalendarForm()
    rt = runtime()
    if not form.validate_on_submit():
        flash("Enter the calendar's address.", "error")
    else:
        try:
            with rt.db.transaction() as db:
                domain.save_calendar(db, rt.cipher, consultant_id, kind=form.kind.data or "",
                                     url=form.url.data or "", username=form.username.data or "",
                                     password=form.password.data or "", now=now())
        except domain.AvailabilityError as exc:
            flash(str(exc), "error")
        else:
            flash("Calendar saved. It is read within a minute; until then this consultant's "
                  "times are not offered.", "ok")
    return redirect(url_for("staff.consultant", consultant_id=consultant_id) + "#calendar")


@bp.post("/availability/consultants/<int:consultant_id>/calendar/delete")
def remove_calendar(consultant_id: int) -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        rt = runtime()
        with rt.db.transaction() as db:
            domain.remove_calendar(db, rt.cipher, consultant_id, now())
        flash("Calendar disconnected: its busy times no longer count.", "ok")
    return redirect(url_for("staff.consultant", consultant_id=consultant_id) + "#calendar")

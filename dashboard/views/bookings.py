"""The bookings list, one booking's page, and the actions on it."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from booking.models import BookingStatus
from bot.models import Conversation
from dashboard import audit, by_hand
from dashboard import bookings as domain
from dashboard.blueprint import audit_here, bp, now, reachable_channels, runtime, staff_zone
from dashboard.forms import ActionForm, ByHandForm, CancelForm, NoteForm, OutcomeForm
from dashboard.reach import reply_refusal
from dashboard.transcript import transcript

#: Messages of the conversation shown at first on a booking's page (the latest).
RECENT_LINES = 12


def filters_from(args) -> domain.Filters:  # type: ignore[no-untyped-def]
    """The list's filters from the query string; bad values are ignored."""
    tab = args.get("tab", domain.UPCOMING)
    consultant = args.get("consultant", "")
    try:
        day = date.fromisoformat(args.get("date", "")) if args.get("date") else None
    except ValueError:
        day = None
    return domain.Filters(
        tab=tab if tab in domain.TABS else domain.UPCOMING,
        consultant_id=int(consultant) if consultant.isdigit() else None,
        day=day,
        channel=args.get("channel", "")[:16],
        country=args.get("country", "").strip()[:2],
        query=args.get("q", "").strip()[:100],
    )


@bp.get("/bookings")
def bookings() -> str:
    rt = runtime()
    filters = filters_from(request.args)
    zone = staff_zone()
    with rt.db.transaction() as db:
        listing = domain.list_bookings(db, rt.cipher, now(), filters, zone)
        consultants = domain.consultants(db)
        channels = domain.channels_in_use(db)
    return render_template("staff/bookings.html", title="Bookings", listing=listing,
                           filters=filters, consultants=consultants, channels=channels, zone=zone,
                           tabs=domain.TABS, limit=domain.LIST_LIMIT)


@bp.get("/bookings/<int:booking_id>")
def booking(booking_id: int) -> str:
    return _page(booking_id)


def _page(booking_id: int, *, cancel_form: CancelForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    rt = runtime()
    moment = now()
    with rt.db.transaction() as db:
        view = domain.booking_page(db, rt.cipher, booking_id)
        if view is None:
            abort(404)
        lines = transcript(db, rt.cipher, view.booking.conversation_id)
        person = db.get(Conversation, view.booking.conversation_id)
        erased = (person.erased_at, person.erased_reason) if person and person.erased_at \
            else None
        if request.method == "GET":
            audit_here(db, audit.VIEW_CASE, f"booking:{booking_id}")
    b = view.booking
    whole = request.args.get("transcript") == "all"
    return render_template(
        "staff/booking.html", title=f"Booking {view.name}", view=view, b=b,
        lines=lines if whole else lines[-RECENT_LINES:], hidden=0 if whole else
        max(0, len(lines) - RECENT_LINES),
        zone=staff_zone(), now=moment, erased=erased,
        can_cancel=b.status == BookingStatus.CONFIRMED and b.end > moment,
        can_record=b.status in (BookingStatus.CONFIRMED, *domain.OUTCOMES) and b.start <= moment,
        cancel_form=cancel_form or CancelForm(), outcome_form=OutcomeForm(),
        note_form=NoteForm(), action=ActionForm(),
    ), status


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel(booking_id: int):  # type: ignore[no-untyped-def]
    form = CancelForm()
    if not form.validate_on_submit():
        return _page(booking_id, cancel_form=form, status=400)
    rt = runtime()
    try:
        with rt.db.transaction() as db:
            domain.cancel_booking(db, rt, booking_id, staff_email=current_user.email,
                                  reason=form.reason.data or "")
    except domain.ActionRefused as exc:
        flash(str(exc), "error")
    else:
        flash("Booking cancelled. The applicant is being told on their channel.", "ok")
    return redirect(url_for("staff.booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/outcome")
def outcome(booking_id: int) -> Response:
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            with runtime().db.transaction() as db:
                domain.record_outcome(db, booking_id, form.outcome.data or "", now())
        except domain.ActionRefused as exc:
            flash(str(exc), "error")
        else:
            flash("Outcome saved.", "ok")
    else:
        flash("Choose an outcome.", "error")
    return redirect(url_for("staff.booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/notes")
def add_note(booking_id: int) -> Response:
    form = NoteForm()
    if form.validate_on_submit():
        rt = runtime()
        try:
            with rt.db.transaction() as db:
                domain.add_note(db, rt.cipher, booking_id, current_user.id,
                                form.body.data or "", now())
        except domain.ActionRefused as exc:
            flash(str(exc), "error")
        else:
            flash("Note added.", "ok")
    else:
        flash("The note is empty or too long.", "error")
    return redirect(url_for("staff.booking", booking_id=booking_id) + "#notes")


@bp.route("/bookings/<int:booking_id>/message", methods=["GET", "POST"])
def message_by_hand(booking_id: int):  # type: ignore[no-untyped-def]
    """Write to the booking's person yourself: a message, the meeting link Zoom did not make."""
    rt = runtime()
    form = ByHandForm()
    with rt.db.transaction() as db:
        view = domain.booking_page(db, rt.cipher, booking_id)
        if view is None:
            abort(404)
        refusal = reply_refusal(view.booking.channel, reachable_channels())
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("Nothing was sent: the message has at most "
                  f"{by_hand.MESSAGE_MAX} characters.", "error")
        else:
            try:
                with rt.db.transaction() as db:
                    stored = by_hand.send_by_hand(
                        db, rt, booking_id, text=form.text.data or "",
                        link=form.link.data or "", nonce=form.nonce.data or "", now=now(),
                        reachable=reachable_channels())
                    if stored:
                        audit_here(db, audit.STAFF_MESSAGE, f"booking:{booking_id}")
            except by_hand.NotSent as refused:
                flash(f"Nothing was sent: {refused}.", "error")
            else:
                flash("Message queued: it goes to the person on their channel." if stored
                      else "That message had already been sent.", "ok")
                return redirect(url_for("staff.booking", booking_id=booking_id) + "#messages-h")
    return render_template("staff/booking_message.html", title=f"Write to {view.name}",
                           view=view, b=view.booking, form=form, refusal=refusal,
                           zone=staff_zone())

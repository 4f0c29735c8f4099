"""Downloads: bookings as CSV, and each person's private calendar feed."""

from __future__ import annotations

from flask import Response, abort, request, url_for

from dashboard import audit, exports
from dashboard import bookings as booking_lists
from dashboard.accounts import account_for_calendar_token
from dashboard.blueprint import audit_here, bp, now, runtime, staff_zone
from dashboard.views.bookings import filters_from


@bp.get("/exports/bookings.csv")
def export_csv() -> Response:
    rt = runtime()
    filters = filters_from(request.args)
    zone = staff_zone()
    moment = now()
    with rt.db.transaction() as db:
        listing = booking_lists.list_bookings(db, rt.cipher, moment, filters, zone, limit=None)
        audit_here(db, audit.EXPORT, f"bookings.csv ({filters.tab}, {len(listing.rows)} rows)")
    body = "\ufeff" + exports.bookings_csv(listing.rows, zone)  # BOM: Excel reads UTF-8
    name = f"bookings-{filters.tab}-{moment:%Y%m%d-%H%M}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str) -> Response:
    """The feed for calendar apps: its secret is the URL itself (no sign-in possible)."""
    rt = runtime()
    with rt.db.transaction() as db:
        if account_for_calendar_token(db, token) is None:
            abort(404)
        page = (rt.settings.public_base_url or request.host_url).rstrip("/") + \
            url_for("staff.booking", booking_id=0).replace("/0", "/{id}")
        body = exports.feed(db, now(), page_url=page, company=rt.settings.company_name)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="consultations.ics"'})

"""``/metrics`` for Prometheus: this process's counters plus totals read from the database.

Off unless ``METRICS_TOKEN`` is set (then the route does not exist: 404); a scrape must send
``Authorization: Bearer <METRICS_TOKEN>``. The flow is measured here, at the composition
root, by :class:`MeasuredBot` around it; channels count their refusals themselves
(``plumbing.metrics.rejected``).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from booking.models import Booking
from bot.engine import Handled
from bot.messages import Inbound
from channels.webchat.linking import LinkingBot
from plumbing.metrics import MESSAGES_HANDLED, REGISTRY, TURN_SECONDS
from plumbing.outbox import OutboxMessage, OutboxStatus
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

PATH = "/metrics"


class MeasuredBot(LinkingBot):
    """The flow, counting each message per channel and timing its turn."""

    def receive(self, inbound: Inbound) -> Handled:
        started = time.perf_counter()
        outcome = "not_stored"
        try:
            handled = super().receive(inbound)
            outcome = "repeated" if handled.repeated else "handled"
            return handled
        finally:  # NotStored (or a bug) leaves the outcome "not_stored"
            TURN_SECONDS.labels(inbound.channel).observe(time.perf_counter() - started)
            MESSAGES_HANDLED.labels(inbound.channel, outcome).inc()


class DatabaseCollector(Collector):
    """Totals every process reports alike, read at each scrape (aggregates, no content)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        now = self.runtime.clock()
        outbox = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        bookings = Booking.__table__.c  # type: ignore[attr-defined]
        with self.runtime.db.engine.connect() as connection:
            due, oldest = connection.execute(
                select(func.count(), func.min(outbox.due_at))
                .where(outbox.status == OutboxStatus.PENDING, outbox.due_at <= now)).one()
            by_kind = connection.execute(select(outbox.kind, outbox.status, func.count())
                                         .group_by(outbox.kind, outbox.status)).all()
            by_status = connection.execute(select(bookings.status, func.count())
                                           .group_by(bookings.status)).all()
        yield GaugeMetricFamily("consultbot_outbox_due", "Outbox messages due and not sent.",
                                value=due)
        yield GaugeMetricFamily(
            "consultbot_outbox_oldest_due_seconds", "How long the oldest due message waits.",
            value=(now - oldest).total_seconds() if oldest is not None else 0.0)
        stored = GaugeMetricFamily(
            "consultbot_outbox_messages", "Outbox messages kept, per kind (reminder, notice, "
            "…) and status (pending, sent, failed, cancelled).", labels=["kind", "status"])
        for kind, status, count in by_kind:
            stored.add_metric([kind, status], count)
        yield stored
        made = GaugeMetricFamily(
            "consultbot_bookings", "Bookings kept, per status (confirmed, cancelled, "
            "rescheduled, completed, no_show).", labels=["status"])
        for status, count in by_status:
            made.add_metric([status], count)
        yield made


def attach(app: Flask, runtime: Runtime) -> None:
    """Add ``/metrics`` when ``METRICS_TOKEN`` is set; say so in ``app.config["AREAS"]``."""
    token = runtime.settings.metrics_token
    if token is None:
        app.config["AREAS"]["metrics"] = "off (set METRICS_TOKEN to turn on /metrics)"
        return
    expected = f"Bearer {token.get_secret_value()}".encode()
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector(runtime))

    @app.get(PATH)
    def metrics() -> Response:
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            log.warning("metrics: refused from %s (%s token)", request.remote_addr,
                        "wrong" if given else "no")
            return Response("unauthorized\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
        body = generate_latest(REGISTRY) + generate_latest(from_database)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    app.config["AREAS"]["metrics"] = f"on: {PATH} (Authorization: Bearer METRICS_TOKEN)"

"""The process's Prometheus metrics that any layer may update (exposed by ``/metrics``).

Counted in this process only: each web process, the worker and the Telegram poller keep
their own (``docs/operations.md``). Totals that must agree across processes (the outbox,
bookings) are read from the database when ``/metrics`` is scraped (``consultbot.metrics``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

MESSAGES_HANDLED = Counter(
    "consultbot_messages_handled", "Messages from people handled by the flow, per channel; "
    "outcome: handled, repeated (a redelivery answered the same) or not_stored.",
    ["channel", "outcome"], registry=REGISTRY)
TURN_SECONDS = Histogram(
    "consultbot_turn_seconds", "Time the flow took to handle one message, per channel.",
    ["channel"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY)
WEBHOOK_REJECTIONS = Counter(
    "consultbot_webhook_rejections", "Requests a channel's endpoint refused, per reason "
    "(signature, secret, origin, malformed, too_long, rate_limited, unavailable).",
    ["channel", "reason"], registry=REGISTRY)


def rejected(channel: str, reason: str) -> None:
    """Count one request that ``channel``'s endpoint refused for ``reason``."""
    WEBHOOK_REJECTIONS.labels(channel, reason).inc()

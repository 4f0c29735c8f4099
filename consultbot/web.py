"""The Flask application factory: health check plus each area's blueprint."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.engine import Bot
from bot.understanding import warm_up
from consultbot.access import AccessLog
from consultbot.front import attach as attach_front
from consultbot.health import liveness, readiness
from consultbot.metrics import attach as attach_metrics
from consultbot.registry import build_bot, build_senders, web_areas
from consultbot.routing import ConsultbotFlask
from consultbot.sessions import StaffSessions
from consultbot.warmup import WarmUp
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, bot: Bot | None = None,
               warming: WarmUp | None = None) -> Flask:
    """Build the web application around one runtime (nothing global at import time).

    The knowledge base, intents and catalogs are loaded now, not in a first request, unless
    ``warming`` loads them in its thread (``/readyz`` then waits for it)."""
    if warming is None:
        warm_up()
    app = ConsultbotFlask("consultbot")
    app.config["MAX_CONTENT_LENGTH"] = 1 * 1024 * 1024
    app.config["AREAS"] = {}
    secret = runtime.settings.secret_key
    app.secret_key = secret.get_secret_value() if secret else runtime.cipher.derive("sessions")
    app.session_interface = StaffSessions()
    if runtime.settings.trusted_proxies:
        hops = runtime.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.wsgi_app = AccessLog(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["consultbot.runtime"] = runtime
    app.extensions["consultbot.bot"] = bot or build_bot(runtime)
    #: Channels the outbox can send on with these settings (staff replies go nowhere else).
    app.extensions["consultbot.reachable"] = frozenset(build_senders(runtime))

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(liveness())

    @app.get("/readyz")
    def readyz():  # type: ignore[no-untyped-def]
        ready, body = readiness(runtime, "ok" if warming is None else warming.state)
        if not ready:
            log.warning("readiness check failed: %s", ", ".join(body["failed"]))
        return jsonify(body), 200 if ready else 503

    attach_metrics(app, runtime)
    attach_front(app, runtime)
    for attach in web_areas():  # each says in app.config["AREAS"] whether it is on
        attach(app, runtime, app.extensions["consultbot.bot"])
    return app

"""The Flask application factory: health check plus each area's blueprint."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, jsonify
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.engine import Bot
from consultbot.runtime import Runtime

log = logging.getLogger(__name__)

#: Functions that attach an area (a channel, the dashboard) to the app: fn(app, runtime, bot).
#: Each decides from the settings whether it is on and says so in ``app.config["AREAS"]``.
AttachArea = Callable[[Flask, Runtime, Bot], None]
AREAS: list[str] = [
    "channels.whatsapp.webhook:attach",
    "consultbot.staff.web:attach",
    "channels.telegram.webhook:attach",
    "consultbot.files:attach",
    "channels.webchat.web:attach",
]


def build_bot(runtime: Runtime) -> Bot:
    """The flow the channels share, with linking codes (web chat <-> WhatsApp/Telegram)
    recognised before it: see ``channels.webchat.linking``."""
    from channels.webchat.linking import LinkingBot

    return LinkingBot(runtime)


def create_app(runtime: Runtime, *, bot: Bot | None = None) -> Flask:
    """Build the web application around one runtime (nothing global at import time)."""
    app = Flask("consultbot")
    app.config["MAX_CONTENT_LENGTH"] = 1 * 1024 * 1024
    app.config["AREAS"] = {}
    secret = runtime.settings.secret_key
    app.secret_key = secret.get_secret_value() if secret else runtime.cipher.derive("sessions")
    if runtime.settings.trusted_proxies:
        hops = runtime.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.extensions["consultbot.runtime"] = runtime
    app.extensions["consultbot.bot"] = bot or build_bot(runtime)

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        try:
            with runtime.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    for dotted in AREAS:
        module_name, _, function = dotted.partition(":")
        attach: AttachArea = getattr(__import__(module_name, fromlist=[function]), function)
        attach(app, runtime, app.extensions["consultbot.bot"])
    return app

"""``POST /webhooks/telegram``: updates pushed by Telegram, checked by the secret token.

A wrong or missing ``X-Telegram-Bot-Api-Secret-Token`` gets 403 and nothing is read. A good
update is handed to the channel's event loop and answered 200 only once it has been handled
(the message stored, the replies sent), so an update Telegram saw answered survives a crash.
If it is not handled within :data:`~channels.telegram.service.ANSWER_WITHIN` seconds, or
handling fails, or the channel is not running, the answer is 503 with ``Retry-After`` and
Telegram delivers it again; the update id keeps that delivery from being handled or answered
twice.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from bot.engine import Bot
from channels.telegram.body import BadBody, read_update
from plumbing.metrics import rejected
from plumbing.runtime import Runtime
from plumbing.settings import Settings

if TYPE_CHECKING:
    from channels.telegram.service import TelegramService

# The Telegram library (``channels.telegram.service``) is imported only once the channel is
# on: without a token, ``consultbot serve`` never loads it (0.15 s and 19 MiB).

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_RETRY_AFTER = {"Retry-After": "5"}
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def webhook_problem(settings: Settings) -> str | None:
    """What keeps webhook mode from working, or None when its settings are complete."""
    secret = settings.telegram_webhook_secret
    missing = [name for name, value in (("TELEGRAM_WEBHOOK_SECRET", secret),
                                        ("PUBLIC_BASE_URL", settings.public_base_url)) if not value]
    if missing:
        return "set " + ", ".join(missing)
    if secret is not None and not _SECRET_FORMAT.match(secret.get_secret_value()):
        return "TELEGRAM_WEBHOOK_SECRET must be 1-256 of the characters A-Z a-z 0-9 _ -"
    if not (settings.public_base_url or "").startswith("https://"):
        return "PUBLIC_BASE_URL must be an https:// address for Telegram's webhook"
    return None


def make_blueprint(service: TelegramService, secret: str) -> Blueprint:
    """The endpoint feeding ``service``, accepting only requests that carry ``secret``."""
    from channels.telegram.service import WEBHOOK_PATH, BadUpdate, NotHandled, NotRunning

    blueprint = Blueprint("telegram_webhook", __name__)
    expected = secret.encode()

    @blueprint.post(WEBHOOK_PATH)
    def receive() -> ResponseReturnValue:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            log.warning("telegram webhook refused from %s: %s %s", request.remote_addr,
                        SECRET_HEADER, "does not match" if given else "missing")
            rejected("telegram", "secret")
            return jsonify(ok=False), 403
        try:
            data = read_update(request.get_data(cache=False))
        except BadBody as exc:
            log.warning("telegram webhook: bad request from %s (%s)", request.remote_addr,
                        exc.reason)
            rejected("telegram", "malformed")
            return jsonify(ok=False, error="not a Telegram update"), 400
        try:
            service.submit(data)
        except NotRunning:
            rejected("telegram", "unavailable")
            return jsonify(ok=False, error="not running"), 503, _RETRY_AFTER
        except NotHandled:
            log.warning("telegram update %s not handled yet; Telegram is asked to retry",
                        data["update_id"])
            rejected("telegram", "unavailable")
            return jsonify(ok=False, error="not handled"), 503, _RETRY_AFTER
        except BadUpdate:
            log.warning("webhook body %s is not a readable update", data["update_id"])
            rejected("telegram", "malformed")
            return jsonify(ok=False, error="not a Telegram update"), 400
        return jsonify(ok=True)

    return blueprint


def attach(app: Flask, runtime: Runtime, bot: Bot) -> None:
    """Register the webhook in webhook mode; report the channel's state either way."""
    settings = runtime.settings
    areas = app.config["AREAS"]
    if not settings.telegram_enabled:
        areas["telegram"] = "off: set TELEGRAM_BOT_TOKEN"
        return
    if settings.telegram_mode == "polling":
        areas["telegram"] = "on: long polling (TELEGRAM_MODE=polling)"
        return
    problem = webhook_problem(settings)
    if problem is not None:
        areas["telegram"] = f"off: {problem}"
        return
    assert settings.telegram_webhook_secret is not None
    from channels.telegram.service import service_for, webhook_url

    service = service_for(runtime, bot)
    app.register_blueprint(make_blueprint(service, settings.telegram_webhook_secret
                                          .get_secret_value()))
    areas["telegram"] = f"on: webhook at {webhook_url(settings.public_base_url or '')}"

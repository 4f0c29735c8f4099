"""Flask's cookie session, not opened for webhooks: they never read the staff session."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

#: Paths whose requests come from Twilio or Telegram, never from a staff browser.
WEBHOOK_PREFIX = "/webhooks/"


class StaffSessions(SecureCookieSessionInterface):
    """The signed cookie session, except on webhooks: there an empty one, so a webhook
    neither verifies nor refreshes a staff cookie sent along (and sets no cookie)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOK_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # nothing to set or delete (every webhook)
            if session.accessed:  # what Flask's own does then, without its seven look-ups
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

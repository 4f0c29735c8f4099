"""Lines of ``consultbot serve``'s start-up output that take a decision (see ``describe``)."""

from __future__ import annotations

from typing import Any


def zoom_state(settings: Any) -> str:
    """Whether consultations get Zoom meetings, and what happens when they do not."""
    if settings.zoom_enabled:
        return "configured (a meeting is created for each booking)"
    if settings.zoom_fallback_link:
        return "not configured; every booking gets ZOOM_FALLBACK_LINK"
    return ("not configured; bookings get no meeting link (set ZOOM_ACCOUNT_ID, "
            "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, or ZOOM_FALLBACK_LINK)")


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def cookie_warning(settings: Any, host: str) -> str | None:
    """A warning when staff would reach this plain-http server from another machine while
    the sign-in cookie is ``Secure`` (browsers then drop it: "Form refused")."""
    if host in LOCAL_HOSTS or not settings.cookie_secure or settings.trusted_proxies:
        return None
    return (f"WARNING: listening on {host} over plain http, but COOKIE_SECURE is on: staff "
            "signing in from another machine over http will be refused (the browser drops "
            "the Secure cookie). Put an https reverse proxy in front (and set "
            "TRUSTED_PROXIES), or on a trusted local network only set COOKIE_SECURE=false.")

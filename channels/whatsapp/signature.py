"""Twilio's request signature, checked with one HMAC where Twilio's validator makes two.

``RequestValidator.validate`` signs the URL both without and with its default port, always
both, and compares in Python; Twilio may have signed either. Here the URL without the port
is tried first and the other only when that fails, compared with ``hmac.compare_digest``:
the same requests pass (``tests/channels/test_whatsapp_signature.py`` checks it against
Twilio's validator), at half the work for every genuine request. Form posts only: the
``bodySHA256`` variant (a JSON body) is not used by these webhooks.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port


class SignatureCheck:
    """Checks ``X-Twilio-Signature`` for the Auth Token ``token``."""

    def __init__(self, token: str) -> None:
        self._validator = RequestValidator(token)

    def valid(self, url: str, form: Any, signature: str) -> bool:
        """Whether ``signature`` signs ``form`` posted to ``url`` (with or without port)."""
        given = signature.encode()
        parsed = urlparse(url)
        return any(
            hmac.compare_digest(self._validator.compute_signature(candidate, form).encode(),
                                given)
            for candidate in (remove_port(parsed), add_port(parsed)))

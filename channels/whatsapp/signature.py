"""Twilio's request signature, checked with one HMAC where Twilio's validator makes two.

``RequestValidator.validate`` signs the URL both without and with its default port, always
both, and compares in Python; Twilio may have signed either. Here the URL without the port
is tried first and the other only when that fails, compared with ``hmac.compare_digest``:
the same requests pass (``tests/channels/test_whatsapp_signature.py`` checks it against
Twilio's validator), at half the work for every genuine request. The signature is
computed as ``RequestValidator.compute_signature`` does (the URL, then each parameter's
name and its distinct values, sorted; HMAC-SHA1; base64), with the form's values read by
``getlist``: Twilio's asks for ``getall`` first, which a werkzeug form has not, and the
exception it catches for every parameter was most of the check's time. Form posts only:
the ``bodySHA256`` variant (a JSON body) is not used by these webhooks.
"""

from __future__ import annotations

import base64
import hmac
from typing import Any
from urllib.parse import urlparse

from twilio.request_validator import add_port, remove_port


class SignatureCheck:
    """Checks ``X-Twilio-Signature`` for the Auth Token ``token``."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def valid(self, url: str, form: Any, signature: str) -> bool:
        """Whether ``signature`` signs ``form`` posted to ``url`` (with or without port)."""
        given = signature.encode()
        parsed = urlparse(url)
        return any(hmac.compare_digest(self.signature(candidate, form), given)
                   for candidate in (remove_port(parsed), add_port(parsed)))

    def signature(self, url: str, form: Any) -> bytes:
        """Twilio's signature of ``form`` (a multi-dict, or a dict of strings) for ``url``."""
        values = getattr(form, "getlist", None)
        signed = url + "".join(
            name + value for name in sorted(set(form))
            for value in sorted(set(values(name) if values else [form[name]])))
        return base64.b64encode(hmac.digest(self._token, signed.encode(), "sha1"))

"""Check and normalise an email address someone typed, without any network look-up."""

from __future__ import annotations

import re

MAX_LENGTH = 320
_WRAPPING = re.compile(r"^(?:mailto:)?<?(?P<address>[^<>]*?)>?[.,;]?$", re.IGNORECASE)


def normalise_email(text: str) -> str | None:
    """The normalised address (domain lower-cased, Unicode NFC), or None if it is not valid.

    Tolerates surrounding spaces, a ``mailto:`` prefix, angle brackets and a trailing
    full stop or comma, as people paste addresses in chat. Deliverability is not checked:
    that would need DNS.
    """
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    match = _WRAPPING.match(text)
    address = match.group("address").strip() if match else text
    from email_validator import EmailNotValidError, validate_email  # on first use: 35 ms

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None

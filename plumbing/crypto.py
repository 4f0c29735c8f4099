"""Encryption at rest for case details and transcripts (Fernet, with key rotation)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Undecryptable(ValueError):
    """A stored value does not decrypt with any configured key (a wrong or missing key)."""


class Cipher:
    """Encrypts text and JSON values; the first key encrypts, every key decrypts."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("DATA_ENCRYPTION_KEY is empty")
        try:
            fernets = [Fernet(k.encode()) for k in parts]
            self._fernet = MultiFernet(fernets)
            self._first = fernets[0]
            self._secrets = [base64.urlsafe_b64decode(k) for k in parts]
            self._primary = self._secrets[0]
            self._derived: dict[str, tuple[str, ...]] = {}
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "DATA_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), "
                "comma-separated; create one with: consultbot keygen"
            ) from exc

    def derive(self, purpose: str) -> str:
        """A stable secret for ``purpose`` (e.g. signing sessions), derived from the primary
        key, so every process and restart agrees without another setting."""
        return hmac.new(self._primary, purpose.encode(), hashlib.sha256).hexdigest()

    def derive_all(self, purpose: str) -> list[str]:
        """:meth:`derive` under every configured key, the primary's first: what was derived
        before a rotation is still recognised. Computed once per purpose (the blind index
        asks on every message)."""
        derived = self._derived.get(purpose)
        if derived is None:
            derived = self._derived[purpose] = tuple(
                hmac.new(k, purpose.encode(), hashlib.sha256).hexdigest() for k in self._secrets)
        return list(derived)

    def encrypt(self, text: str) -> str:
        """Encrypt a string to an ASCII token."""
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt` with any configured key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise Undecryptable("data cannot be decrypted with the configured keys") from exc

    def encrypt_bytes(self, data: bytes) -> str:
        """Encrypt bytes (one chunk of a file) to an ASCII token."""
        return self._fernet.encrypt(data).decode()

    def decrypt_bytes(self, token: str) -> bytes:
        """Decrypt a token made by :meth:`encrypt_bytes` with any configured key."""
        try:
            return self._fernet.decrypt(token.encode())
        except InvalidToken as exc:
            raise Undecryptable("data cannot be decrypted with the configured keys") from exc

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is encrypted under the first key (rotation left nothing to do)."""
        try:
            self._first.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the first key (same content, new token)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise Undecryptable("data cannot be decrypted with the configured keys") from exc

    def encrypt_json(self, value: Any) -> str:
        """Encrypt any JSON-serialisable value."""
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        """Decrypt a value made by :meth:`encrypt_json`."""
        return json.loads(self.decrypt(token))


def new_key() -> str:
    """A fresh random key for ``DATA_ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode()


def load_or_create_key_file(path: Path) -> str:
    """Read the embedded default's key file, creating it (mode 600) on first start."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key

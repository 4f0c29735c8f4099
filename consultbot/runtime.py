"""The services one running consultbot shares: settings, database, clock and cipher."""

from __future__ import annotations

from dataclasses import dataclass

from booking.service import ensure_default_consultant_at_start
from consultbot.clock import Clock, system_clock
from consultbot.crypto import Cipher, load_or_create_key_file
from consultbot.db import Database
from consultbot.settings import DEFAULT_KEY_FILE, Settings


@dataclass
class Runtime:
    """Everything a request handler needs, built once at start and passed in."""

    settings: Settings
    db: Database
    clock: Clock
    cipher: Cipher


def build_runtime(
    settings: Settings, *, clock: Clock = system_clock, migrate: bool = True
) -> Runtime:
    """Connect to the database (applying migrations) and load the encryption key."""
    if settings.data_encryption_key is not None:
        keys = settings.data_encryption_key.get_secret_value()
    else:  # only possible on the embedded default (Settings enforces it)
        keys = load_or_create_key_file(DEFAULT_KEY_FILE)
    runtime = Runtime(settings=settings, db=Database(settings.database_url), clock=clock,
                      cipher=Cipher(keys))
    if migrate:
        runtime.db.upgrade(runtime.cipher)
        ensure_default_consultant_at_start(runtime.db, settings, clock())
    return runtime

"""Building the runtime of a running consultbot: the plumbing, then the booking defaults."""

from __future__ import annotations

from booking.service import ensure_default_consultant_at_start
from consultbot.keys import check_keys
from plumbing.clock import Clock, system_clock
from plumbing.runtime import Runtime, open_runtime
from plumbing.settings import Settings

__all__ = ["Runtime", "build_runtime"]


def build_runtime(
    settings: Settings, *, clock: Clock = system_clock, migrate: bool = True,
    check_key: bool = False,
) -> Runtime:
    """Connect to the database (applying migrations), load the encryption key and, on an
    empty database, create the first consultant from the settings.

    ``check_key`` (every CLI command) stops with :class:`~consultbot.keys.KeyCheckFailed`,
    naming DATA_ENCRYPTION_KEY, unless the keys decrypt the database's key canary.
    """
    runtime = open_runtime(settings, clock=clock, migrate=migrate)
    if migrate:
        if check_key:
            check_keys(runtime.db, runtime.cipher, clock)
        ensure_default_consultant_at_start(runtime.db, settings, clock())
    return runtime

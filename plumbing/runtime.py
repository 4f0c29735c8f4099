"""The services one running consultbot shares: settings, database, clock and cipher, and
the long-lived objects its parts make on first use (:class:`Services`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from plumbing.clock import Clock, system_clock
from plumbing.crypto import Cipher, load_or_create_key_file
from plumbing.db import Database
from plumbing.settings import DEFAULT_KEY_FILE, Settings

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Slot(Generic[T]):
    """The typed name of one object kept in :class:`Services` (compared by identity)."""

    name: str


class Services:
    """Objects one runtime's parts share for as long as it runs (a channel's connection and
    event loop, the Zoom client), each made on first use; thread-safe."""

    def __init__(self) -> None:
        self._made: dict[Slot[Any], Any] = {}
        self._lock = threading.RLock()  # a maker may ask for another slot

    def get(self, slot: Slot[T], make: Callable[[], T]) -> T:
        """What ``slot`` holds, made by ``make`` if it holds nothing yet."""
        with self._lock:
            if slot not in self._made:
                self._made[slot] = make()
            return cast(T, self._made[slot])

    def discard(self, slot: Slot[T], made: T) -> None:
        """Empty ``slot`` if it still holds ``made`` (e.g. a stopped channel)."""
        with self._lock:
            if self._made.get(slot) is made:
                del self._made[slot]

    def close(self) -> None:
        """Close what has a ``close()``, newest first, and forget everything."""
        with self._lock:
            made, self._made = list(self._made.values()), {}
        for item in reversed(made):
            close = getattr(item, "close", None)
            if callable(close):
                close()


@dataclass
class Runtime:
    """Everything a request handler needs, built once at start and passed in."""

    settings: Settings
    db: Database
    clock: Clock
    cipher: Cipher
    services: Services = field(default_factory=Services, repr=False, compare=False)


def open_runtime(
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
    return runtime

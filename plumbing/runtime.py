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
from plumbing.settings import Settings, SettingsError

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


def data_keys(settings: Settings) -> str:
    """The data keys: DATA_ENCRYPTION_KEY, else DATA_KEY_FILE. Only the embedded setup
    (SQLite) makes the file on first start; with PostgreSQL it must exist (a fresh key there
    would hide a lost one until the key check stops the start)."""
    if settings.data_encryption_key is not None:
        return settings.data_encryption_key.get_secret_value()
    if settings.is_default_setup:
        return load_or_create_key_file(settings.data_key_file)
    try:
        return settings.data_key_file.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            f"Setting DATA_KEY_FILE: cannot read {settings.data_key_file} "
            f"({exc.strerror or exc}); create it with: consultbot keygen > "
            f"{settings.data_key_file} && chmod 600 {settings.data_key_file}") from exc


def open_runtime(
    settings: Settings, *, clock: Clock = system_clock, migrate: bool = True
) -> Runtime:
    """Connect to the database (applying migrations) and load the encryption key."""
    runtime = Runtime(settings=settings, db=Database(settings.database_url), clock=clock,
                      cipher=Cipher(data_keys(settings)))
    if migrate:
        runtime.db.upgrade(runtime.cipher)
    return runtime

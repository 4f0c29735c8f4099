"""Database engine, sessions and migrations; SQLite by default, PostgreSQL with the same code.

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock
up front, so two read-modify-write transactions (two messages, two bookings) never
interleave, across threads and processes. Within one process the threads first queue for
a hand-off lock (:class:`HandOff`, taken before ``BEGIN IMMEDIATE``, released after the
COMMIT or ROLLBACK), so they get the write lock in arrival order instead of sleep-polling
in SQLite's busy handler, where a few unlucky ones wait seconds. The queue's head then
takes a file lock next to the database (:class:`FileLock`), so the head of each process's
queue waits in the kernel, not in the busy handler, for another process's writer
(``consultbot serve --processes N``). On PostgreSQL rows are locked explicitly
(``SELECT ... FOR UPDATE``) and unique constraints settle races.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, DateTime, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The packaged migrations' head revisions, written out so that a start on a database that
#: has them imports no alembic (~10 MiB, 0.1 s); a test checks them against alembic's own.
HEADS = frozenset({"0010_worker_heartbeat"})


#: Per dialect name: the last datetime bound and what it was converted to (the tuple is
#: replaced whole, so a thread reads a matching pair; holding the value keeps its identity).
_LAST_BOUND: dict[str, tuple[datetime | None, Any]] = {}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (UTC), on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        """The conversion as SQLAlchemy's, remembering the last value converted (per
        dialect, for every statement and column): a turn binds its one ``now`` about five
        times, and SQLite's conversion to text costs more than the rest of a bind."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        name = dialect.name

        def remembered(value: datetime | None) -> Any:
            last = _LAST_BOUND.get(name)
            if last is not None and last[0] is value:  # the same object: the same text
                return last[1]
            converted = process(value)
            _LAST_BOUND[name] = (value, converted)
            return converted

        return remembered

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and immediate transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=pool_size
        )
        _make_sqlite_transactions_immediate(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # No pre-ping: it would cost a round trip per transaction. A connection found dead on
    # its first statement raises OperationalError; the pool then drops every connection
    # opened before, and the caller's retry (the bot's turn) gets a fresh one. Only a
    # connection that sat idle in the pool is pinged (a restart in a quiet hour would
    # otherwise meet a dashboard page, which is not retried, with a dead connection).
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _ping_idle_connections(engine)
    return engine


#: A pooled PostgreSQL connection idle at least this long is pinged when checked out;
#: those in steady use (every message's turn) are not.
IDLE_PING_SECONDS = 30.0


def _monotonic() -> float:
    return time.monotonic()


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = _monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or _monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()  # leave it as the pool gave it: no transaction open
        except Exception as error:  # dead: the pool replaces it and checks out another
            raise DisconnectionError("idle connection found dead") from error


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # An AUTOCOMMIT connection (a lock-free read, see bot.engine) begins nothing; one
        # whose driver is in a transaction already (Database.begin's) joins it.
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT" \
                and not connection.connection.driver_connection.in_transaction:
            send(connection, "BEGIN IMMEDIATE")


def send(connection: Connection, sql: str) -> None:
    """``sql`` on the connection's cursor, as :mod:`plumbing.prepared` sends statements:
    ``exec_driver_sql``'s own work (an execution context, a result) was most of such a
    statement's time. Events and error handling are SQLAlchemy's."""
    cursor = connection.connection.cursor()
    try:
        connection._cursor_execute(cursor, sql, ())
    finally:
        cursor.close()


class FileLock:
    """A lock between processes, fair to two: POSIX record locks on a file beside the
    database, waited for in the kernel (no sleep-polling), dropped by the kernel when a
    process ends. Held by the process, not the thread (:class:`HandOff` lets one thread of
    a process at a time take it): a second :class:`Database` on the same file in the same
    process does not wait for the first. Taking it goes through a door (byte 1) to the lock
    itself (byte 0), and the door is left once the lock is held: a process waiting for the
    lock holds the door meanwhile, so the holder's next writer waits at the door and the
    lock goes to the other process first (with two processes, they alternate)."""

    _LOCK, _DOOR = 0, 1

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._closer: Callable[[], object] = lambda: None

    def acquire(self) -> None:
        """Wait until no other process holds it."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._closer = weakref.finalize(self, os.close, self._fd)  # on close() or GC
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, self._DOOR)  # blocks without the GIL
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, self._LOCK)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self._DOOR)
        except OSError as error:
            # EDEADLK: the kernel saw a cycle (possible only with two Database objects on
            # one file in one process, the locks being the process's): a retryable failure.
            raise PoolTimeout(f"the writers' lock file: {error}") from error

    def release(self) -> None:
        """Let the process at the door have it (a file closed meanwhile holds nothing)."""
        if self._fd is not None:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self._LOCK)

    def close(self) -> None:
        """Close the file (opened again when next taken). Not while held: closing drops
        every lock this process holds on the file."""
        if self._fd is not None:
            self._closer()
            self._fd = None


class HandOff:
    """A lock granted in arrival order (FIFO): the holder hands it straight to the first
    waiter. Re-entrant for the holding thread (a nested transaction does not wait on
    itself). ``across``: a lock between processes, taken by whoever gets this one (at
    the outer level) and released before it is handed on, so that a waiting process gets
    its turn between this process's writers."""

    def __init__(self, timeout: float = 60.0, across: FileLock | None = None) -> None:
        self.timeout = timeout
        self.across = across
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._owner: int | None = None
        self._depth = 0

    @property
    def waiting(self) -> int:
        """How many threads are queued."""
        return len(self._waiters)

    def acquire(self) -> None:
        """Wait for our turn; :class:`sqlalchemy.exc.TimeoutError` after ``timeout``."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            gate = None
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
            else:
                gate = threading.Lock()
                gate.acquire()
                self._waiters.append(gate)
        if gate is not None:
            if not gate.acquire(timeout=self.timeout):
                with self._mutex:
                    if gate in self._waiters:  # not handed over meanwhile
                        self._waiters.remove(gate)
                        raise PoolTimeout("waited too long for the database's write lock")
            with self._mutex:  # handed over: the releasing thread left the lock to us
                self._owner, self._depth = me, 1
        self._across()

    def _across(self) -> None:
        """Also take the lock between processes (if any); on failure give this one back."""
        if self.across is None:
            return
        try:
            self.across.acquire()
        except BaseException:
            self._hand_on()
            raise

    def release(self) -> None:
        """Hand the lock to the first waiter, if any."""
        with self._mutex:
            if self._depth > 1:
                self._depth -= 1
                return
        try:
            if self.across is not None:
                self.across.release()
        finally:  # whatever the file did, this process's next writer gets its turn
            self._hand_on()

    def _hand_on(self) -> None:
        with self._mutex:
            self._depth = 0
            self._owner = None if not self._waiters else -1  # taken by the next, not free
            if self._waiters:
                self._waiters.popleft().release()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()


def _on_driver(connection: Connection) -> Iterator[Connection]:
    """SQLite: ``BEGIN IMMEDIATE`` and ``COMMIT`` (or ``ROLLBACK``) sent on the driver's
    connection, without SQLAlchemy's transaction around them (its objects and events were
    about three quarters of a bare transaction's CPU). Something that begins SQLAlchemy's
    transaction inside (an ORM session, ``Connection.execute``) joins the driver's
    (``_on_begin``), and that transaction then commits or rolls back."""
    send(connection, "BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        if connection.in_transaction():
            connection.rollback()
        elif getattr(connection.connection.driver_connection, "in_transaction", False):
            send(connection, "ROLLBACK")  # not if a failed statement ended it already
        raise
    if connection.in_transaction():
        connection.commit()
    else:
        send(connection, "COMMIT")


def _writers_file(url: str) -> FileLock | None:
    """The lock between processes of a SQLite file: ``<database>-writers`` beside it (an
    in-memory database is one process's)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return FileLock(Path(database + "-writers"))


class Database:
    """An engine plus the transaction helper every area uses."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        #: SQLite's writers of this process queue here (None on PostgreSQL: row locks).
        self.writers = HandOff(across=_writers_file(url)) \
            if self.engine.dialect.name == "sqlite" else None

    @property
    def is_postgres(self) -> bool:
        """Whether this is PostgreSQL (row locks, several workers)."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or rolls back on error."""
        queue = self.writers.held() if self.writers is not None else nullcontext()
        with queue, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def begin(self, connection: Connection | None = None) -> Iterator[Connection]:
        """Like :meth:`transaction` (queued, ``BEGIN IMMEDIATE`` on SQLite), on a Core
        connection without an ORM session: for :class:`plumbing.prepared.Prepared`
        statements. ``connection``: one already checked out (:meth:`shared`), kept open
        after; else one from the pool for the block."""
        if self.writers is None:
            with nullcontext(connection) if connection is not None \
                    else self.engine.connect() as begun, begun.begin():
                yield begun
            return
        with self.writers.held(), nullcontext(connection) if connection is not None \
                else self.engine.connect() as begun:
            yield from _on_driver(begun)

    @contextmanager
    def shared(self) -> Iterator[Connection | None]:
        """On SQLite, one pooled connection for a unit of work's prepared reads and its
        :meth:`begin` blocks: one checkout and return instead of one each. None on
        PostgreSQL, where a read is autocommit and a transaction should not keep a
        connection across the work in between."""
        if self.writers is None:
            yield None
            return
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for one lock-free read (autocommit): no ``BEGIN IMMEDIATE``, no
        write lock, no queue; it sees what is committed."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as read:
            yield read

    @contextmanager
    def prepared_read(self, connection: Connection | None = None) -> Iterator[Connection]:
        """Like :meth:`read`, for :class:`plumbing.prepared.Prepared` statements only (they
        never begin a transaction). On SQLite the connection is not switched to AUTOCOMMIT
        and back (a PRAGMA each way, on every read): outside ``BEGIN`` its driver already
        runs each statement on its own. A transaction begun anyway is refused.
        ``connection``: a :meth:`shared` one (SQLite), used as it is."""
        # PostgreSQL: autocommit, else the pool's ROLLBACK would be one more round trip.
        with nullcontext(connection) if connection is not None else self.read() \
                if self.writers is None else self.engine.connect() as reading:
            yield reading
            if reading.in_transaction():
                raise RuntimeError("a prepared read began a transaction")

    def upgrade(self, cipher: Any = None) -> None:
        """Apply every pending migration (``cipher`` for those that encrypt stored data); a
        database already at :data:`HEADS` is only read, without importing alembic."""
        with self.engine.begin() as connection:
            if applied(connection) == HEADS:
                return
            from alembic import command

            config = alembic_config()
            config.attributes["connection"] = connection
            config.attributes["cipher"] = cipher
            command.upgrade(config, "heads")

    def dispose(self) -> None:
        """Close pooled connections (and the writers' lock file)."""
        self.engine.dispose()
        if self.writers is not None and self.writers.across is not None:
            self.writers.across.close()


def applied(connection: Connection) -> frozenset[str]:
    """The revisions recorded in the database's ``alembic_version`` table (none if absent)."""
    if not inspect(connection).has_table("alembic_version"):
        return frozenset()
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


@cache
def newest() -> frozenset[str]:
    """The head revisions of the packaged migrations, as alembic reads them from the scripts."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config

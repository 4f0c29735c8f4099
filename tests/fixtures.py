"""The suite's fixtures and helpers: a migrated database (SQLite, or the local PostgreSQL),
a manual clock, the one runtime factory.

Migrations run once per session into a template (a SQLite file; a PostgreSQL database) that
each test copies; ``tests/plumbing/test_migrations.py`` migrates empty databases itself.

A plugin, not the conftest: ``tests/conftest.py`` registers it in every process that runs
tests (each xdist worker, or the one process of ``-n 0``), never in the xdist controller,
which only hands out tests and so need not import the application (about 1.2 s of CPU).
Test modules import its helpers from here (``from tests.fixtures import runtime_for``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.faq import semantic
from consultbot.runtime import Runtime, build_runtime
from plumbing.clock import Clock, ManualClock
from plumbing.crypto import new_key
from plumbing.db import Database
from plumbing.settings import Settings, load_settings
from tests.bot.faq_support import VECTORS

#: A Monday morning in winter (London = UTC).
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

#: Hours that leave every slot bookable: every day 08:00-20:00, no buffer, no notice.
OPEN_HOURS: dict[str, Any] = {
    "booking_weekly_hours": "mon-sun 08:00-20:00", "booking_buffer_minutes": 0,
    "booking_min_notice_hours": 0, "booking_horizon_days": 60,
}

#: Zoom's far side, faked with respx at these addresses.
ZOOM_API = "https://zoom.test/v2"
ZOOM_OAUTH = "https://zoom.test/oauth/token"
ZOOM_SETTINGS: dict[str, Any] = {
    "zoom_account_id": "acc", "zoom_client_id": "cid", "zoom_client_secret": "secret",
    "zoom_api_base_url": ZOOM_API, "zoom_oauth_url": ZOOM_OAUTH,
}


# Every process of the suite, the concurrency tests' workers too (they fork from a server
# that imported this module), reads the FAQ vectors from the cache that outlives a session.
semantic.configure(cache_directory=VECTORS)


@pytest.fixture(scope="session", autouse=True)
def _faq_vectors() -> None:
    """Build the FAQ's semantic index once per session (from a cache that outlives it), as
    ``consultbot serve`` warms it at start: no test's first question waits for it."""
    from tests.bot.faq_support import loaded_knowledge

    loaded_knowledge()


@pytest.fixture
def lexical_faq(monkeypatch: pytest.MonkeyPatch) -> None:
    """The FAQ on its lexical matcher alone, as with ``FAQ_SEMANTIC=false``, for tests of long
    or hostile texts where the model is not what they are about: the model reads a 4,096-character
    text whole (about 1,300 tokens, 2.5 s of CPU), for every distinct such text."""
    from bot.faq import KnowledgeBase

    monkeypatch.setattr(KnowledgeBase, "semantic_index", lambda self: None)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run every test in its own folder, so no .env or var/ of the developer leaks in."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "TELEGRAM_", "ZOOM_", "SMTP_", "BOOKING_", "STAFF_",
                             "CALENDAR_")) or \
                name in {"DATABASE_URL", "DATA_ENCRYPTION_KEY", "PUBLIC_BASE_URL", "SECRET_KEY"}:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id at its smallest cost while testing: the production cost (64 MiB and about
    half a second a hash, on purpose) made every signed-in dashboard test wait a second or
    more. Same algorithm and code paths; a hash made at another cost still verifies."""
    from argon2 import PasswordHasher

    import dashboard.accounts as accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    saved, accounts._hasher = accounts._hasher, cheap
    yield
    accounts._hasher = saved


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated once per session."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.upgrade()
    finally:
        db.dispose()  # the last connection closing folds the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated SQLite database of the test's own: a copy of the session's template."""
    path = tmp_path / "test.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    """A SQLite database not yet created (for the tests of the migrations themselves)."""
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_encryption_key=new_key())


def runtime_for(database_url: str, *, clock: Clock | None = None,
                **overrides: Any) -> Runtime:
    """The one way tests build a runtime: ``database_url``, a new key unless one is given,
    ``clock`` (default: a manual clock at :data:`START`) and some settings changed.

    Plain, so that worker processes of the concurrency tests can call it too.
    """
    overrides.setdefault("data_encryption_key", new_key())
    return build_runtime(load_settings(database_url=database_url, **overrides),
                         clock=clock or ManualClock(START))


#: What every worker process of the concurrency tests imports, loaded once (see below).
_WORKER_PRELOAD = ["tests.fixtures", "bot.engine", "booking.service", "channels.console",
                   "consultbot.worker", "tests.worker_preload"]
ROOT = Path(__file__).resolve().parents[1]


def worker_processes() -> multiprocessing.context.ForkServerContext:
    """How the concurrency tests start separate processes: forked from one server process
    that imported the application and loaded its resources once, instead of each spawned
    process doing it anew (about a second of CPU each). Still real processes with their own
    connections."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_WORKER_PRELOAD)  # only before the server's first start
    # Python 3.11's fork server does not take the parent's sys.path and starts in the
    # test's folder: without the checkout on its PYTHONPATH, importing ``tests.*`` fails
    # (silently: the preload skips what it cannot import).
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved]))
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    return context


def close_runtime(runtime: Runtime) -> None:
    """Release what a runtime holds: its services (e.g. Telegram's loop thread), then its
    database connections."""
    runtime.services.close()
    runtime.db.dispose()


@pytest.fixture
def runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    rt = build_runtime(settings, clock=clock)
    yield rt
    close_runtime(rt)


@pytest.fixture
def make_runtime(database_url: str, clock: ManualClock) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes with some settings changed (the test's database, a new key and the
    test's clock unless given); every one is closed after the test."""
    made: list[Runtime] = []

    def make(*, clock_: Clock | None = None, **overrides: Any) -> Runtime:
        url = overrides.pop("database_url", database_url)
        made.append(runtime_for(url, clock=clock_ or clock, **overrides))
        return made[-1]

    yield make
    for runtime in made:
        close_runtime(runtime)


@pytest.fixture
def zoom() -> Iterator[respx.MockRouter]:
    """Zoom's servers: the OAuth token endpoint answers; tests add the meeting routes."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.post(ZOOM_OAUTH).mock(return_value=httpx.Response(
            200, json={"access_token": "tok", "expires_in": 3600}))
        # Looked up before a create is repeated; tests that need meetings there add a route.
        router.get(f"{ZOOM_API}/users/me/meetings", name="list").mock(
            return_value=httpx.Response(200, json={"meetings": [], "next_page_token": ""}))
        yield router


def postgres_base_url() -> str | None:
    """TEST_POSTGRES_URL, e.g. postgresql://postgres@localhost/postgres; unset skips PG tests."""
    return os.environ.get("TEST_POSTGRES_URL")


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    base = postgres_base_url()
    if not base:
        pytest.skip("TEST_POSTGRES_URL is not set")
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"consultbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


#: What a test may change in a database besides its rows and sequences: the schema's tables,
#: columns, constraints, indexes, functions, triggers, types and extensions, the database's own
#: settings and connection limits, and the migration revision. A database handed back with
#: all of these as the template has them (and its rows and sequences reset) is what a fresh
#: copy would be.
_SHAPE = text("""
SELECT md5(concat_ws('|',
  (SELECT string_agg(format('%s:%s:%s', c.relname, c.relkind, a.cols), ',' ORDER BY c.relname)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN LATERAL (
       SELECT string_agg(format('%s %s %s %s', attname, format_type(atttypid, atttypmod),
                                attnotnull, pg_get_expr(d.adbin, d.adrelid)),
                         ',' ORDER BY attnum) AS cols
         FROM pg_attribute LEFT JOIN pg_attrdef d ON d.adrelid = attrelid AND d.adnum = attnum
        WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) a ON true
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
  (SELECT string_agg(format('%s %s', conname, pg_get_constraintdef(oid)), ','
                     ORDER BY conname, pg_get_constraintdef(oid))
     FROM pg_constraint WHERE connamespace <> 'pg_catalog'::regnamespace),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes
    WHERE schemaname NOT IN ('pg_catalog', 'information_schema')),
  (SELECT string_agg(format('%s %s', oid::regprocedure, md5(prosrc)), ','
                     ORDER BY oid::regprocedure::text)
     FROM pg_proc WHERE pronamespace NOT IN ('pg_catalog'::regnamespace,
                                             'information_schema'::regnamespace)),
  (SELECT string_agg(pg_get_triggerdef(oid), ',' ORDER BY tgname)
     FROM pg_trigger WHERE NOT tgisinternal),
  (SELECT string_agg(typname, ',' ORDER BY typname) FROM pg_type
    WHERE typnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)),
  (SELECT string_agg(format('%s %s', extname, extversion), ',' ORDER BY extname)
     FROM pg_extension),
  (SELECT string_agg(array_to_string(setconfig, ';'), ',' ORDER BY setrole)
     FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())),
  (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace),
  (SELECT format('%s %s %s', datallowconn, datconnlimit, datistemplate) FROM pg_database
    WHERE datname = current_database()),
  (SELECT count(*) FROM pg_largeobject_metadata),
  (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version)))
""")


#: Every table outside PostgreSQL's own schemas, quoted.
_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


class _PostgresPool:
    """Databases copied from the session's template once and handed to test after test:
    after a test its connections are ended and, if its shape (:data:`_SHAPE`) is still the
    template's, every row is deleted and every sequence set back to the template's value;
    otherwise it is dropped. ``CREATE`` and ``DROP DATABASE`` for every test cost 0.1–0.6 s;
    this costs a few milliseconds. Needs a template without rows outside ``alembic_version``
    (checked): with rows it copies for every test, as before."""

    def __init__(self, template: str) -> None:
        base = postgres_base_url()
        assert base
        self.url = make_url(base).set(drivername="postgresql+psycopg")
        self.template = template
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.free: list[str] = []
        self.made: set[str] = set()
        engine = create_engine(self.url.set(database=template))
        try:
            with engine.connect() as connection:
                self.shape = connection.execute(_SHAPE).scalar_one()
                self.tables = [t for t in connection.execute(text(_TABLES)).scalars()
                               if t != "public.alembic_version"]
                self.sequences = [tuple(row) for row in connection.execute(text(
                    "SELECT format('%I.%I', schemaname, sequencename),"
                    " coalesce(last_value, start_value), last_value IS NOT NULL"
                    " FROM pg_sequences"))]
                self.reusable = not any(connection.execute(text(
                    f"SELECT EXISTS (SELECT FROM {t})")).scalar_one() for t in self.tables)
        finally:
            engine.dispose()

    def take(self) -> str:
        """A database just as a fresh copy of the template would be."""
        if self.free:
            return self.free.pop()
        name = self._new_name()
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.made.add(name)
        return name

    @staticmethod
    def _new_name() -> str:
        return f"consultbot_test_{uuid.uuid4().hex[:12]}"

    def empty(self) -> str:
        """A new, empty database (not a copy of the template), for the migrations' tests."""
        name = self._new_name()
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.add(name)
        return name

    def set_aside(self, name: str) -> None:
        """An empty database a test is done with: renamed (as in :meth:`give_back`), then
        dropped with the others at the session's end, where the drops share a checkpoint
        (one at a time, after each test, each was 0.2-0.6 s in which the worker waited)."""
        renamed = self._renamed(name)
        if renamed is None:
            self.drop(name)

    def give_back(self, name: str) -> None:
        """Renamed first, so that nothing the test left running (a thread, a process with
        the old URL) reaches the next test's database: it finds none, as after a drop."""
        renamed = self._renamed(name)
        if renamed and self.reusable and self._reset(renamed):
            self.free.append(renamed)
        else:
            self.drop(renamed or name)

    def _renamed(self, name: str) -> str | None:
        """``name`` under a new name once its connections are ended (None if something kept
        reconnecting)."""
        new = self._new_name()
        for _ in range(3):
            try:
                with self.admin.connect() as connection:
                    connection.execute(text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :n"), {"n": name})
                    connection.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{new}"'))
            except OperationalError:  # "being accessed by other users": ended again
                continue
            self.made.discard(name)
            self.made.add(new)
            return new
        return None

    def _reset(self, name: str) -> bool:
        """Delete every row and set every sequence back, if the shape is the template's."""
        engine = create_engine(self.url.set(database=name), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                if connection.execute(_SHAPE).scalar_one() != self.shape:
                    return False
                # Replica role: no triggers, foreign keys included (every row goes anyway).
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                filled = connection.execute(text(" UNION ALL ".join(
                    f"SELECT '{t}' WHERE EXISTS (SELECT FROM {t})" for t in self.tables)))
                for table in filled.scalars():
                    connection.execute(text(f"DELETE FROM {table}"))
                for sequence, value, called in self.sequences:
                    connection.execute(text("SELECT setval(:s, :v, :c)"),
                                       {"s": sequence, "v": value, "c": called})
            return True
        except Exception:  # a database a test left unusable is dropped, not reused
            return False
        finally:
            engine.dispose()

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.made.discard(name)

    def close(self) -> None:
        """Drop every database the pool made, all at once: each ``DROP DATABASE`` waits for
        a checkpoint, and drops running side by side share one (four dropped one after the
        other took 2-4 s here, side by side 0.1 s), which was the tail of every worker."""
        with ThreadPoolExecutor(max_workers=8) as drops:
            list(drops.map(self.drop, list(self.made)))
        self.admin.dispose()


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated once per session (no one stays connected:
    ``CREATE DATABASE … TEMPLATE`` needs that)."""
    with _postgres_database() as url:
        db = Database(url)
        try:
            db.upgrade()
        finally:
            db.dispose()
        yield str(make_url(url).database)


@pytest.fixture(scope="session")
def _postgres_pool(_postgres_template: str) -> Iterator[_PostgresPool]:
    pool = _PostgresPool(_postgres_template)
    yield pool
    pool.close()


@pytest.fixture
def postgres_url(_postgres_pool: _PostgresPool) -> Iterator[str]:
    """A migrated PostgreSQL database for one test, as a fresh copy of the template would be
    (one of this worker's, emptied after the test before it went back: see
    :class:`_PostgresPool`)."""
    name = _postgres_pool.take()
    try:
        yield _postgres_pool.url.set(database=name).render_as_string(hide_password=False)
    finally:
        _postgres_pool.give_back(name)


@pytest.fixture
def empty_postgres_url(_postgres_pool: _PostgresPool) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; after it, renamed so that nothing
    reaches it, and dropped at the session's end (:meth:`_PostgresPool.set_aside`)."""
    name = _postgres_pool.empty()
    try:
        yield _postgres_pool.url.set(database=name).render_as_string(hide_password=False)
    finally:
        _postgres_pool.set_aside(name)


@pytest.fixture(params=["sqlite", "postgres"])
def any_database_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """Runs a test on SQLite and again on the local PostgreSQL (both migrated)."""
    if request.param == "sqlite":
        return database_url
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=["sqlite", "postgres"])
def any_empty_database_url(request: pytest.FixtureRequest, empty_database_url: str) -> str:
    """An empty database on SQLite and again on the local PostgreSQL."""
    if request.param == "sqlite":
        return empty_database_url
    return request.getfixturevalue("empty_postgres_url")


@contextmanager
def live_server(runtime: Runtime, *, threads: int) -> Iterator[str]:
    """The real app under waitress on a free local port, in a thread; its base URL."""
    import threading

    import waitress

    from consultbot.web import create_app

    server = waitress.create_server(create_app(runtime), host="127.0.0.1", port=0,
                                    threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)

"""The suite's hooks: the environment every process inherits, bytecode, the order of tests;
and, in every process that runs tests, the fixtures of :mod:`tests.fixtures`.

Kept light: the xdist controller imports this file and nothing of the application (it only
hands out tests; the fixtures, which import the application, are registered in the workers).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import bytecode
from tests.faq_cache import VECTORS


@pytest.hookimpl(trylast=True)  # after pytest-xdist's: it registers "dsession" in a controller
def pytest_configure(config: pytest.Config) -> None:
    """The environment every process of the suite inherits (set before pytest-xdist starts
    its workers): the commands that tests run as processes (``chat``, ``serve``) read the
    FAQ vectors from the test cache too instead of computing them in a fresh ``var/``
    (half a minute of CPU each time); under xdist the cores are split among the workers,
    since the embedding model's OpenMP threads (one per core by default) in every worker
    would outnumber the cores and spin waiting for each other. Values already set are kept.
    Bytecode is cached and read although the environment says not to write it
    (``tests/bytecode.py``). The fixtures are registered unless this is pytest-xdist's
    controller, which runs no test (so it never imports the application)."""
    bytecode.allow_writing()
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        bytecode.compile_sources()
        _temporary_folders_in_memory(config)
    os.environ.setdefault("FAQ_CACHE_DIR", str(VECTORS))
    workers = getattr(config.option, "numprocesses", None)
    if isinstance(workers, int) and workers > 1 and not os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    if not config.pluginmanager.has_plugin("dsession"):  # this process runs tests
        config.pluginmanager.import_plugin("tests.fixtures")


#: A RAM-backed folder (Linux): tests' temporary folders go there when it exists.
MEMORY_FOLDER = Path("/dev/shm")


def _temporary_folders_in_memory(config: pytest.Config) -> None:
    """Tests' ``tmp_path`` folders (their SQLite databases, ``DATA_DIR``s) in RAM, unless a
    ``--basetemp`` or ``PYTEST_DEBUG_TEMPROOT`` says otherwise: on this machine's disk every
    SQLite commit waits about 5 ms for its ``fsync`` (on tmpfs 0.04 ms), and a test's chat
    commits dozens of times, so the workers spent much of the run idle, waiting on the disk.
    SQLite behaves the same there (WAL, locks, the same files); only the sync is free. pytest
    still numbers the folders and keeps the last three sessions'."""
    if config.option.basetemp is None and MEMORY_FOLDER.is_dir() and os.access(
            MEMORY_FOLDER, os.W_OK | os.X_OK):
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(MEMORY_FOLDER))


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """In each xdist worker, before it collects: its share of the test modules rewritten and
    cached, so the workers do not each rewrite all of them (``tests/bytecode.py``)."""
    worker = bytecode.xdist_worker()
    if worker is not None:
        index, count = worker
        config = session.config
        modules = bytecode.test_modules(config.args, config.invocation_params.dir)
        bytecode.cache_rewritten(config, modules[index::count])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (processes, browsers, races: seconds each) start first, in their
    usual order: under ``--dist worksteal`` a worker that runs dry takes the tail of the
    other's queue, so the run ends on short tests instead of one core waiting for a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)



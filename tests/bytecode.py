"""Bytecode for the suite's processes although the environment sets ``PYTHONDONTWRITEBYTECODE=1``.

Without it every pytest worker rewrote the asserts of every test module it collected (about
5 s of CPU a worker: pytest's rewriting walks each module's syntax tree in Python), and every
process a test starts (``consultbot serve``, the CLI, the fork server) compiled the sources
it imported again. Python still *reads* bytecode that exists, so:

- :func:`compile_sources`, once in the process that starts the workers: the project's
  modules and the tests' helpers compiled (half a second of CPU for all of them);
- :func:`allow_writing` in every pytest process: pytest then caches the test modules it
  rewrites (hash-checked, so an edited file is rewritten again), and a second run in the same
  tree rewrites nothing;
- :func:`cache_rewritten`, in each of n workers before it collects: every n-th of the test
  modules it is about to collect rewritten and cached, so that in a clean tree each module
  is rewritten by one worker instead of by all of them. It uses pytest's own rewriting functions
  (private: if they move, it does nothing and collection rewrites as before).

Processes the tests start keep the environment's setting: they read bytecode, never write it.
"""

from __future__ import annotations

import compileall
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The packages (pyproject.toml's) and the tests, whose helpers are imported without rewriting.
PACKAGES = ("plumbing", "booking", "bot", "channels", "dashboard", "consultbot", "tests")


def allow_writing() -> None:
    """Let this process cache what it compiles (pytest's rewritten test modules too)."""
    sys.dont_write_bytecode = False


def compile_sources(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> None:
    """Compile every module of the project and the tests that has no current bytecode."""
    for name in packages:
        compileall.compile_dir(root / name, quiet=2)  # an unwritable tree just stays slow


def test_modules(args: list[str], directory: Path) -> list[Path]:
    """The ``test_*.py`` files that a session's arguments (``config.args``, relative to
    ``directory``) name or hold, sorted."""
    found: set[Path] = set()
    for arg in args:
        path = (directory / arg.split("::", 1)[0]).resolve()
        if path.is_dir():
            found.update(path.rglob("test_*.py"))
        elif path.name.startswith("test_") and path.suffix == ".py":
            found.add(path)
    return sorted(found)


def cache_rewritten(config: pytest.Config, modules: list[Path]) -> int:
    """Rewrite the asserts of those ``modules`` that have no current cached rewrite, as
    pytest does when it imports them, and cache them; how many it rewrote."""
    try:
        from _pytest.assertion import rewrite
        from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc
    except ImportError:
        return 0
    state = config.stash.get(rewrite.assertstate_key, None)
    if state is None or config.getoption("assertmode") != "rewrite":
        return 0
    done = 0
    for module in modules:
        pyc = rewrite.get_cache_dir(module) / (module.name[:-3] + PYC_TAIL)
        if _read_pyc(module, pyc) is not None:
            continue
        try:
            pyc.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return done
        source_hash, code = _rewrite_test(module, config)
        if _write_pyc(state, code, source_hash, pyc):
            done += 1
    return done


def xdist_worker() -> tuple[int, int] | None:
    """This process's place among the xdist workers (index, count), or None outside them."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if not (name.startswith("gw") and name[2:].isdigit() and count.isdigit()):
        return None
    return int(name[2:]), int(count)

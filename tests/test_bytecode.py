"""The suite's bytecode (``tests/bytecode.py``): test modules rewritten once and cached,
sources compiled although the environment says not to write bytecode."""

from __future__ import annotations

import importlib.util
import marshal
import sys
from pathlib import Path

import pytest

from tests import bytecode


def test_a_module_is_rewritten_as_pytest_does_and_only_again_once_edited(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    module = tmp_path / "test_sample.py"
    module.write_text("def check(x):\n    assert x == 2\n")
    assert bytecode.cache_rewritten(request.config, [module]) == 1
    [pyc] = (tmp_path / "__pycache__").glob("test_sample.*-pytest-*.pyc")
    namespace: dict[str, object] = {}
    exec(marshal.loads(pyc.read_bytes()[16:]), namespace)
    check = namespace["check"]
    assert callable(check)
    with pytest.raises(AssertionError, match=r"assert 1 == 2"):  # a plain assert says nothing
        check(1)
    assert bytecode.cache_rewritten(request.config, [module]) == 0  # current: left alone
    module.write_text("def check(x):\n    assert x == 3\n")
    assert bytecode.cache_rewritten(request.config, [module]) == 1


def test_sources_are_compiled_although_the_environment_says_not_to_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for name in ("__init__.py", "mod.py", "sub/__init__.py", "sub/deep.py"):
        (package / name).write_text("X = 1\n")
    (tmp_path / "other.py").write_text("X = 1\n")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bytecode.compile_sources(tmp_path, ("pkg",))
    assert Path(importlib.util.cache_from_source(str(package / "sub" / "deep.py"))).is_file()
    assert not Path(importlib.util.cache_from_source(str(tmp_path / "other.py"))).exists()


def test_only_the_test_modules_the_arguments_name_or_hold(tmp_path: Path) -> None:
    for name in ("tests/a/test_x.py", "tests/a/helper.py", "tests/b/test_y.py",
                 "tests/b/test_z.py", "tests/b/conftest.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = bytecode.test_modules(["tests/a", "tests/b/test_y.py::test_one"], tmp_path)
    assert found == [tmp_path / "tests/a/test_x.py", tmp_path / "tests/b/test_y.py"]
    assert bytecode.test_modules(["tests"], tmp_path) == [
        tmp_path / "tests/a/test_x.py", tmp_path / "tests/b/test_y.py",
        tmp_path / "tests/b/test_z.py"]


def test_the_worker_s_place_among_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert bytecode.xdist_worker() == (1, 2)
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert bytecode.xdist_worker() is None

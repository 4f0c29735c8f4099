"""The xdist controller imports ``tests/conftest.py`` and runs no test: the conftest must load
nothing of the application (the fixtures, which do, are a plugin registered only in the
processes that run tests: ``tests/fixtures.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import runtime_for

ROOT = Path(__file__).resolve().parents[1]
APPLICATION = ("plumbing", "booking", "bot", "channels", "dashboard", "consultbot",
               "sqlalchemy", "numpy", "flask")

PROBE = """
import json, sys
import tests.conftest
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(%r))))
"""


def test_the_conftest_imports_nothing_of_the_application() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE % (APPLICATION,)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_the_fixtures_are_registered_where_tests_run(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.has_plugin("tests.fixtures")
    assert callable(runtime_for)
    assert request.getfixturevalue("database_url").startswith("sqlite:///")

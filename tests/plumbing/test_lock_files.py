"""The lock files: what ``make run`` and ``make test`` install, exactly, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\]+) \\$", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    found = {canonicalize_name(n): v for n, v in PIN.findall(text)}
    assert len(found) == text.count("==")  # every line pinned exactly …
    assert text.count("--hash=sha256:") >= len(found)  # … and hashed
    return found


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(r) for r in names]


def test_each_lock_satisfies_pyproject_and_the_runtime_one_has_no_test_tools() -> None:
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    for requirement in declared():
        version = runtime[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
    for requirement in declared("dev"):
        assert requirement.specifier.contains(dev[canonicalize_name(requirement.name)])
    for tool in ("pytest", "playwright", "mypy", "ruff", "radicale", "hypothesis"):
        assert tool not in runtime and tool in dev
    # `make test` runs the service's packages at the versions `make run` installs.
    assert {name: dev[name] for name in runtime} == runtime

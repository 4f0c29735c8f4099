"""The floors contract (``lint-imports``, in ``make lint``) holds; an upward import breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("plumbing", "booking", "bot", "channels", "dashboard", "consultbot")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def copy_of_the_tree(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.html"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"],
                          cwd=tree, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (make lint installs it)")
    return copy_of_the_tree(tmp_path_factory.mktemp("layers"))


def test_the_project_keeps_its_floors(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


#: One upward import per pair of floors (import-linter reports each pair's chains apart).
UPWARD = [
    ("plumbing/clock.py", "import booking.models"),
    ("booking/ics.py", "from bot.messages import Text"),
    ("bot/i18n.py", "import channels.text"),
    ("dashboard/times.py", "import channels.text"),
    ("channels/text.py", "import consultbot.web"),
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory,
           tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` once over a copy with every upward import of :data:`UPWARD` added
    (``tree``: skipped like the others when import-linter is missing)."""
    target = copy_of_the_tree(tmp_path_factory.mktemp("broken"))
    for module, upward in UPWARD:
        path = target / module
        path.write_text(path.read_text() + f"\n{upward}  # an upward import\n")
    return lint(target)


@pytest.mark.parametrize(("module", "upward"), UPWARD)
def test_an_upward_import_breaks_the_contract(broken: subprocess.CompletedProcess[str],
                                              module: str, upward: str) -> None:
    assert broken.returncode != 0
    assert "BROKEN" in broken.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    imported = upward.split()[1]
    assert f"- {importer} -> {imported} (l." in broken.stdout, broken.stdout

"""How a person types the ``consultbot`` command on this machine, for hints we show."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def command_name() -> str:
    """``consultbot`` when that is on PATH and is this installation; else its path, relative
    to the working directory when inside it (``.venv/bin/consultbot`` after ``make run``)."""
    installed = Path(sys.prefix) / "bin" / "consultbot"
    found = shutil.which("consultbot")
    if not installed.exists() or (found and Path(found).resolve() == installed.resolve()):
        return "consultbot"
    try:
        return os.path.join(".", installed.relative_to(Path.cwd())).removeprefix("./")
    except ValueError:
        return str(installed)

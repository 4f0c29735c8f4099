"""Snowball stemmers, one language's module at a time.

``import snowballstemmer`` imports all 36 of its languages' stemmers (5 MiB resident); the
knowledge base uses six. Here each stemmer's module is loaded from snowballstemmer's own
directory when its language is first asked for, under a package of our own
(``bot.faq._snowball``) so that the real ``snowballstemmer`` package, if anything imports
it, is complete and separate. The stemmers are snowballstemmer's pure-Python ones.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Protocol

_PACKAGE = "bot.faq._snowball"
_SPEC = importlib.util.find_spec("snowballstemmer")  # finds it, runs nothing
if _SPEC is None or not _SPEC.submodule_search_locations:
    raise ImportError("snowballstemmer is not installed")
_DIRECTORY = Path(next(iter(_SPEC.submodule_search_locations)))
_SUFFIX = "_stemmer.py"
_lock = threading.Lock()


class Stemmer(Protocol):
    """What a Snowball stemmer does here."""

    def stemWord(self, word: str) -> str: ...


@cache
def algorithms() -> tuple[str, ...]:
    """The Snowball algorithms there are (``"english"``, ``"dutch_porter"``, ...)."""
    return tuple(sorted(path.name[:-len(_SUFFIX)] for path in _DIRECTORY.glob("*" + _SUFFIX)))


def stemmer(algorithm: str) -> Stemmer:
    """A new stemmer for ``algorithm`` (stemmers keep state: one per thread); KeyError for
    an unknown one."""
    if algorithm not in algorithms():
        raise KeyError(f"Stemming algorithm {algorithm!r} not found")
    with _lock:
        if _PACKAGE not in sys.modules:
            package = ModuleType(_PACKAGE, "snowballstemmer's modules, loaded one by one")
            package.__path__ = [str(_DIRECTORY)]
            sys.modules[_PACKAGE] = package
    module = importlib.import_module(f"{_PACKAGE}.{algorithm}_stemmer")
    name = "".join(part.capitalize() for part in algorithm.split("_")) + "Stemmer"
    made: Stemmer = getattr(module, name)()
    return made

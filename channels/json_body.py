"""JSON request bodies read without letting hostile nesting reach the parser.

``json.loads`` recurses once per level: a body of 100,000 ``[`` raises ``RecursionError``
(a 500 where it is not caught), and on CPython 3.11 that error can leave the thread's
compiler unable to compile later (``SystemError: AST constructor recursion depth
mismatch``). So the nesting is measured first, on the bytes, without recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: A JSON string (escapes included): brackets inside strings do not nest.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_OPENING = (b"[", b"{")


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether ``raw`` opens more than ``limit`` arrays/objects inside one another."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # cannot be that deep: the common case, no scan
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        depth += 1 if bracket.group() in _OPENING else -1
        if depth > limit:
            return True
    return False


def loads(raw: bytes, *, max_depth: int) -> Any:
    """The parsed body; ``ValueError`` if it is not JSON or nests deeper than ``max_depth``."""
    if nests_deeper_than(raw, max_depth):
        raise ValueError("JSON nested too deeply")
    return json.loads(raw)

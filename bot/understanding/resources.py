"""What understanding reads from disk, loaded once per process and never inside a lock.

The first caller builds each resource under a process-wide lock; the others wait for it
and then share it, so sixteen threads meeting a cold process build the knowledge base
once. ``warm_up`` loads everything at start (``consultbot.web.create_app`` calls it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from bot.faq import KnowledgeBase
from bot.i18n import catalog, languages
from bot.understanding.intents import IntentDetector

T = TypeVar("T")
_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def _once(name: str, build: Callable[[], T]) -> T:
    try:
        return _loaded[name]
    except KeyError:
        pass
    with _lock:
        if name not in _loaded:
            _loaded[name] = build()
        return _loaded[name]


def knowledge_base() -> KnowledgeBase:
    """The FAQ knowledge base, loaded once per process."""
    return _once("knowledge", KnowledgeBase.load)


def intent_detector() -> IntentDetector:
    """The intent detector built from ``bot/understanding/intents/*.json``."""
    return _once("intents", IntentDetector.load)


def _catalogs() -> tuple[str, ...]:
    for lang in languages():
        catalog(lang)
    return languages()


def warm_up() -> None:
    """Load the knowledge base, the intent vocabulary and every catalog now."""
    _once("catalogs", _catalogs)
    knowledge_base()
    intent_detector()

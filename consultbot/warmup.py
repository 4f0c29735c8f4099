"""Loading what turns read while the server already answers: ``consultbot serve`` starts one
:class:`WarmUp` beside waitress, so ``/healthz`` answers at once and ``/readyz`` says
``warm_up: loading`` (503) until the catalogs, the intents, the knowledge base, the FAQ
model (and, on a first start, its onnxruntime graph) and the vectors are loaded. A turn
arriving meanwhile waits for them on their own guards (``bot.understanding.resources``,
``KnowledgeBase.semantic_index``, ``semantic.load_embedder``), before its transaction, and
gets the same answer as later. When it is done, the warm-up logs (and, given ``announce``,
prints) the start-up line saying which matcher the FAQ uses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.flow.faq import matching_line
from bot.understanding import warm_up
from bot.understanding.resources import knowledge_base

log = logging.getLogger(__name__)


class WarmUp:
    """One warm-up thread; ``state`` is ``loading``, ``ok`` or ``failed``."""

    def __init__(self, announce: Callable[[str], None] | None = None) -> None:
        self._announce = announce
        self.matching: str | None = None  #: the FAQ's start-up line, once warmed up
        self._done = threading.Event()
        self.problem: str | None = None
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="warm-up", daemon=True)

    def start(self) -> WarmUp:
        self._thread.start()
        return self

    def _run(self) -> None:
        began = time.monotonic()
        try:
            warm_up()  # the catalogs, the intent vocabulary, the knowledge base
            knowledge_base().semantic_index()  # the model, its vectors: cached or computed
            self.matching = matching_line()
        except Exception as error:  # turns load on demand (and fail as they would then)
            self.problem = f"{type(error).__name__}: {error}"
            log.exception("warm-up failed; /readyz stays failing")
        self.seconds = time.monotonic() - began
        if self.problem is None:
            log.info("warm-up done in %.1f s; %s", self.seconds, self.matching)
            if self._announce is not None:
                self._announce(f"{self.matching} (warm-up done in {self.seconds:.1f} s)")
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the warm-up has finished (after waiting up to ``timeout`` seconds)."""
        return self._done.wait(timeout)

    @property
    def state(self) -> str:
        if not self._done.is_set():
            return "loading"
        return "ok" if self.problem is None else "failed"

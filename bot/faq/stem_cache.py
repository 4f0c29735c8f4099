"""The knowledge base's word stems, cached in the FAQ cache directory.

Building the lexical matcher stems every word of every phrase in pure Python (about a
second of CPU, in every process). The stems are kept as JSON (data, never code) in a file
named by a key of everything they depend on: the matcher's inputs, snowballstemmer's
version and :data:`VERSION`. A table is only a memo: a word it lacks is stemmed again, so
a stale or partial table cannot change a stem; a damaged file is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from bot.faq.cache_files import write_atomically
from bot.faq.text import stem

if TYPE_CHECKING:
    from bot.faq.matcher import LanguageTerms

log = logging.getLogger(__name__)

#: Bump when :func:`bot.faq.text.stem` or what the table holds changes.
VERSION = 1

#: Stems by algorithm, then by word.
Table = dict[str, dict[str, str]]


def key(languages: Mapping[str, LanguageTerms]) -> str:
    """A key that changes with any input of the matcher, the stemmer library or VERSION."""
    inputs = [VERSION, metadata.version("snowballstemmer")]
    for lang, terms in languages.items():
        inputs.append([lang, terms.stemmer, sorted(terms.stopwords), sorted(terms.question_words),
                       sorted(terms.domain_words), list(terms.phrases.items())])
    encoded = json.dumps(inputs, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def path(directory: Path, cache_key: str) -> Path:
    """Where the table for ``cache_key`` is kept."""
    return directory / f"stems-{cache_key}.json"


def read(file: Path) -> Table:
    """The table in ``file``; empty when it is missing, unreadable or malformed."""
    try:
        data = json.loads(file.read_bytes())
    except (OSError, ValueError):
        return {}
    valid = isinstance(data, dict) and all(
        isinstance(table, dict)
        and all(isinstance(w, str) and isinstance(s, str) for w, s in table.items())
        for table in data.values())
    return data if valid else {}


def write(file: Path, table: Table) -> None:
    """Keep ``table`` in ``file``; when that cannot be done, say so and go on."""
    encoded = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        write_atomically(file, lambda handle: handle.write(encoded))
    except OSError as error:
        log.warning("FAQ stem cache not written (%s); they will be computed again", error)


class Memo:
    """:func:`bot.faq.text.stem` through a table: a word the table lacks is stemmed and
    added (``grew`` then says the table should be written again)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.grew = False

    def stem(self, word: str, algorithm: str | None) -> str:
        """``word``'s stem under ``algorithm``, as :func:`bot.faq.text.stem` gives it."""
        if algorithm is None:
            return word
        known = self.table.setdefault(algorithm, {})
        found = known.get(word)
        if found is None:
            found = known[word] = stem(word, algorithm)
            self.grew = True
        return found

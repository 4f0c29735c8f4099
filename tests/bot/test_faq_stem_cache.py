"""The matcher's stems cached on disk (bot/faq/stem_cache.py): same decisions, safe reads."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.faq import knowledge, semantic, stem_cache
from bot.faq.matcher import Matcher

BENCH = Path(__file__).parents[2] / "bench"


def _questions() -> list[tuple[str, str]]:
    """(language, question) of the development and held-out sets, every language."""
    found = []
    for name in ("faq_dev.json", "faq_heldout.json"):
        data = json.loads((BENCH / name).read_text(encoding="utf-8"))
        for lang, topics in data.items():
            if isinstance(topics, dict):
                found += [(lang, q) for questions in topics.values() for q in questions]
    return found


def _matcher(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Matcher:
    monkeypatch.setattr(semantic._state, "cache_directory", cache)
    built = knowledge._build(knowledge.DEFAULT_DIRECTORY)
    return built._matcher


def _no_stemming(word: str, algorithm: str | None) -> str:
    raise AssertionError(f"stemmed {algorithm} word though the cache has it")


def _decisions(matcher: Matcher, questions: list[tuple[str, str]]) -> list[object]:
    return [(matcher.evaluate(q), matcher.scores(q), matcher.is_filler(q), matcher.has_content(q))
            for _, q in questions]


def test_cached_matcher_decides_exactly_as_one_built_from_scratch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    questions = _questions()
    assert len(questions) > 300 and len({lang for lang, _ in questions}) == 7
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    scratch = _matcher(not_a_directory, monkeypatch)  # cannot be written: built in memory
    _matcher(tmp_path / "cache", monkeypatch)
    assert len(list((tmp_path / "cache").glob("stems-*.json"))) == 1
    monkeypatch.setattr(stem_cache, "stem", _no_stemming)
    cached = _matcher(tmp_path / "cache", monkeypatch)
    assert _decisions(cached, questions) == _decisions(scratch, questions)


@pytest.mark.parametrize("content", [b"\x00garbage{", b'{"english": {"report": 1}}', b"[1]"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         content: bytes) -> None:
    _matcher(tmp_path, monkeypatch)
    (file,) = tmp_path.glob("stems-*.json")
    good = json.loads(file.read_bytes())
    file.write_bytes(content)
    rebuilt = _matcher(tmp_path, monkeypatch)
    assert json.loads(file.read_bytes()) == good
    assert rebuilt.evaluate("how much does the report cost") == _matcher(
        tmp_path / "other", monkeypatch).evaluate("how much does the report cost")


def test_the_key_follows_every_input(monkeypatch: pytest.MonkeyPatch) -> None:
    languages = {path.stem: knowledge._read_language(path)[1]
                 for path in sorted(knowledge.DEFAULT_DIRECTORY.glob("*.json"))}
    key = stem_cache.key(languages)
    assert key == stem_cache.key(dict(languages))
    changed = dict(languages, en=replace(languages["en"], stemmer="porter"))
    assert stem_cache.key(changed) != key
    phrases = dict(languages["en"].phrases, extra=(("new words",), ()))
    assert stem_cache.key(dict(languages, en=replace(languages["en"], phrases=phrases))) != key
    monkeypatch.setattr(stem_cache, "VERSION", stem_cache.VERSION + 1)
    assert stem_cache.key(languages) != key
    monkeypatch.undo()
    monkeypatch.setattr(stem_cache.metadata, "version", lambda name: "0.0-other")
    assert stem_cache.key(languages) != key

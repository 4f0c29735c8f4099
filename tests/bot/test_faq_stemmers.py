"""The stemmers loaded one language at a time are snowballstemmer's own, and loading the
knowledge base's six does not import the other thirty."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import snowballstemmer

from bot.faq import stemmers

ROOT = Path(__file__).resolve().parents[2]
WORDS = ("consultations", "running", "демократия", "приехали", "مكتبات", "کتابها",
         "nationalité", "solicitudes", "huisjes", "hyppäsi")


def test_the_algorithms_are_snowballstemmer_s() -> None:
    assert stemmers.algorithms() == tuple(sorted(snowballstemmer.algorithms()))


@pytest.mark.parametrize("algorithm", sorted(snowballstemmer.algorithms()))
def test_each_stemmer_stems_as_snowballstemmer_s(algorithm: str) -> None:
    ours, theirs = stemmers.stemmer(algorithm), snowballstemmer.stemmer(algorithm)
    assert [ours.stemWord(word) for word in WORDS] == [theirs.stemWord(w) for w in WORDS]


def test_an_unknown_algorithm_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        stemmers.stemmer("klingon")


def test_matching_loads_only_the_knowledge_base_s_languages() -> None:
    """The knowledge base's stemmers, and not ``snowballstemmer`` (all 36 languages). The
    model is off: stemming is the lexical matcher's, and the vectors would cost seconds."""
    script = """
import json, sys
from bot.faq import semantic
from bot.faq.knowledge import KnowledgeBase
semantic.configure(enabled=False)
KnowledgeBase.load().match("how much does the report cost?")
print(json.dumps(sorted(name for name in sys.modules if "snowball" in name)))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert "snowballstemmer" not in loaded
    assert {name.rsplit(".", 1)[-1] for name in loaded if name.endswith("_stemmer")} == {
        f"{language}_stemmer" for language in
        ("arabic", "english", "french", "persian", "russian", "spanish")}

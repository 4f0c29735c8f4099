"""Every FAQ decision on every benchmark set, one line a question, to compare two trees.

Run: ``PYTHONHASHSEED=0 PYTHONPATH=<tree> .venv/bin/python bench/faq_decisions.py > out.txt``
for each tree, then ``diff`` the files. The ``bot`` package comes from ``PYTHONPATH`` (this
script's own tree only when it is not set), so one copy of the script dumps any tree. A
line: set, language, question, then the topic, whether confident, whether out of scope, the
score and the suggestions (topic:score), scores rounded to ``--places``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))  # after PYTHONPATH: the tree being measured comes first

from bot.faq.knowledge import KnowledgeBase  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=3, help="decimals of the scores")
    args = parser.parse_args()
    kb = KnowledgeBase.load()
    if kb.semantic_index() is None:
        sys.exit("semantic model unavailable")
    print(f"# bot from {sys.modules['bot'].__file__}", file=sys.stderr)
    for path in sorted(HERE.glob("faq_*.json")):
        for lang, groups in json.loads(path.read_text(encoding="utf-8")).items():
            if lang.startswith("_"):
                continue
            for questions in groups.values():
                for question in questions:
                    answer = kb.answer(question, lang)
                    suggestions = " ".join(f"{m.topic_id}:{m.score:.{args.places}f}"
                                           for m in answer.suggestions)
                    print(f"{path.stem}\t{lang}\t{question!r}\t{answer.topic_id}\t"
                          f"{answer.confident}\t{answer.out_of_scope}\t"
                          f"{answer.score:.{args.places}f}\t{suggestions}")


if __name__ == "__main__":
    main()

"""``consultbot faq ask``: try the FAQ matcher from the terminal (no settings, no database)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``faq`` with its ``ask`` sub-command."""
    parser = subparsers.add_parser("faq", help="question answering from the knowledge base")
    commands = parser.add_subparsers(dest="faq_command", required=True, metavar="COMMAND")
    ask = commands.add_parser("ask", help="match a question and print the answer")
    ask.add_argument("question", help="the question, in any language the FAQ knows")
    ask.add_argument("--lang", default="en", help="language of the answer (default: en)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--lexical-only", action="store_true",
                     help="the lexical matcher alone, without the semantic model")
    ask.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the matched topic id (or ``none``), its score, the answer and near-misses."""
    from bot.faq import KnowledgeBase

    kb = KnowledgeBase.load()
    decision = kb.answer(args.question, args.lang, lexical_only=args.lexical_only)
    match, near = decision.match, decision.suggestions
    topic = kb.topic(match.topic_id, args.lang) if match else None
    result = {
        "topic_id": match.topic_id if match else None,
        "score": match.score if match else 0.0,
        "title": topic.title if topic else None,
        "answer": topic.answer if topic else None,
        "suggestions": [
            {"topic_id": m.topic_id, "score": m.score,
             "title": kb.topic(m.topic_id, args.lang).title}
            for m in near
        ],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"topic: {result['topic_id'] or 'none'}")
    print(f"score: {result['score']:.2f}")
    if topic:
        print(topic.answer)
    for suggestion in result["suggestions"]:
        print(f"did you mean: {suggestion['topic_id']} ({suggestion['score']:.2f})"
              f" {suggestion['title']}")
    return 0

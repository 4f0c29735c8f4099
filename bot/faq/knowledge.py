"""The FAQ knowledge base: one JSON file per language, validated at load.

A file ``<lang>.json`` holds ``language`` (its code), ``stemmer`` (a Snowball algorithm
such as ``"russian"``, or null), ``stopwords`` (filler words that carry no topic),
``question_words`` (words such as "how" or "when" that help pick a topic but cannot make a
match alone), ``domain_words`` (words naming the product, e.g. "report", that weigh little
because nearly every question has them) and ``topics``: for each topic id a ``title`` (a
button label of at most 24 characters), an ``answer`` (literal text, no placeholders),
``keywords`` and ``examples`` (phrasings the matcher learns from) and ``related`` topic ids;
and ``out_of_scope``: messages the FAQ must not answer (small talk, arithmetic, visas...),
which the semantic matcher uses as anchors. Every language must have every topic of English,
the fallback; adding a language is adding a file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.faq import fusion, semantic
from bot.faq.countries import country_in
from bot.faq.fusion import FaqAnswer
from bot.faq.matcher import LanguageTerms, Match, Matcher, combined, near_misses, segments
from bot.faq.text import fold, has_question_mark, stemmer_exists, words
from bot.faq.transliteration import native_spellings

#: Sentences of a long message embedded on their own besides the whole message.
MAX_SEMANTIC_SENTENCES = 4
#: The most characters of one text the model reads. Its cost grows with the text (about
#: 2.5 s of CPU for 4,096 characters against ~10 ms for a short question), and a question
#: is a sentence or two, so a long message's whole text is not read, only its sentences.
MAX_MODEL_CHARACTERS = 300
#: Whether the model also reads a Latin-script question re-spelt in its language's script
#: (False only to measure the figures before it, ``bench/faq_quality.py --model-reads-typed``).
MODEL_READS_SPELLINGS = True
#: Conversations whose re-spellings the model does not read: Finglish re-spelt in Persian
#: script is read worse than as typed (on the development set e5 ranks the right topic
#: first for 16 of 17 such questions as typed, 10 re-spelt), and it cost held-out answers.
MODEL_SKIPS_SPELLINGS_IN = frozenset({"fa"})
#: Whether a re-spelling goes unread when the text as typed alone already gets a direct
#: answer (one model call instead of two for a Latin-script question the model reads well
#: as typed; False only to measure the figures before it, ``bench/faq_quality.py
#: --model-reads-both``). Chosen on the development set: ``docs/understanding.md``, ninth
#: pass.
MODEL_SKIPS_SPELLINGS_WHEN_SETTLED = True

DEFAULT_DIRECTORY = Path(__file__).parent / "knowledge"
FALLBACK_LANGUAGE = "en"
#: The topic answered for a named country (see ``bot.flow.faq``).
COUNTRIES_TOPIC = "countries"
MAX_TITLE_LENGTH = 24


class KnowledgeError(ValueError):
    """A knowledge file is missing, malformed or inconsistent; the message says where."""


@dataclass(frozen=True)
class Topic:
    """One FAQ entry in one language."""

    id: str
    title: str
    answer: str
    related: tuple[str, ...]


def _require(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise KnowledgeError(f"{where}: {problem}")


def _strings(value: Any, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    _require(isinstance(value, list), where, "must be a list of strings")
    _require(all(isinstance(v, str) and v.strip() for v in value), where,
             "must contain only non-empty strings")
    _require(allow_empty or bool(value), where, "must not be empty")
    return tuple(value)


def _parse_topic(
    topic_id: str, raw: Any, where: str
) -> tuple[Topic, tuple[str, ...], tuple[str, ...]]:
    _require(isinstance(raw, dict), where, "must be an object")
    for key in ("title", "answer"):
        _require(isinstance(raw.get(key), str) and raw[key].strip(), where,
                 f'"{key}" must be a non-empty string')
    title = raw["title"].strip()
    _require(len(title) <= MAX_TITLE_LENGTH, where,
             f'"title" is {len(title)} characters, at most {MAX_TITLE_LENGTH} fit a button')
    keywords = _strings(raw.get("keywords"), f'{where} "keywords"')
    examples = _strings(raw.get("examples", []), f'{where} "examples"', allow_empty=True)
    related = _strings(raw.get("related", []), f'{where} "related"', allow_empty=True)
    topic = Topic(topic_id, title, raw["answer"].strip(), related)
    return topic, (title, *keywords), examples


def _read_language(path: Path) -> tuple[dict[str, Topic], LanguageTerms, tuple[str, ...]]:
    where = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise KnowledgeError(f"{where}: cannot read JSON ({error})") from error
    _require(isinstance(data, dict), where, "must hold a JSON object")
    _require(data.get("language") == path.stem, where,
             f'"language" must be "{path.stem}", the file name')
    stemmer = data.get("stemmer")
    _require(stemmer is None or (isinstance(stemmer, str) and stemmer_exists(stemmer)), where,
             f'"stemmer" {stemmer!r} is not a Snowball algorithm')
    stopwords = _strings(data.get("stopwords", []), f'{where} "stopwords"', allow_empty=True)
    question_words = _strings(
        data.get("question_words", []), f'{where} "question_words"', allow_empty=True
    )
    domain_words = _strings(
        data.get("domain_words", []), f'{where} "domain_words"', allow_empty=True
    )
    out_of_scope = _strings(
        data.get("out_of_scope", []), f'{where} "out_of_scope"', allow_empty=True
    )
    raw_topics = data.get("topics")
    _require(isinstance(raw_topics, dict) and bool(raw_topics), where,
             '"topics" must be a non-empty object')
    topics: dict[str, Topic] = {}
    phrases = {}
    for topic_id, raw in raw_topics.items():
        topic, keywords, examples = _parse_topic(topic_id, raw, f"{where} topic {topic_id!r}")
        topics[topic_id] = topic
        phrases[topic_id] = (keywords, examples)
    terms = LanguageTerms(
        stemmer,
        frozenset(fold(w) for w in stopwords),
        frozenset(fold(w) for w in question_words),
        frozenset(fold(w) for w in domain_words),
        phrases,
    )
    return topics, terms, out_of_scope


def _validate(topics: dict[str, dict[str, Topic]], directory: Path) -> None:
    _require(FALLBACK_LANGUAGE in topics, str(directory),
             f"no {FALLBACK_LANGUAGE}.json, the fallback language")
    expected = set(topics[FALLBACK_LANGUAGE])
    for lang, entries in topics.items():
        missing = sorted(expected - set(entries))
        extra = sorted(set(entries) - expected)
        _require(not missing, f"{lang}.json", f"missing topics {missing}")
        _require(not extra, f"{lang}.json", f"topics not in {FALLBACK_LANGUAGE}.json: {extra}")
        for topic in entries.values():
            unknown = sorted(set(topic.related) - expected)
            _require(not unknown, f"{lang}.json topic {topic.id!r}",
                     f"related ids do not exist: {unknown}")
            _require(topic.id not in topic.related, f"{lang}.json topic {topic.id!r}",
                     "is related to itself")


class KnowledgeBase:
    """FAQ topics in every language, with a matcher that searches all of them."""

    def __init__(self, topics: dict[str, dict[str, Topic]], matcher: Matcher,
                 semantic_phrases: tuple[tuple[str, str], ...] = ()) -> None:
        self._topics = topics
        self._matcher = matcher
        others = sorted(lang for lang in topics if lang != FALLBACK_LANGUAGE)
        self.languages: tuple[str, ...] = (FALLBACK_LANGUAGE, *others)
        #: (topic id, title or example) in every language; topic id "" for out-of-scope.
        self._semantic_phrases = semantic_phrases
        self._index: semantic.SemanticIndex | None = None
        self._index_ready = False
        self._index_lock = threading.Lock()

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        """Read and validate every ``*.json`` in ``directory`` (default: the bundled one).

        Loaded once per directory and process; later calls return the same object.
        """
        return _load(Path(directory or DEFAULT_DIRECTORY).resolve())

    def topic_ids(self) -> tuple[str, ...]:
        """Topic ids in the order of the English file."""
        return tuple(self._topics[FALLBACK_LANGUAGE])

    def topic(self, topic_id: str, lang: str) -> Topic:
        """A topic in ``lang``, or in English when that language has no file.

        Raises ``KeyError`` for an unknown topic id.
        """
        return self._topics.get(lang, self._topics[FALLBACK_LANGUAGE])[topic_id]

    def match(self, question: str, lang: str | None = None) -> Match | None:
        """The topic ``question`` is clearly about, or None when no topic fits well.

        Every language is searched whatever ``lang`` (the conversation's language) is;
        the caller renders the answer with :meth:`topic` in its own language.
        """
        return self.answer(question, lang).match

    def suggestions(self, question: str, lang: str | None = None, limit: int = 3) -> list[Match]:
        """Up to ``limit`` next-best topics for a "did you mean" list, best first."""
        return list(self.answer(question, lang, limit=limit).suggestions)

    def answer(self, question: str, lang: str | None = None, *, limit: int = 3,
               lexical_only: bool = False) -> FaqAnswer:
        """The fused, calibrated decision on ``question`` (see :mod:`bot.faq.fusion`).

        Uses the semantic model when it is loaded; otherwise (or with ``lexical_only``) the
        lexical matcher's own decision. A Latin-script question is also re-spelt in the
        script of ``lang`` (see :mod:`bot.faq.transliteration`): the lexical matcher reads
        both; the model's similarities are those of the re-spelling when it is closer to a
        topic than the text as typed (:func:`bot.faq.fusion.closer`; not in a Persian
        conversation, see ``MODEL_SKIPS_SPELLINGS_IN``). Thread-safe.
        """
        if not words(question):  # a number, an emoji: nothing to match
            return FaqAnswer(None, 0.0, (), confident=False)
        if fusion.is_arithmetic(question):
            return FaqAnswer(None, 0.0, (), confident=False, out_of_scope=True)
        spellings = native_spellings(question, lang)
        if self._matcher.is_filler(question, *spellings):  # "да", "نعم", "ok": no question
            return FaqAnswer(None, 0.0, (), confident=False)
        each = self._matcher.evaluate_each(question, *spellings)
        lexical_answer, lexical = combined(each)
        index = None if lexical_only else self.semantic_index()
        if index is None:
            result = fusion.lexical_only(lexical_answer, near_misses(lexical_answer, lexical),
                                         limit)
        else:
            read = () if lang in MODEL_SKIPS_SPELLINGS_IN else spellings
            best = [max(scores.values(), default=0.0) for _, scores in each]
            may_answer = self._matcher.has_content(question, *spellings)

            def settles(similarities: fusion.Similarities) -> bool:
                return fusion.fuse(lexical, *similarities, self.topic_ids(), limit,
                                   may_answer=may_answer).confident

            similarity, anchor = self._similarities(index, question, read, best, settles)
            result = fusion.fuse(lexical, similarity, anchor, self.topic_ids(), limit,
                                 may_answer=may_answer)
        return self._about_a_country(result, lexical_answer, question, lang)

    def _similarities(self, index: semantic.SemanticIndex, question: str,
                      spellings: tuple[str, ...], best: Sequence[float] | None = None,
                      settles: Callable[[fusion.Similarities], bool] | None = None
                      ) -> tuple[dict[str, float], float]:
        """The model's similarities for ``question`` (and its sentences), or for a
        re-spelling of it when that is closer to a topic (:func:`bot.faq.fusion.closer`).

        Only a re-spelling in which the lexical matcher finds more of the knowledge base
        than in the text as typed is embedded (one more model call): English typed in an
        Arabic conversation, or "my flight is at 7pm", is re-spelt into nonsense that the
        model must not read. ``best``: the lexical matcher's best score for the question
        and each spelling, when the caller has them already.

        ``settles``: whether similarities give a direct answer. When the text as typed
        alone does, no re-spelling is read (one model call fewer; see
        ``MODEL_SKIPS_SPELLINGS_WHEN_SETTLED``): on the benchmark sets that changed none of
        1,159 decisions (topic, direct or not, out of scope), only some scores."""
        similarity, anchor = index.similarities(model_inputs(question))
        if not MODEL_READS_SPELLINGS or not spellings:
            return similarity, anchor
        if (MODEL_SKIPS_SPELLINGS_WHEN_SETTLED and settles is not None
                and settles((similarity, anchor))):
            return similarity, anchor
        if best is None:
            best = [self._matcher.best_score(text) for text in (question, *spellings)]
        typed, *respelt = best
        for spelling, score in zip(spellings, respelt, strict=True):
            if score > typed:
                similarity, anchor = fusion.closer((similarity, anchor),
                                                   index.similarities([spelling]))
        return similarity, anchor

    @staticmethod
    def _about_a_country(result: FaqAnswer, lexical_answer: Match | None, question: str,
                         lang: str | None) -> FaqAnswer:
        """A question naming one country is answered with the countries topic, even when
        its words were unsure ("I'm from Honduras", "btghato souria?"), if that topic ranks
        first fused or the lexical matcher (which knows the covered countries' names) is
        sure of it; the model alone may take "я з В'єтнаму" for small talk."""
        lexical_countries = (lexical_answer is not None
                             and lexical_answer.topic_id == COUNTRIES_TOPIC)
        if result.confident or not (result.topic_id == COUNTRIES_TOPIC or lexical_countries):
            return result
        if country_in(question, lang or FALLBACK_LANGUAGE) is None:
            return result
        rest = tuple(m for m in result.suggestions if m.topic_id != COUNTRIES_TOPIC)
        score = max(result.score, lexical_answer.score
                    if lexical_answer is not None and lexical_countries else 0.0)
        return FaqAnswer(COUNTRIES_TOPIC, score, rest, confident=True)

    def semantic_index(self) -> semantic.SemanticIndex | None:
        """The knowledge base's vectors, built (or read from the cache) on first use; None
        when the model is unavailable."""
        if self._index_ready:
            return self._index
        with self._index_lock:
            if not self._index_ready:
                embedder = semantic.load_embedder()
                if embedder is not None:
                    self._index = semantic.SemanticIndex(
                        embedder, self._semantic_phrases, semantic.cache_directory()
                    )
                self._index_ready = True
        return self._index


_loaded: dict[Path, KnowledgeBase] = {}
_loading = threading.Lock()


def _load(directory: Path) -> KnowledgeBase:
    """The knowledge base of ``directory``, built once per process: threads arriving while
    it is built wait for it instead of building it again (0.4 s of CPU each)."""
    try:
        return _loaded[directory]
    except KeyError:
        pass
    with _loading:
        if directory not in _loaded:
            _loaded[directory] = _build(directory)
        return _loaded[directory]


def _build(directory: Path) -> KnowledgeBase:
    paths = sorted(directory.glob("*.json"))
    _require(bool(paths), str(directory), "holds no knowledge files (*.json)")
    topics: dict[str, dict[str, Topic]] = {}
    terms: dict[str, LanguageTerms] = {}
    anchors: dict[str, tuple[str, ...]] = {}
    for path in paths:
        topics[path.stem], terms[path.stem], anchors[path.stem] = _read_language(path)
    _validate(topics, directory)
    order = list(topics[FALLBACK_LANGUAGE])
    semantic_phrases: list[tuple[str, str]] = []
    for lang, language_terms in terms.items():
        phrases = {tid: language_terms.phrases[tid] for tid in order}
        terms[lang] = replace(language_terms, phrases=phrases)
        for tid in order:
            keywords, examples = phrases[tid]
            semantic_phrases += [(tid, text) for text in (keywords[0], *examples)]
        semantic_phrases += [("", text) for text in anchors[lang]]
    matcher = Matcher(terms, semantic.cache_directory())
    return KnowledgeBase(topics, matcher, tuple(semantic_phrases))


def model_inputs(question: str) -> list[str]:
    """What the model reads of a question. A short one: the whole of it, then its sentences
    when it has several (at most :data:`MAX_SEMANTIC_SENTENCES`). A long message (a story
    with the question in it, often at the end): only its sentences, those with a question
    mark first and then the last ones, each cut to its last :data:`MAX_MODEL_CHARACTERS`."""
    whole, *sentences = segments(question)
    if len(whole) <= MAX_MODEL_CHARACTERS:
        return [whole, *sentences[:MAX_SEMANTIC_SENTENCES]]
    order = sorted(range(len(sentences)), reverse=True,
                   key=lambda i: (_asks(question, sentences[i]), i))
    chosen = sorted(order[:MAX_SEMANTIC_SENTENCES]) or [-1]
    return [_tail(sentences[i] if sentences else whole) for i in chosen]


def _asks(question: str, sentence: str) -> bool:
    """Whether ``sentence`` ends in a question mark in ``question`` (split off with it)."""
    end = question.find(sentence) + len(sentence)
    return has_question_mark(question[end:end + 1] + sentence[-1:])


def _tail(text: str) -> str:
    """``text``'s last :data:`MAX_MODEL_CHARACTERS` characters, from a word's start."""
    if len(text) <= MAX_MODEL_CHARACTERS:
        return text
    cut = text[-MAX_MODEL_CHARACTERS:]
    space = cut.find(" ")
    return cut[space + 1:] if 0 <= space < len(cut) // 2 else cut

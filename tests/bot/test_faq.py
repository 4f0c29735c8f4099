"""FAQ knowledge base and matcher: paraphrases in English and Russian, typos, refusals, CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.faq import KnowledgeBase, KnowledgeError, Match, Topic
from bot.faq.knowledge import DEFAULT_DIRECTORY, MAX_TITLE_LENGTH
from consultbot.cli import main
from tests.bot.faq_support import assert_answered_or_offered, loaded_knowledge

REQUIRED_TOPICS = {
    "what_is_report", "how_to_order", "sample_report", "expert_cv", "countries",
    "consultation", "commitment", "response_time", "law_firms", "confidentiality",
    "languages", "cost",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return loaded_knowledge()


# Phrasings written for these tests, none copied from the knowledge files.
PARAPHRASES = [
    ("what_is_report", "What exactly is an expert witness report?"),
    ("what_is_report", "what's in an expert report"),
    ("what_is_report", "why would I want an expert report in my claim"),
    ("what_is_report", "Что такое экспертное заключение и зачем оно?"),
    ("what_is_report", "что входит в ваше экспертное заключение"),
    ("what_is_report", "Для чего нужен отчет эксперта?"),
    ("how_to_order", "how would I order one of your reports?"),
    ("how_to_order", "what's the procedure for requesting a report"),
    ("how_to_order", "I'd like to apply. How do I begin?"),
    ("how_to_order", "Как у вас заказывают заключения?"),
    ("how_to_order", "каков порядок оформления заказа"),
    ("how_to_order", "куда подать заявку на экспертизу"),
    ("sample_report", "is there a sample I could read first"),
    ("sample_report", "may I look at an example report?"),
    ("sample_report", "Дайте посмотреть образец"),
    ("sample_report", "есть ли у вас примеры заключений"),
    ("expert_cv", "Who would be writing my report?"),
    ("expert_cv", "what is the experts' background and experience"),
    ("expert_cv", "please send the CV of your expert"),
    ("expert_cv", "Кто у вас эксперты?"),
    ("expert_cv", "Какое образование у специалиста?"),
    ("expert_cv", "пришлите резюме вашего эксперта"),
    ("countries", "do you cover Eritrea?"),
    ("countries", "I'm originally from Honduras"),
    ("countries", "what countries are on your list"),
    ("countries", "Do you have specialists on Kyrgyzstan?"),
    ("countries", "Какие страны вы охватываете?"),
    ("countries", "Я гражданин Таджикистана"),
    ("countries", "делаете ли экспертизу по Сирии"),
    ("countries", "работаете с Белоруссией?"),
    ("consultation", "How can I book the free zoom consultation?"),
    ("consultation", "what do we discuss in the first meeting"),
    ("consultation", "Could we set up a video call?"),
    ("consultation", "Хочу записаться на консультацию"),
    ("consultation", "как проходит бесплатная консультация в Зуме"),
    ("consultation", "можно назначить созвон?"),
    ("commitment", "Am I committed to anything after the consultation?"),
    ("commitment", "is there any obligation to buy?"),
    ("commitment", "Консультация к чему-то обязывает?"),
    ("commitment", "а какие обязательства у меня будут?"),
    ("response_time", "how soon do you reply to emails?"),
    ("response_time", "When can I expect a response?"),
    ("response_time", "what email address should I write to"),
    ("response_time", "Как быстро вы отвечаете на письма?"),
    ("response_time", "Через сколько часов будет ответ?"),
    ("response_time", "какой у вас адрес почты"),
    ("law_firms", "I'm a barrister representing a client"),
    ("law_firms", "Do you collaborate with immigration lawyers?"),
    ("law_firms", "Can a solicitor instruct you on behalf of a client?"),
    ("law_firms", "Я адвокат, сотрудничаете с юристами?"),
    ("law_firms", "Мы юридическая фирма, нам нужен отчёт для клиента"),
    ("confidentiality", "Is my personal data kept confidential?"),
    ("confidentiality", "who else can see my personal details"),
    ("confidentiality", "Could you delete my details please"),
    ("confidentiality", "Вы передаёте мои данные третьим лицам?"),
    ("confidentiality", "как удалить информацию обо мне"),
    ("confidentiality", "Данные хранятся конфиденциально?"),
    ("languages", "which languages can I use here?"),
    ("languages", "can I use a translator?"),
    ("languages", "Вы говорите на английском?"),
    ("languages", "На каких языках можно общаться?"),
    ("cost", "what's the cost of a report"),
    ("cost", "How much would I need to pay?"),
    ("cost", "what are your prices"),
    ("cost", "Сколько стоит отчёт?"),
    ("cost", "какие расценки на экспертизу"),
    ("cost", "сколько денег нужно заплатить"),
]

TYPOS = [
    ("how_to_order", "how do I oder a reprot"),
    ("cost", "how mcuh does it cots"),
    ("consultation", "free consultaton on zoom"),
    ("languages", "do you speek russain"),
    ("consultation", "хочу на консултацию"),
    ("cost", "скольуо стоит?"),
    ("confidentiality", "конфеденциальность данных"),
    ("sample_report", "обрзец заключения"),
]

INFLECTED_RUSSIAN = [
    ("consultation", "записаться на консультацию"),
    ("consultation", "о консультациях"),
    ("consultation", "проконсультироваться бесплатно"),
    ("how_to_order", "хочу заказывать заключение"),
    ("how_to_order", "закажу заключение, с чего начинать?"),
    ("countries", "из России"),
    ("countries", "по Грузии"),
    ("languages", "на русском языке"),
    ("cost", "стоимость заключений"),
]

NEGATIVES = [
    "",
    "   ",
    "?!",
    "what's the weather in Paris",
    "how do I cook borscht",
    "asdfgh",
    "hello",
    "Hi there!",
    "thanks a lot",
    "ok",
    "Привет",
    "Спасибо большое",
    "как приготовить борщ",
    "какая завтра погода в Москве",
    "what is the meaning of life",
    "recommend me a good pizza place",
    "my phone battery is dead",
    "кто выиграл чемпионат мира",
    "how are you?",
    "как дела?",
    "when?",
    "кто?",
    "сколько?",
    "12345",
    "🙂🙂🙂",
    "test test",
]

# Close to the asylum domain, or one letter from a keyword, yet no topic answers them.
DOMAIN_NEGATIVES = [
    "I was detained at the border",
    "I was at a protest and got detained",
    "deported",
    "scared",
    "my claim was refused",
    "when is my court hearing",
    "I need a visa to travel",
    "can you find me a job",
    "мой брат",
    "мне отказали в убежище, что делать",
    "меня избили в полиции",
    "как получить визу в Германию",
    "сколько стоит билет до Берлина",
]


@pytest.mark.parametrize(("expected", "question"), PARAPHRASES + TYPOS + INFLECTED_RUSSIAN)
def test_paraphrase_matches_its_topic(kb: KnowledgeBase, expected: str, question: str) -> None:
    # A direct answer only when the FAQ is sure; otherwise "did you mean", never a wrong one.
    assert_answered_or_offered(kb, question, expected, "en")
    match = kb.match(question, "en")
    assert match is None or 0.0 < match.score <= 1.0


@pytest.mark.parametrize(("expected", "question"), TYPOS + INFLECTED_RUSSIAN)
def test_lexical_matcher_alone_still_answers_typos_and_inflections(
    kb: KnowledgeBase, expected: str, question: str
) -> None:
    match = kb.answer(question, "en", lexical_only=True).match
    assert match is not None and match.topic_id == expected, question


def test_every_required_topic_is_covered_by_paraphrases() -> None:
    assert {topic for topic, _ in PARAPHRASES} == REQUIRED_TOPICS


@pytest.mark.parametrize("question", NEGATIVES + DOMAIN_NEGATIVES)
def test_unrelated_or_empty_text_gets_no_answer(kb: KnowledgeBase, question: str) -> None:
    assert kb.match(question) is None


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("сколько стоит заключение", "en", "cost"),
        ("how much does it cost", "ru", "cost"),
        ("Вы работаете с юристами?", "en", "law_firms"),
        ("do you cover Iran", "ru", "countries"),
        ("сколько стоит expert report", None, "cost"),
    ],
)
def test_every_language_is_searched_whatever_the_conversation_language(
    kb: KnowledgeBase, question: str, lang: str | None, expected: str
) -> None:
    assert_answered_or_offered(kb, question, expected, lang)


def test_story_around_the_question_still_finds_it(kb: KnowledgeBase) -> None:
    message = (
        "Good evening. My husband and I left Minsk in 2021 after the protests, our two "
        "children are with us and our solicitor mentioned an expert. How much does it cost?"
    )
    match = kb.match(message)
    assert match is not None and match.topic_id == "cost"


@pytest.mark.parametrize(
    ("question", "acceptable"),
    [
        ("why would a lawyer want an expert report in my claim", {"what_is_report", "law_firms"}),
        ("do i have to sign anything after the zoom", {"commitment", "consultation"}),
        ("есть ли переводчик на консультации", {"languages", "consultation"}),
        ("can I get a translator for the meeting?", {"languages", "consultation"}),
        ("what's in a country expert report", {"what_is_report", "countries"}),
        ("who else sees what I write here", {"confidentiality"}),
    ],
)
def test_mixed_question_is_answered_by_one_of_its_topics_or_not_at_all(
    kb: KnowledgeBase, question: str, acceptable: set[str]
) -> None:
    match = kb.match(question)
    assert match is None or match.topic_id in acceptable
    offered = {m.topic_id for m in kb.suggestions(question)}
    if match is not None:
        offered.add(match.topic_id)
    assert offered & acceptable


def test_is_it_free_is_about_the_free_consultation(kb: KnowledgeBase) -> None:
    # Issue 11: "is it free?" answers about the free consultation (the cost answer says
    # the consultation is free), or offers it; never another topic.
    result = kb.answer("is it free?")
    if result.confident:
        assert result.topic_id in {"consultation", "cost"}
    else:
        assert {"cost", "consultation"} <= {m.topic_id for m in result.suggestions}


def test_a_bare_question_word_is_offered_not_answered(kb: KnowledgeBase) -> None:
    result = kb.answer("when?")
    assert not result.confident and result.suggestions[0].topic_id == "response_time"


def test_suggestions_are_ranked_below_threshold_and_exclude_the_answer(
    kb: KnowledgeBase,
) -> None:
    question = "what is the price of a sample report"
    match = kb.match(question)
    near = kb.suggestions(question, limit=2)
    assert len(near) <= 2
    assert all(isinstance(m, Match) for m in near)
    assert [m.score for m in near] == sorted((m.score for m in near), reverse=True)
    if match is not None:
        assert match.topic_id not in {m.topic_id for m in near}
        assert all(m.score <= match.score for m in near)


def test_suggestions_for_nonsense_are_empty(kb: KnowledgeBase) -> None:
    assert kb.suggestions("asdfgh qwerty") == []
    assert kb.suggestions("") == []


def test_load_is_cached_per_directory() -> None:
    assert KnowledgeBase.load() is KnowledgeBase.load(DEFAULT_DIRECTORY)


def test_topics_exist_in_every_language_with_short_titles(kb: KnowledgeBase) -> None:
    assert {"en", "ru"} <= set(kb.languages)
    assert kb.languages[0] == "en"
    assert set(kb.topic_ids()) >= REQUIRED_TOPICS
    for lang in kb.languages:
        for topic_id in kb.topic_ids():
            topic = kb.topic(topic_id, lang)
            assert isinstance(topic, Topic) and topic.id == topic_id
            assert 0 < len(topic.title) <= MAX_TITLE_LENGTH
            assert topic.answer and "{" not in topic.answer
            assert set(topic.related) <= set(kb.topic_ids())


def test_russian_answers_are_in_russian(kb: KnowledgeBase) -> None:
    for topic_id in kb.topic_ids():
        answer = kb.topic(topic_id, "ru").answer
        assert re.search("[а-я]", answer), topic_id
        assert answer != kb.topic(topic_id, "en").answer


def test_missing_language_falls_back_to_english(kb: KnowledgeBase) -> None:
    assert kb.topic("cost", "xx") == kb.topic("cost", "en")
    with pytest.raises(KeyError):
        kb.topic("no_such_topic", "en")


def test_answers_say_what_the_site_says(kb: KnowledgeBase) -> None:
    en = {topic_id: kb.topic(topic_id, "en").answer for topic_id in kb.topic_ids()}
    assert "info@thehuman-rights.com" in en["response_time"]
    assert "one hour" in en["response_time"]
    assert "Zoom" in en["consultation"] and "contract" in en["consultation"]
    assert "relocation" in en["consultation"]
    assert "not commit you to anything" in en["commitment"]
    assert "encrypted" in en["confidentiality"] and "delete" in en["confidentiality"]
    assert "English" in en["languages"] and "Russian" in en["languages"]
    assert "after the free consultation" in en["cost"]
    assert not re.search(r"\d|[$€£]", en["cost"] + kb.topic("cost", "ru").answer)
    for country in ("Eritrea", "Afghanistan", "Syria", "Kosovo", "Russia", "Haiti", "Myanmar"):
        assert country in en["countries"]
    for country in ("Эритрея", "Афганистан", "Сирия", "Косово", "Россия", "Гаити", "Мьянма"):
        assert country in kb.topic("countries", "ru").answer


# -- validation -------------------------------------------------------------------------


def _copy_knowledge(tmp_path: Path) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    return directory


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_new_language_is_just_a_file(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    data = json.loads((directory / "en.json").read_text(encoding="utf-8"))
    data["language"] = "de"
    data["stemmer"] = "german"
    data["stopwords"] = ["ich", "ist", "es", "der", "die", "das", "was", "kostet", "wie"]
    data["topics"]["cost"]["keywords"] = ["Preis", "Kosten", "teuer"]
    data["topics"]["cost"]["answer"] = "Der Preis wird nach der kostenlosen Beratung berechnet."
    (directory / "de.json").write_text(json.dumps(data), encoding="utf-8")
    kb = KnowledgeBase.load(directory)
    assert kb.languages[0] == "en" and {"de", "ru"} <= set(kb.languages)
    match = kb.match("Was kostet das, ist es teuer?", "de")
    assert match is not None and match.topic_id == "cost"
    assert kb.topic(match.topic_id, "de").answer.startswith("Der Preis")


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("ru.json", lambda d: d["topics"].pop("cost"), "missing topics ['cost']"),
        ("ru.json", lambda d: d["topics"].update(extra=d["topics"]["cost"]), "not in en.json"),
        ("en.json", lambda d: d["topics"]["cost"].update(related=["nope"]), "'nope'"),
        ("en.json", lambda d: d["topics"]["cost"].update(title="x" * 30), "at most 24"),
        ("ru.json", lambda d: d["topics"]["cost"].update(answer=""), '"answer"'),
        ("ru.json", lambda d: d["topics"]["cost"].update(keywords=[]), "must not be empty"),
        ("en.json", lambda d: d.update(stemmer="klingon"), "not a Snowball algorithm"),
        ("ru.json", lambda d: d.update(language="en"), '"language" must be "ru"'),
        ("en.json", lambda d: d["topics"]["cost"].update(related=["cost"]), "related to itself"),
    ],
)
def test_invalid_knowledge_is_refused_with_a_clear_error(
    tmp_path: Path, file: str, change, message: str
) -> None:
    directory = _copy_knowledge(tmp_path)
    _edit(directory / file, change)
    with pytest.raises(KnowledgeError) as error:
        KnowledgeBase.load(directory)
    assert message in str(error.value)
    assert file in str(error.value)


def test_broken_json_and_missing_english_are_refused(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    (directory / "ru.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"ru\.json: cannot read JSON"):
        KnowledgeBase.load(directory)
    for path in directory.glob("*.json"):
        path.unlink()
    with pytest.raises(KnowledgeError, match="holds no knowledge files"):
        KnowledgeBase.load(directory)
    shutil.copy(DEFAULT_DIRECTORY / "ru.json", directory / "ru.json")
    with pytest.raises(KnowledgeError, match=r"no en\.json"):
        KnowledgeBase.load(directory)


# -- command line -----------------------------------------------------------------------


def test_cli_prints_topic_score_and_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "how much does a report cost?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("topic: cost\nscore: ")
    assert "after the free consultation" in out


def test_cli_answers_in_the_requested_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "how much does a report cost?", "--lang", "ru"]) == 0
    assert "после бесплатной консультации" in capsys.readouterr().out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "Как с вами связаться?", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["topic_id"] == "response_time"
    assert 0 < result["score"] <= 1
    assert "info@thehuman-rights.com" in result["answer"]
    assert isinstance(result["suggestions"], list)


def test_cli_says_none_when_nothing_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "what's the weather in Paris", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["topic_id"] is None and result["answer"] is None
    assert main(["faq", "ask", "when?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("topic: none\n")
    assert "did you mean: " in out

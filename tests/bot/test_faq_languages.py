"""FAQ in Ukrainian, Arabic, Farsi, Spanish and French: paraphrases find their topic, small
talk and nonsense find none, and every answer keeps the English facts."""

from __future__ import annotations

import json
import re

import pytest
import snowballstemmer

from bot.faq import KnowledgeBase
from bot.faq.knowledge import DEFAULT_DIRECTORY
from bot.faq.matcher import LanguageTerms, Matcher
from bot.faq.text import fold, words
from tests.bot.faq_support import assert_answered_or_offered, loaded_knowledge, offered

NEW_LANGUAGES = ("uk", "ar", "fa", "es", "fr")

ALL_TOPICS = {
    "what_is_report", "how_to_order", "sample_report", "expert_cv", "countries",
    "consultation", "commitment", "response_time", "law_firms", "confidentiality",
    "languages", "cost",
}

# Phrasings written for these tests, none copied from the knowledge files (checked below).
PARAPHRASES: dict[str, list[tuple[str, str]]] = {
    "uk": [
        ("what_is_report", "Що таке експертний висновок і навіщо він?"),
        ("what_is_report", "для чого потрібен звіт експерта?"),
        ("how_to_order", "Як у вас замовляють висновки?"),
        ("how_to_order", "куди подати заявку на експертизу"),
        ("how_to_order", "який порядок оформлення замовлення"),
        ("sample_report", "Дайте подивитися зразок"),
        ("sample_report", "чи є у вас приклади висновків"),
        ("expert_cv", "Хто у вас експерти?"),
        ("expert_cv", "Яка освіта у фахівця?"),
        ("expert_cv", "з якою кваліфікацією експерти?"),
        ("countries", "Ви працюєте по Білорусі?"),
        ("countries", "Я громадянка Таджикистану"),
        ("countries", "Чи є у вас фахівці по Сирії?"),
        ("countries", "які країни ви покриваєте"),
        ("countries", "я з Вʼєтнаму"),
        ("consultation", "Хочу записатися на безкоштовну консультацію"),
        ("consultation", "як проходить зустріч у зумі?"),
        ("consultation", "можна призначити відеодзвінок?"),
        ("consultation", "що з консультаціями?"),
        ("commitment", "Чи зобов'язує мене до чогось консультація?"),
        ("commitment", "які в мене будуть зобов'язання?"),
        ("commitment", "Я мушу щось підписувати?"),
        ("response_time", "Як швидко ви відповідаєте на листи?"),
        ("response_time", "Через скільки годин буде відповідь?"),
        ("response_time", "яка у вас адреса пошти"),
        ("response_time", "як з вами звязатися?"),
        ("law_firms", "Я адвокат, ви співпрацюєте з юристами?"),
        ("law_firms", "Ми юридична фірма, потрібен звіт для клієнта"),
        ("confidentiality", "Ви передаєте мої дані третім особам?"),
        ("confidentiality", "як видалити інформацію про мене"),
        ("confidentiality", "Дані зберігаються конфіденційно?"),
        ("confidentiality", "хто ще побачить те, що я тут пишу?"),
        ("languages", "Можна писати українською?"),
        ("languages", "з перекладачем можна?"),
        ("cost", "Скільки коштуватиме звіт експерта?"),
        ("cost", "яка вартість експертизи"),
        ("cost", "скільки грошей треба заплатити"),
        ("cost", "ціни на висновки"),
    ],
    "ar": [
        ("what_is_report", "ما فائدة تقرير الخبير لقضيتي؟"),
        ("what_is_report", "ماذا يوجد داخل التقرير؟"),
        ("how_to_order", "كيف أطلب تقريرا منكم؟"),
        ("how_to_order", "ما هي خطوات طلب التقرير؟"),
        ("how_to_order", "من أين أبدأ؟"),
        ("sample_report", "أرسلوا لي عينة من تقاريركم"),
        ("sample_report", "هل عندكم أمثلة على التقارير؟"),
        ("expert_cv", "من سيكتب تقريري؟"),
        ("expert_cv", "ما هي مؤهلات الخبير؟"),
        ("countries", "هل تغطون السودان؟"),
        ("countries", "أنا سوري، هل عندكم خبراء لبلدي؟"),
        ("countries", "هل لديكم مختص في اليمن؟"),
        ("countries", "ما هي البلدان التي تعملون عليها؟"),
        ("countries", "انا من افغانستان"),
        ("consultation", "أريد حجز الاستشارة المجانية"),
        ("consultation", "كيف يكون الاجتماع على زوم؟"),
        ("consultation", "هل يمكن أن نعمل مكالمة فيديو؟"),
        ("consultation", "بدي احجز موعد على الزوم"),
        ("commitment", "هل هناك التزام بعد الاستشارة؟"),
        ("commitment", "هل أنا ملزم بشيء؟"),
        ("commitment", "هل سأضطر إلى توقيع أي شيء؟"),
        ("response_time", "متى تردون على الرسائل الإلكترونية؟"),
        ("response_time", "ما هو الإيميل الخاص بكم؟"),
        ("response_time", "خلال كم ساعة يصل الرد؟"),
        ("response_time", "كيف اتصل بكم"),
        ("law_firms", "أنا محامية وأمثل طالب لجوء"),
        ("law_firms", "هل تتعاونون مع مكاتب المحاماة؟"),
        ("law_firms", "أنا محامي ولدي موكل سوري"),
        ("confidentiality", "هل تشاركون بياناتي مع جهات أخرى؟"),
        ("confidentiality", "كيف أمسح معلوماتي؟"),
        ("confidentiality", "هل بياناتي محفوظة بسرية؟"),
        ("confidentiality", "هل تستطيع الشرطة أن ترى هذه المحادثة؟"),
        ("languages", "هل أستطيع الكتابة بالعربية؟"),
        ("languages", "هل تتكلمون الفارسية؟"),
        ("cost", "كم سعر تقرير الخبير؟"),
        ("cost", "كم المبلغ الذي سأدفعه؟"),
        ("cost", "هل التقرير غالي الثمن؟"),
        ("cost", "قديش بيكلف التقرير؟"),
        ("cost", "التقرير بكام؟"),
    ],
    "fa": [
        ("what_is_report", "گزارش کارشناسی به چه دردی می‌خورد؟"),
        ("what_is_report", "داخل گزارش چه نوشته می‌شود؟"),
        ("how_to_order", "برای سفارش گزارش چه کار کنم؟"),
        ("how_to_order", "چطور درخواست گزارش بدهم؟"),
        ("how_to_order", "از کجا شروع کنم؟"),
        ("sample_report", "یک نمونه از گزارش‌هایتان برایم بفرستید"),
        ("sample_report", "میخواهم یک گزارش نمونه ببینم"),
        ("expert_cv", "چه کسی گزارش مرا می‌نویسد؟"),
        ("expert_cv", "کارشناس شما چه سابقه‌ای دارد؟"),
        ("countries", "برای افغانستان هم کارشناس دارید؟"),
        ("countries", "من اهل ایران هستم"),
        ("countries", "در مورد تاجیکستان گزارش می‌نویسید؟"),
        ("countries", "چه کشورهایی را پوشش می‌دهید؟"),
        ("consultation", "می‌خواهم مشاوره رایگان رزرو کنم"),
        ("consultation", "جلسه زوم چطور برگزار می‌شود؟"),
        ("consultation", "میتوانیم تماس ویدیویی داشته باشیم؟"),
        ("commitment", "بعد از مشاوره تعهدی دارم؟"),
        ("commitment", "آیا مجبورم چیزی امضا کنم؟"),
        ("commitment", "مشاوره الزامی برای من ایجاد می‌کند؟"),
        ("response_time", "چقدر طول می‌کشد تا جواب بدهید؟"),
        ("response_time", "ایمیل شما چیست؟"),
        ("response_time", "کی جواب ایمیلم را می‌دهید؟"),
        ("law_firms", "من وکیل هستم و موکلم پناهجو است"),
        ("law_firms", "با وکلای مهاجرت همکاری می‌کنید؟"),
        ("confidentiality", "اطلاعات من محرمانه می‌ماند؟"),
        ("confidentiality", "چطور داده‌هایم را حذف کنم؟"),
        ("confidentiality", "آیا پلیس می‌تواند این پیام‌ها را ببیند؟"),
        ("confidentiality", "اطلاعاتم را به کسی می‌دهید؟"),
        ("languages", "می‌توانم فارسی بنویسم؟"),
        ("languages", "مترجم دارید؟"),
        ("cost", "هزینه گزارش کارشناسی چقدر است؟"),
        ("cost", "قیمت گزارش چنده؟"),
        ("cost", "چقدر پول باید بدهم؟"),
        ("cost", "گزارش شما گران است؟"),
    ],
    "es": [
        ("what_is_report", "¿Para qué sirve un informe pericial?"),
        ("what_is_report", "¿Qué incluye el dictamen?"),
        ("how_to_order", "¿Cómo hago el pedido del informe?"),
        ("how_to_order", "Quiero solicitar un peritaje, ¿por dónde empiezo?"),
        ("how_to_order", "¿cuál es el proceso para encargarlo?"),
        ("sample_report", "¿Me mandan un ejemplo de sus informes?"),
        ("sample_report", "Me gustaría ver una muestra antes"),
        ("expert_cv", "¿Quién va a redactar mi informe?"),
        ("expert_cv", "¿Qué formación tiene el perito?"),
        ("countries", "¿Trabajan con Venezuela?"),
        ("countries", "Soy de Honduras, ¿cubren mi país?"),
        ("countries", "¿tienen peritos para Afganistán?"),
        ("countries", "¿en qué países tienen expertos?"),
        ("consultation", "Quiero reservar la consulta gratuita"),
        ("consultation", "¿cómo es la reunión por zoom?"),
        ("consultation", "¿podemos hacer una videollamada?"),
        ("commitment", "¿Tengo alguna obligación después de la consulta?"),
        ("commitment", "¿la consulta es sin compromiso?"),
        ("commitment", "¿Quedo obligada a algo?"),
        ("commitment", "¿tiene letra pequeña?"),
        ("response_time", "¿En cuánto tiempo me contestan?"),
        ("response_time", "¿A qué correo les escribo?"),
        ("response_time", "¿Cuándo recibiré respuesta?"),
        ("law_firms", "Soy abogada y llevo un caso de asilo"),
        ("law_firms", "¿Colaboran con bufetes de extranjería?"),
        ("confidentiality", "¿Mis datos están protegidos?"),
        ("confidentiality", "¿Alguien más puede leer lo que escribo aquí?"),
        ("confidentiality", "Quiero que borren mis datos"),
        ("confidentiality", "¿la policía puede enterarse de esta conversación?"),
        ("languages", "¿Puedo escribirles en español?"),
        ("languages", "¿Tienen traductor?"),
        ("cost", "¿Cuánto me costaría el informe?"),
        ("cost", "¿qué precio tiene un peritaje?"),
        ("cost", "cuanto hay que pagar"),
        ("cost", "¿Es muy caro el informe?"),
    ],
    "fr": [
        ("what_is_report", "À quoi sert un rapport d'expert ?"),
        ("what_is_report", "Qu'y a-t-il dans une expertise ?"),
        ("how_to_order", "Comment passer une commande de rapport ?"),
        ("how_to_order", "Je veux demander une expertise, par où commencer ?"),
        ("how_to_order", "quelle est la démarche pour l'obtenir"),
        ("sample_report", "Avez-vous des échantillons de vos rapports ?"),
        ("sample_report", "J'aimerais voir un exemple avant"),
        ("expert_cv", "Qui va rédiger mon rapport ?"),
        ("expert_cv", "Quelle formation a l'expert ?"),
        ("countries", "Vous travaillez sur le Soudan ?"),
        ("countries", "je suis originaire d'Haïti"),
        ("countries", "Avez-vous un expert pour l'Afghanistan ?"),
        ("countries", "quels pays vos experts connaissent-ils"),
        ("consultation", "Je voudrais réserver la consultation gratuite"),
        ("consultation", "comment se déroule le rendez-vous sur zoom ?"),
        ("consultation", "on peut faire un appel vidéo ?"),
        ("commitment", "Suis-je engagé à quoi que ce soit après la consultation ?"),
        ("commitment", "Je suis obligée de signer quelque chose ?"),
        ("response_time", "Vous répondez en combien de temps ?"),
        ("response_time", "À quelle adresse mail je vous écris ?"),
        ("response_time", "quand aurai-je de vos nouvelles ?"),
        ("law_firms", "Je suis avocate et je défends un demandeur d'asile"),
        ("law_firms", "Collaborez-vous avec des cabinets en droit des étrangers ?"),
        ("confidentiality", "Mes données sont-elles protégées ?"),
        ("confidentiality", "Qui d'autre peut lire ce que j'écris ici ?"),
        ("confidentiality", "Je veux effacer mes informations"),
        ("confidentiality", "la police peut-elle voir cette conversation ?"),
        ("languages", "Je peux vous écrire en français ?"),
        ("languages", "Avez-vous un traducteur ?"),
        ("cost", "Combien ça va me coûter ?"),
        ("cost", "quel est le tarif d'une expertise"),
        ("cost", "c'est payant ?"),
        ("cost", "Combien dois-je payer pour le rapport ?"),
    ],
}

# For each language: the weather, a recipe, keyboard mash, a greeting, a bare "how much?",
# and asylum troubles that no FAQ topic answers.
NEGATIVES: dict[str, list[str]] = {
    "uk": [
        "Яка завтра погода у Києві?", "рецепт українського борщу", "фівапр олдж", "Добрий день",
        "скільки?", "Мені відмовили в притулку, що робити?", "мене затримали на кордоні",
    ],
    "ar": [
        "كيف الطقس اليوم في دمشق؟", "وصفة الكبسة بالدجاج", "ششش سيبلا", "السلام عليكم",
        "كم؟", "رفضوا طلب لجوئي", "تم احتجازي على الحدود",
    ],
    "fa": [
        "هوای تهران امروز چطور است؟", "دستور پخت قورمه سبزی", "سیبسی لبلب", "سلام علیکم",
        "چقدر؟", "درخواست پناهندگی من رد شد", "در مرز بازداشت شدم",
    ],
    "es": [
        "¿Qué tiempo hace hoy en Madrid?", "receta de paella valenciana", "asdfg qwerty zxcv",
        "Buenos días", "¿cuánto?", "me negaron el asilo, ¿qué hago?",
        "me detuvieron en la frontera",
    ],
    "fr": [
        "Quel temps fait-il à Paris ?", "recette de la tarte tatin", "azerty uiop qsdf",
        "Bonjour, merci", "combien ?", "ma demande d'asile a été rejetée",
        "j'ai été arrêté à la frontière",
    ],
}

GIBBERISH = {"uk": "фівапр олдж", "ar": "ششش سيبلا", "fa": "سیبسی لبلب",
             "es": "asdfg qwerty zxcv", "fr": "azerty uiop qsdf"}

# "Is it free?": answered about the free consultation (or the cost, which says it is free).
IS_IT_FREE = {"uk": "це безкоштовно?", "ar": "هل هو مجاني؟", "fa": "رایگان است؟",
              "es": "¿es gratis?", "fr": "c'est gratuit ?"}

# Questions that mix two topics, or whose word belongs to another language's topic too:
# answered by an acceptable topic or not at all, and the intended one is offered.
MIXED = [
    ("¿Estoy obligada a algo si hablo con ustedes?", {"commitment", "consultation"}),
    # French "engagement" shares its stem with English "engage" (to hire, how_to_order).
    ("est-ce sans engagement ?", {"commitment"}),
    ("поділіться зразками", {"sample_report"}),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return loaded_knowledge()


def _knowledge(lang: str) -> dict:
    return json.loads((DEFAULT_DIRECTORY / f"{lang}.json").read_text(encoding="utf-8"))


def _cases(table: dict[str, list]) -> list:
    return [
        pytest.param(lang, *case if isinstance(case, tuple) else (case,), id=f"{lang}-{n}")
        for lang, cases in table.items()
        for n, case in enumerate(cases)
    ]


@pytest.mark.parametrize(("lang", "expected", "question"), _cases(PARAPHRASES))
def test_paraphrase_matches_its_topic_and_answers_in_its_language(
    kb: KnowledgeBase, lang: str, expected: str, question: str
) -> None:
    assert_answered_or_offered(kb, question, expected, lang)
    assert kb.topic(expected, lang).answer == _knowledge(lang)["topics"][expected]["answer"]


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_paraphrases_cover_every_topic(lang: str) -> None:
    assert {topic for topic, _ in PARAPHRASES[lang]} == ALL_TOPICS


def test_paraphrases_are_not_copied_from_the_knowledge_files() -> None:
    known = set()
    for path in DEFAULT_DIRECTORY.glob("*.json"):
        for topic in json.loads(path.read_text(encoding="utf-8"))["topics"].values():
            known.update(tuple(words(text)) for text in (*topic["keywords"], *topic["examples"]))
    copied = [q for cases in PARAPHRASES.values() for _, q in cases if tuple(words(q)) in known]
    assert copied == []


@pytest.mark.parametrize(("lang", "question"), _cases(NEGATIVES))
def test_unrelated_text_matches_nothing(kb: KnowledgeBase, lang: str, question: str) -> None:
    assert kb.match(question, lang) is None


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_gibberish_gets_no_answer(kb: KnowledgeBase, lang: str) -> None:
    assert kb.match(GIBBERISH[lang], lang) is None
    assert kb.answer(GIBBERISH[lang], lang, lexical_only=True).suggestions == ()


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_is_it_free_is_about_the_consultation(kb: KnowledgeBase, lang: str) -> None:
    result = kb.answer(IS_IT_FREE[lang], lang)
    if result.confident:
        assert result.topic_id in {"consultation", "cost"}
    else:
        assert {"consultation", "cost"} & {m.topic_id for m in result.suggestions}


@pytest.mark.parametrize(("question", "acceptable"), MIXED)
def test_mixed_question_is_answered_by_one_of_its_topics_or_offered(
    kb: KnowledgeBase, question: str, acceptable: set[str]
) -> None:
    match = kb.match(question)
    offered = {m.topic_id for m in kb.suggestions(question)}
    assert match is None or match.topic_id in acceptable
    assert acceptable & (offered | ({match.topic_id} if match else set()))


def test_a_spanish_question_gets_the_spanish_answer(kb: KnowledgeBase) -> None:
    assert offered(kb, "¿Cuánto me va a costar todo esto?", "es")[0] == "cost"
    answer = kb.topic("cost", "es").answer
    assert answer == _knowledge("es")["topics"]["cost"]["answer"]
    assert answer != kb.topic("cost", "en").answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Persian typed on an Arabic keyboard: ي and ك for ی and ک.
        ("هزينه گزارش چقدر است؟", "cost"),
        ("كشور من را پوشش مي دهيد؟", "countries"),
        ("مترجم داريد؟", "languages"),
        # Arabic written with alif variants and without hamza.
        ("اريد حجز استشارة مجانية", "consultation"),
        ("كيف احذف بياناتي", "confidentiality"),
    ],
)
def test_arabic_and_persian_letter_variants_match(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    match = kb.answer(question, lexical_only=True).match  # the lexical matcher's folding
    assert match is not None and match.topic_id == expected
    assert_answered_or_offered(kb, question, expected)


def test_arabic_with_short_vowels_matches(kb: KnowledgeBase) -> None:
    match = kb.answer("كَمْ سِعْرُ التَّقْرِيرِ؟", "ar", lexical_only=True).match
    assert match is not None and match.topic_id == "cost"
    assert_answered_or_offered(kb, "كَمْ سِعْرُ التَّقْرِيرِ؟", "cost", "ar")


def test_persian_with_and_without_the_zero_width_non_joiner_matches_alike(
        kb: KnowledgeBase) -> None:
    joined = kb.answer("چقدر هزینه دارد؟ می‌خواهم بدانم", "fa")
    split = kb.answer("چقدر هزینه دارد؟ میخواهم بدانم", "fa")
    assert joined.match == split.match or (joined.topic_id, joined.confident) == (
        split.topic_id, split.confident)
    assert kb.answer("چقدر هزینه دارد؟ می‌خواهم بدانم", "fa", lexical_only=True) == \
        kb.answer("چقدر هزینه دارد؟ میخواهم بدانم", "fa", lexical_only=True)


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_each_file_uses_its_languages_snowball_stemmer_when_there_is_one(lang: str) -> None:
    algorithm = {"uk": "ukrainian", "ar": "arabic", "fa": "persian", "es": "spanish",
                 "fr": "french"}[lang]
    expected = algorithm if algorithm in snowballstemmer.algorithms() else None
    assert _knowledge(lang)["stemmer"] == expected


# Characters only the language's own script (or keyboard) has.
SCRIPT = {
    "uk": re.compile("[іїєґ]"),
    "ar": re.compile("[\u0600-\u06ff]"),
    "fa": re.compile("[پچژگ]|[یک]"),
}
FOREIGN = {"ar": re.compile("[یکپچژگ]"), "fa": re.compile("[يكة]")}

FACTS = ("info@thehuman-rights.com", "thehuman-rights.com", "Apply Now", "Zoom",
         "The Human Rights")


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_answers_keep_the_english_facts(kb: KnowledgeBase, lang: str) -> None:
    for topic_id in kb.topic_ids():
        english = kb.topic(topic_id, "en").answer
        answer = kb.topic(topic_id, lang).answer
        assert answer != english, topic_id
        for fact in FACTS:
            assert (fact in answer) == (fact in english), (topic_id, fact)
        if lang in SCRIPT:
            assert SCRIPT[lang].search(answer), topic_id
        if lang in FOREIGN:
            assert not FOREIGN[lang].search(answer + kb.topic(topic_id, lang).title), topic_id
    assert not re.search(r"\d|[$€£]", kb.topic("cost", lang).answer)


def _bullets(answer: str) -> list[int]:
    """How many countries each bullet line of the countries answer names."""
    lines = [line.split(":", 1)[1] for line in answer.splitlines() if line.startswith("•")]
    return [len(re.split(r"[,،]", line)) for line in lines]


@pytest.mark.parametrize("lang", NEW_LANGUAGES)
def test_countries_answer_names_as_many_countries_per_region_as_english(
    kb: KnowledgeBase, lang: str
) -> None:
    english = _bullets(kb.topic("countries", "en").answer)
    assert english and _bullets(kb.topic("countries", lang).answer) == english


def test_every_new_language_is_loaded_and_answers_differ_between_languages(
    kb: KnowledgeBase,
) -> None:
    assert set(NEW_LANGUAGES) <= set(kb.languages)
    for topic_id in kb.topic_ids():
        answers = [kb.topic(topic_id, lang).answer for lang in ("en", "ru", *NEW_LANGUAGES)]
        assert len(set(answers)) == len(answers), topic_id


@pytest.mark.parametrize(
    ("plain", "variant"),
    [
        ("اريد حجز استشاره", "أريد حجز استشارة"),  # hamza on the alef, teh marbuta
        ("اين اجد الاسعار", "أين أجد الأسعار"),
        ("گزارش یعنی چی", "گزارش يعني چي"),  # Persian typed with Arabic yeh
        ("کارشناس کیست", "كارشناس كيست"),  # ... and Arabic kaf
    ],
)
def test_letter_forms_score_alike_in_the_lexical_matcher(
    kb: KnowledgeBase, plain: str, variant: str
) -> None:
    assert kb.answer(plain, lexical_only=True) == kb.answer(variant, lexical_only=True)
    assert kb._matcher.scores(plain) == kb._matcher.scores(variant) != []


def test_a_stopword_of_one_language_is_kept_where_another_uses_it_in_a_keyword() -> None:
    """Arabic filler "يعني" folds to Persian "یعنی" ("means"), which a Persian keyword needs;
    the other Arabic filler stays filler."""
    arabic = LanguageTerms("arabic", frozenset({fold("يعني"), fold("في")}), frozenset(),
                           frozenset(), {"what": (("تعريف",), ()), "where": (("مكان",), ())})
    persian = LanguageTerms(None, frozenset(), frozenset(), frozenset(),
                            {"what": (("یعنی چه",), ()), "where": (("کجا",), ())})
    matcher = Matcher({"ar": arabic, "fa": persian})
    assert [m.topic_id for m in matcher.scores("یعنی")] == ["what"]
    assert matcher.scores("في") == []
    alone = Matcher({"ar": arabic})
    assert alone.scores("یعنی") == []


def test_bikam_asks_for_a_price(kb: KnowledgeBase) -> None:
    """Colloquial "بكم" ("how much", once dropped as "with you") points at the cost."""
    assert kb._matcher.scores("بكم تقرير الخبير عندكم")[0].topic_id == "cost"
    assert_answered_or_offered(kb, "بكم تقرير الخبير عندكم", "cost", "ar")


# Dialect words (Levantine, Egyptian, Gulf) written for this test, not in any bench set.
@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("لازم كمل معكم بعد المكالمة؟", "commitment"),
        ("كم المصاري", "cost"),
        ("ابي تسعيرة للتقرير", "cost"),
        ("في حدا يمثلني؟", "lawyers"),
        ("شو بيفيدني التقرير", "what_is_report"),
        ("بدي ميتنغ مع الخبير", "consultation"),
        ("عندي زبون بدو تقرير", "law_firms"),
        ("قديش بياخد وقت لتخلصوا", "report_time"),
    ],
)
def test_arabic_dialect_words_reach_the_lexical_matcher(
    kb: KnowledgeBase, question: str, topic: str
) -> None:
    """The lexical matcher alone (the fallback) puts the topic first."""
    assert kb.answer(question, "ar", lexical_only=True).topic_id == topic
    assert_answered_or_offered(kb, question, topic, "ar")

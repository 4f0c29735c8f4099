"""The intent detector in every language: requests in free words, typos, transliteration,
and the long stories and descriptions that merely mention a person or cancelling."""

from __future__ import annotations

import threading

import pytest

from bot.understanding import Detected, Intent, resources
from bot.understanding.intents import IntentDetector
from bot.understanding.resources import intent_detector

HUMAN, BOOK, MINE = Intent.HUMAN, Intent.BOOK, Intent.MY_BOOKING
CANCEL, MOVE, LANGUAGE = Intent.CANCEL_BOOKING, Intent.MOVE_BOOKING, Intent.LANGUAGE
HELLO, THANKS = Intent.GREETING, Intent.THANKS

REQUESTS = [
    # English, with the menu's own label typed and a typo
    ("en", "I want to talk to a person", HUMAN), ("en", "Talk to a person", HUMAN),
    ("en", "talk to a preson pls", HUMAN), ("en", "can I speak to someone from your team", HUMAN),
    ("en", "Book free consultation", BOOK), ("en", "I'd like to book a consultation", BOOK),
    ("en", "when is my consultation?", MINE), ("en", "cancel my booking", CANCEL),
    ("en", "change the time of my appointment", MOVE), ("en", "hello", HELLO),
    ("en", "thank you very much!", THANKS),
    # Russian, also in Latin letters
    ("ru", "хочу поговорить с человеком", HUMAN), ("ru", "Можно с живым человеком?", HUMAN),
    ("ru", "hochu pogovorit s chelovekom", HUMAN), ("ru", "mne nuzhen operator", HUMAN),
    ("ru", "записаться на консультацию", BOOK), ("ru", "моя запись", MINE),
    ("ru", "хочу отменить консультацию", CANCEL), ("ru", "перенести консультацию на другой день",
                                                   MOVE),
    ("ru", "спасибо большое", THANKS), ("ru", "добрый день", HELLO),
    # Ukrainian
    ("uk", "хочу поговорити з людиною", HUMAN), ("uk", "скасувати запис", CANCEL),
    ("uk", "перенести консультацію", MOVE), ("uk", "дякую", THANKS),
    # Arabic, dialect and Arabizi
    ("ar", "أريد التحدث مع شخص", HUMAN), ("ar", "بدي احكي مع موظف", HUMAN),
    ("ar", "bde a7ki m3 mowazaf", HUMAN), ("ar", "3ayez akalem 7ad", HUMAN),
    ("ar", "اريد الغاء موعدي", CANCEL), ("ar", "اريد تغيير الموعد", MOVE),
    ("ar", "احجز استشارة", BOOK), ("ar", "السلام عليكم", HELLO), ("ar", "شكرا جزيلا", THANKS),
    # Persian, also in Latin letters
    ("fa", "می‌خواهم با یک نفر صحبت کنم", HUMAN), ("fa", "میخوام با یه آدم حرف بزنم", HUMAN),
    ("fa", "mikham ba ye adam harf bezanam", HUMAN), ("fa", "رزرو من رو لغو کنید", CANCEL),
    ("fa", "مرسی خیلی ممنون", THANKS), ("fa", "mikham rezerv konam", BOOK),
    ("fa", "نوبتم کی است؟", MINE), ("ar", "bde a7jez maw3ed", BOOK),
    ("ar", "7abibi shukran ktir", THANKS),
    # Spanish and French
    ("es", "quiero hablar con una persona", HUMAN), ("es", "¿Puedo hablar con alguien?", HUMAN),
    ("es", "cancelar mi cita", CANCEL), ("es", "quiero cambiar la hora de mi cita", MOVE),
    ("es", "muchas gracias", THANKS), ("fr", "je veux parler à une personne", HUMAN),
    ("fr", "Je voudrais parler à quelqu'un", HUMAN), ("fr", "annuler mon rendez-vous", CANCEL),
    ("fr", "merci beaucoup", THANKS), ("fr", "bonjour", HELLO),
    # Moving to another day, in every language
    ("en", "move my appointment to another day", MOVE),
    ("uk", "перенести консультацію на інший день", MOVE),
    ("es", "cambiar mi cita a otro día", MOVE),
    ("fr", "déplacer mon rendez-vous à un autre jour", MOVE),
    ("ar", "أريد نقل موعدي إلى يوم آخر", MOVE), ("fa", "وقتم رو به روز دیگه تغییر بدید", MOVE),
]

LANGUAGE_REQUESTS = [
    ("in Russian please", "ru"), ("по-русски", "ru"), ("на русском пожалуйста", "ru"),
    ("po-russki pozhaluysta", "ru"), ("можно на английском", "en"),
    ("українською будь ласка", "uk"), ("بالعربي من فضلك", "ar"), ("تكلم بالعربي", "ar"),
    ("أريد التحدث بالعربي", "ar"),
    ("به فارسی لطفا", "fa"), ("en español por favor", "es"),
    ("en français s'il vous plaît", "fr"), ("change language", None), ("сменить язык", None),
    ("Can we speak Russian?", "ru"), ("Habla español por favor", "es"),
    ("lotfan farsi", "fa"), ("3arabi law samaht", "ar"),
]

#: Questions about the languages we speak are for the FAQ, not a switch.
LANGUAGE_QUESTIONS = ["do you speak Arabic?", "Do you speak Russian", "هل تتكلم العربية؟",
                      "Вы говорите по-русски?", "¿Hablan español?", "Parlez-vous français ?"]

NOT_REQUESTS = [
    # Long stories that mention a person, cancelling or booking
    "The person who arrested me told me to cancel my trip and I was afraid",
    "My husband was arrested, I need to cancel my travel, please help",
    "I talked to a person at the Home Office who said my appointment was cancelled and I "
    "must wait for a new decision",
    "человек который меня задержал сказал что я должен отменить поездку",
    "Мне отменили запись в миграционной службе, и человек из полиции угрожал мне",
    "اعتقلني شخص من الأمن وقال لي يجب أن ألغي سفري",
    "La personne qui m'a arrêté a dit que je devais annuler mon voyage",
    "La persona que me detuvo me dijo que cancelara mi viaje a la capital",
    # Questions for the FAQ, names and places
    "how much does it cost?", "is the consultation free?", "сколько стоит консультация?",
    "كم سعر الاستشارة؟", "combien coûte la consultation ?", "¿Cuánto cuesta la consulta?",
    "missing person report", "I want to cancel", "Anna Petrova", "I was born in Russia",
    "я из России", "я з України", "je suis né en France", "Salam Ahmed", "very much",
    "hello, how much is it?", "Здравствуйте, сколько стоит?",
    # Intake answers and everyday mentions that only look like requests
    "my appointment at the Home Office", "They cancelled my hearing",
    "My lawyer cancelled the appointment with the Home Office", "I am a person in danger",
    "Учитель английского языка", "I speak Russian and Ukrainian", "in Germany",
    "Smith & Partners LLP", "Мария Иванова", "محمد أحمد", "No deadline", "Change something",
    # What happened, not what is asked: past tenses, also where a typo-tolerant match
    # would take "отменили" for "отменить"
    "They cancelled my appointment", "поговорил с человеком из полиции", "Мне отменили запись",
    "Они перенесли мою запись", "скасували запис", "alguien canceló mi cita", "ألغوا موعدي",
    "ils ont annulé mon rendez-vous", "نوبتم لغو شد",
]


@pytest.fixture(scope="module")
def detector() -> IntentDetector:
    return IntentDetector.load()


@pytest.mark.parametrize(("lang", "text", "intent"), REQUESTS)
def test_requests_in_free_words(detector: IntentDetector, lang: str, text: str,
                                intent: Intent) -> None:
    found = detector.detect(text)
    assert found is not None and found.intent is intent, (lang, text, found)


@pytest.mark.parametrize(("text", "language"), LANGUAGE_REQUESTS)
def test_language_requests_name_the_language(detector: IntentDetector, text: str,
                                             language: str | None) -> None:
    assert detector.detect(text) == Detected(LANGUAGE, language)


@pytest.mark.parametrize("text", NOT_REQUESTS + LANGUAGE_QUESTIONS)
def test_stories_and_questions_are_not_requests(detector: IntentDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_every_language_has_every_intent() -> None:
    import json

    from bot.i18n import languages
    from bot.understanding.intents import VOCABULARY

    for lang in languages():
        vocabulary = json.loads((VOCABULARY / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(vocabulary["intents"]) == {i.value for i in Intent}, lang
        assert set(vocabulary["language_names"]) == set(languages()), lang


def test_a_story_longer_than_twelve_words_is_never_a_request(detector: IntentDetector) -> None:
    assert detector.detect("please I want to talk to a person " + "now " * 6) is None


def test_question_words_in_each_script(detector: IntentDetector) -> None:
    assert detector.is_question("how long does it take")
    assert detector.is_question("сколько это стоит")
    assert detector.is_question("كم يستغرق التقرير")
    assert not detector.is_question("Anna Petrova")


def test_the_vocabulary_is_built_once_by_sixteen_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold process: sixteen threads ask at once; one builds, the others wait for it."""
    monkeypatch.setattr(resources, "_loaded", {})
    arrived = threading.Condition()
    waiting = [0]
    real_lock = resources._lock

    class CountingLock:
        def __enter__(self) -> None:
            with arrived:
                waiting[0] += 1
                arrived.notify_all()
            real_lock.acquire()

        def __exit__(self, *exc: object) -> None:
            real_lock.release()

    built: list[int] = []

    def slow_build() -> IntentDetector:
        built.append(1)
        with arrived:  # hold the build until every thread has come for the vocabulary
            assert arrived.wait_for(lambda: waiting[0] == 16, timeout=10)
        return IntentDetector(())

    monkeypatch.setattr(resources, "_lock", CountingLock())
    monkeypatch.setattr(IntentDetector, "load", staticmethod(slow_build))
    results: list[IntentDetector] = []
    threads = [threading.Thread(target=lambda: results.append(intent_detector()))
               for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len(results) == 16 and len({id(r) for r in results}) == 1


def test_the_menus_own_labels_typed_anywhere(detector: IntentDetector) -> None:
    """"Talk to a person", typed at the name prompt, is understood in every language."""
    from bot.i18n import Translator, languages

    for lang in languages():
        t = Translator(lang)
        for key, intent in (("menu.handoff", HUMAN), ("menu.book", BOOK),
                            ("menu.mybooking", MINE)):
            found = detector.detect(t(key))
            assert found is not None and found.intent is intent, (lang, t(key))


def test_each_word_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.understanding.intents as intents

    detector = IntentDetector.load()
    searches: list[str] = []
    real = intents.process.extract
    monkeypatch.setattr(intents.process, "extract",
                        lambda word, *args, **kwargs: searches.append(word) or real(
                            word, *args, **kwargs))
    assert detector.detect("hello") == Detected(HELLO)
    first = len(searches)
    assert first > 0
    assert detector.detect("Hello!") == Detected(HELLO)  # the same word: no search again
    assert detector.detect("hello, I want to talk to a person") == Detected(HUMAN)
    assert "hello" not in searches[first:] and "person" in searches[first:]

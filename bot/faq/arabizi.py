"""Arabizi (Arabic typed in Latin letters and digits) spelt as Arabic writes it.

The rough letter rules of :mod:`bot.faq.transliteration` cannot tell a long vowel from a
short one: "estishara" became استيشره, "mumkin" مومكين, "yom" يم. Both the lexical matcher
and the model read the re-spelling, and the model knows real Arabic spellings far better
than near misses, so this module adds, for Arabic only (Persian keeps the rough rules):

- **frequent words** whose vowels the rules cannot guess, spelt whole (:data:`WORDS`): the
  topics' words (استشارة, نموذج, لغة, لجوء...) and the dialects' question and filler words
  (Levantine قديش, بدي; Egyptian ازاي, امتى; Iraqi شكد, شلون, شنو; Maghrebi شحال, كيفاش,
  شكون, ديال);
- **English and French words** mixed in ("rapport", "consultation", "avocat", "email")
  kept as typed, without the article before them: the knowledge base and the model know
  them in Latin letters, and re-spelt they would be nonsense;
- **spelling rules** for the endings and syllables whose vowels are predictable: the article
  and a preposition written apart ("el ta2rir", "3al email", "fel ma7kama") joined to the
  noun as Arabic writes them; final -o (a plural or "his") و; final -at / -ati (feminine
  plural) ات / اتي; final -iye / -iyya ية; final -kum / -kom كم; a single i or u before two
  consonants short (a long vowel rarely stands before two consonants), so not written.
"""

from __future__ import annotations

import re

#: Longest Latin spelling first: the first entry that matches at a position wins.
TABLE = (
    ("sh", "ش"), ("ch", "ش"), ("kh", "خ"), ("gh", "غ"), ("th", "ث"), ("dh", "ذ"),
    ("3'", "غ"), ("7'", "خ"), ("6'", "ظ"), ("9'", "ض"),
    ("aa", "ا"), ("ee", "ي"), ("ii", "ي"), ("oo", "و"), ("ou", "و"), ("ai", "ي"), ("ay", "ي"),
    ("aw", "و"), ("ow", "و"),
    ("3", "ع"), ("7", "ح"), ("5", "خ"), ("9", "ق"), ("6", "ط"), ("8", "غ"), ("2", "ق"),
    ("b", "ب"), ("p", "ب"), ("t", "ت"), ("j", "ج"), ("g", "ج"), ("d", "د"), ("r", "ر"),
    ("z", "ز"), ("s", "س"), ("f", "ف"), ("v", "ف"), ("q", "ق"), ("k", "ك"), ("c", "ك"),
    ("l", "ل"), ("m", "م"), ("n", "ن"), ("h", "ه"), ("w", "و"), ("y", "ي"), ("x", "كس"),
    ("i", "ي"), ("u", "و"),
)


def _words(native: str, *latin: str) -> dict[str, str]:
    return dict.fromkeys(latin, native)


#: Whole words (after the article) spelt as Arabic writes them.
WORDS: dict[str, str] = {
    # pronouns, particles, dialect question and filler words
    **_words("انا", "ana", "ane"), **_words("انت", "enta", "inta", "enti", "inti"),
    **_words("انتو", "into", "intu", "entu", "ento", "intou", "entou"),
    **_words("انتم", "antum", "intum", "entom", "antom"),
    **_words("على", "3ala", "3la", "3ela", "3le", "3al"),
    **_words("بدي", "bade", "badi", "baddi", "badde", "bidi", "biddi", "bde", "bdi"),
    **_words("قديش", "addesh", "adesh", "2addesh", "2adesh", "9adesh", "9addesh", "addeish",
             "2adeish", "2adde", "adde", "addeh", "2addeh"),
    **_words("امتى", "emta", "imta", "emte", "imte", "emtaa", "imtaa", "amta"),
    **_words("ازاي", "ezay", "ezzay", "izay", "izzay", "ezai", "ezzai"),
    **_words("ليش", "lesh", "leish", "leesh", "lech"),
    **_words("كيفاش", "kifach", "kifash", "kifech", "kifesh", "kifah"),
    **_words("شحال", "ch7al", "sh7al", "che7al", "sha7al", "chhal", "shhal"),
    **_words("بشحال", "bch7al", "bsh7al", "bech7al"),
    **_words("شكد", "shkad", "chkad", "shgad", "chgad", "shqad", "shkd", "chkd"),
    **_words("شلون", "shlon", "chlon", "shloon", "chloon", "shlun", "shloun", "chloun"),
    **_words("شنو", "shinu", "shno", "chno", "chnou", "shnu", "chnu", "shenu", "shnou",
             "shinoo", "chnoo"),
    **_words("شكون", "chkoun", "shkoun", "chkon", "shkon", "shkun", "chkun"),
    **_words("ديال", "dyal", "dial", "dyel"), **_words("ديالي", "dyali", "diali"),
    **_words("ديالو", "dyalo", "dialo", "dyalou"), **_words("ديالك", "dyalek", "dyalk"),
    **_words("ديالكم", "dyalkom", "dialkom", "dyalkoum", "dyalkum"),
    **_words("عايز", "3ayez", "3ayz", "3awez", "3awz", "3ayiz"),
    **_words("عايزة", "3ayza", "3awza", "3ayzah"),
    **_words("ده", "da", "dah"), **_words("دي", "di", "dih"), **_words("ايه", "eh", "ih", "aih"),
    **_words("عشان", "3shan", "3ashan", "3achan", "3alashan"), **_words("كده", "keda", "kida"),
    **_words("فين", "fin", "fen", "feen"), **_words("واش", "wach", "wash", "wech"),
    **_words("علاش", "3lach", "3lash", "3alach"), **_words("فوقاش", "fo9ash", "fou9ach",
                                                          "fo9ach", "fogach", "fokach"),
    **_words("وقتاش", "wa9tach", "wa9tash", "wektach"), **_words("دابا", "daba"),
    **_words("كاين", "kayn", "kayen", "kain"), **_words("بزاف", "bzaf", "bezaf", "bzzaf"),
    **_words("اكو", "aku", "ako", "akoo"), **_words("ماكو", "maku", "mako", "makoo"),
    **_words("هواية", "hwaya", "hwaaya", "hwayeh"), **_words("وياكم", "wiyakum", "wiyakom",
                                                            "wyakum", "wiyakon"),
    **_words("وياك", "wiyak", "wyak"), **_words("هسه", "hassa", "hessa", "hissa"),
    **_words("اقدر", "agdar", "akdar", "agder", "a2dar", "a9dar"),
    **_words("ابغى", "abgha", "abga"),
    **_words("بتاع", "bta3", "beta3"), **_words("بتاعتي", "bta3ti", "beta3ti"),
    **_words("بتاعي", "bta3i", "beta3i"), **_words("بكام", "bkam", "bekam", "bikam"),
    **_words("ساعة", "sa3a", "sa3ah", "sa3eh", "se3a", "sa3aa"),
    **_words("ساعات", "sa3at", "sa3aat", "se3at"), **_words("هلق", "hala2", "halla2", "hala"),
    **_words("اليوم", "lyom", "lyoum", "elyom", "alyom", "elyoum", "alyawm"),
    **_words("ممكن", "mumkin", "momken", "momkin", "mumken", "mumkn", "momkn", "mmkn"),
    # the topics' words
    **_words("استشارة", "estishara", "istishara", "estshara", "estchara", "istichara",
             "estichara", "estishare", "istishare", "esti4ara", "estisharah", "isti4ara"),
    **_words("مجاني", "majani", "majjani", "mjani", "majany"),
    **_words("مجانية", "majaniye", "majaniya", "majaniyya", "majjaniye", "mjaniya",
             "majjaniya", "majaniyeh"),
    **_words("مجانا", "majanan", "majjanan"),
    **_words("ببلاش", "bbalash", "bbalach", "bilbalash", "belbalash"),
    **_words("نموذج", "namozaj", "namouzaj", "nmouzaj", "namuzaj", "namozag", "namoothaj",
             "namudhaj", "nmozaj", "namuthaj", "namouthaj", "nmoudaj", "namodaj"),
    **_words("خبراء", "khobara", "khubara", "khobaraa", "khubaraa", "5obara"),
    **_words("خبرة", "khibra", "khebra", "khbra", "5ebra", "khibrah"),
    **_words("لغة", "lugha", "logha", "lo8a", "lougha", "lu8a"),
    **_words("لغات", "lughat", "loghat", "lugat", "lo8at", "loughat"),
    **_words("يوم", "yom", "youm", "yawm", "yowm"),
    **_words("ايام", "ayam", "ayyam", "iyam", "iyyam", "ayaam"),
    **_words("لجوء", "lujoo2", "lujou2", "lojoo2", "loujou2", "lujoo", "lujuu2", "lojo2",
             "lujo2", "lujou"),
    **_words("محكمة", "ma7kama", "ma7kame", "ma7keme", "mahkama", "ma7kameh", "mahkame"),
    **_words("تكلفة", "taklfe", "taklefe", "taklifa", "taklefa", "taklufa", "taklife",
             "taklfa", "takalif"),
    **_words("جاهز", "jahez", "jahiz", "gahez", "jaahez", "jahz"),
    **_words("التزام", "iltizam", "eltizam", "eltezam", "iltezam"),
    **_words("الزام", "ilzam", "elzam", "elzaam"),
    **_words("ملزم", "mlzam", "mulzam", "molzam", "mlzm", "mulzem", "molzem", "mlazam"),
    **_words("فارسي", "farsi", "faarsi"),
    **_words("انجليزي", "ingelizi", "inglizi", "ingilizi", "engelizi", "englizi",
             "ingelize", "engliizi"),
    **_words("قبل", "2abl", "abl", "9bel", "qabl", "2abel", "9abl"),
    **_words("سرية", "sirriye", "sirriya", "sirriyya", "serriye", "siriya"),
}

#: English and French words applicants mix into Arabizi, kept as typed.
LOANWORDS = frozenset({
    "rapport", "report", "expert", "experts", "consultation", "avocat", "avocats", "lawyer",
    "dossier", "cv", "sample", "example", "exemple", "email", "mail", "e-mail", "zoom",
    "client", "cabinet", "rdv", "gratuit", "gratuite", "free", "prix", "price", "cost",
    "info", "infos", "data", "meeting", "online", "court", "case", "contrat", "contract",
    "appel", "appeal", "interview", "visa", "ok", "okay", "please", "plz", "pls", "order",
    "commande", "document", "documents", "whatsapp", "call", "asylum", "expertise",
})

#: An article or a preposition with its article written apart, joined to the next word.
_ARTICLE = re.compile(r"\b(3a|[bfwl])?(?:el|al|il|l)[ -](?=([a-z0-9'-]+))")
_JOINED = {"3a": "عال", "b": "بال", "f": "فال", "w": "وال", "l": "لل", None: "ال"}
#: Whole words the rough rules spell wrongly, by pattern: the letters left out as short
#: vowels are long in "lawyer" (mo7ami محامي, not محمي "protected", a privacy word).
_PATTERNS = (
    (re.compile(r"m[ou]?[7h]aa?m(?:i|y|ee)?y{0,2}(?:in|een|ine)"), "محامين"),
    (re.compile(r"m[ou]?[7h]aa?m(?:i|y|ee)y{0,2}(?:a|e|ah|eh)"), "محامية"),
    (re.compile(r"m[ou]?[7h]aa?m(?:i|y|ee)"), "محامي"),
    (re.compile(r"m[ou]?[7h]aa?ma[ht]?"), "محاماة"),
)
_ARTICLE_IN_WORD = re.compile(r"(?:al|el|il)(?=.{4})")
_VOWELS = frozenset("aeiou")
_CONSONANT = re.compile(r"[b-df-hj-np-tv-z23456789]")
_DOUBLED = re.compile(r"([b-df-hj-np-tv-z])\1")
_SHORT_BEFORE_DOUBLED = re.compile(r"(?<=[^aeiou])[aeiou](?=([b-df-hj-np-tv-z])\1)")
#: Predictable endings: (Latin ending after a consonant, Arabic spelling).
_ENDINGS = (
    (re.compile(r"(?<=[^aeiou])(?:i|e)y{1,2}(?:a|e|ah|eh)$"), "ية"),
    (re.compile(r"(?<=[^aeiou])aati?$|(?<=[^aeiou])ati?$"), None),  # ات / اتي
    (re.compile(r"(?<=[^aeiou])(?:kum|kom|koum)$"), "كم"),
    (re.compile(r"(?<=[^aeiou])(?:kon|kun|koun)$"), "كن"),
    (re.compile(r"(?<=[^aeiou])(?:o|ou|u)$"), "و"),
)


def join_articles(text: str) -> str:
    """The article, or a preposition with it, written apart joined to its noun in Arabic
    letters ("el ta2rir" → "الta2rir", "3al email" → "email": a loanword keeps no article)."""
    def join(found: re.Match[str]) -> str:
        if found.group(2) in LOANWORDS:
            return ""
        return _JOINED[found.group(1)]
    return _ARTICLE.sub(join, text)


def spell_word(word: str) -> str:
    """One Latin word of an Arabic question in Arabic letters (a number, a loanword as
    typed)."""
    if word.isdigit() or word in LOANWORDS:
        return word
    article = _ARTICLE_IN_WORD.match(word)
    for head, rest in (("", word), ("ال", word[article.end():] if article else None)):
        if rest is None:
            continue
        if rest in WORDS:
            return head + WORDS[rest]
        for pattern, native in _PATTERNS:
            if pattern.fullmatch(rest):
                return head + native
    return _by_rules(word)


def _by_rules(word: str) -> str:
    """A word by the letter table: a doubled consonant is one letter and the single vowel
    before it short, an opening vowel an alef, a final "2" a hamza, the endings of
    :data:`_ENDINGS`, other single a, e, o not written, a single i or u before two
    consonants not written either."""
    word = _DOUBLED.sub(r"\1", _SHORT_BEFORE_DOUBLED.sub("", word))
    tail = ""
    for pattern, native in _ENDINGS:
        found = pattern.search(word)
        if found and found.start() >= 2:
            ending = found.group()
            tail = native if native is not None else ("اتي" if ending.endswith("i") else "ات")
            word = word[:found.start()]
            break
    else:
        if word[-1] == "2":
            word, tail = word[:-1], "ء"
        elif len(word) > 3 and word[-1] in "ae" and word[-2] not in _VOWELS:
            word, tail = word[:-1], "ه"
    head = ""
    if word[0] in _VOWELS:
        head = "ا"
        if word[:2] not in ("aa", "ee", "ii", "oo", "ou"):
            word = word[1:]
            if word[:1] in _VOWELS:
                word = word[1:]
    return head + _spell(word) + tail


def _spell(word: str) -> str:
    tokens: list[tuple[str, str]] = []
    index = 0
    while index < len(word):
        for latin, native in TABLE:
            if word.startswith(latin, index):
                tokens.append((latin, native))
                index += len(latin)
                break
        else:
            tokens.append((word[index], word[index]))
            index += 1
    out = []
    for position, (latin, native) in enumerate(tokens):
        if latin in ("a", "e", "o"):
            continue
        if latin in ("i", "u") and _consonants(tokens[position + 1:position + 3]) == 2:
            continue
        out.append(native)
    return "".join(out)


def _consonants(tokens: list[tuple[str, str]]) -> int:
    return sum(1 for latin, _ in tokens if _CONSONANT.match(latin[0]) and latin[0] not in "wy")

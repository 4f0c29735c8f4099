"""Tests for bot.validation: countries, regions, deadlines, emails, phones and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.validation import (
    REGIONS,
    Country,
    countries,
    covered_region,
    language_for_country,
    normalise_email,
    parse_deadline,
    phone_hints,
    region_name,
    resolve_country,
    resolve_timezone,
    suggest_timezone,
    zone_label,
)
from bot.validation.countries import BOT_LANGUAGES, known_codes
from bot.validation.phones import phone_language
from bot.validation.timezones import canonical_zone, country_zones

# --------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("text", "lang", "code"),
    [
        ("Russia", "en", "RU"),
        ("Russian Federation", "en", "RU"),
        ("UK", "en", "GB"),
        ("Great Britain", "en", "GB"),
        ("England", "en", "GB"),
        ("USA", "en", "US"),
        ("America", "en", "US"),
        ("Holland", "en", "NL"),
        ("انگلستان", "fa", "GB"),
        ("آمریکا", "fa", "US"),
        ("بريطانيا", "ar", "GB"),
        ("Ivory Coast", "en", "CI"),
        ("Côte d'Ivoire", "en", "CI"),
        ("Burma", "en", "MM"),
        ("Czechia", "en", "CZ"),
        ("the Netherlands", "en", "NL"),
        ("Bosnia & Herzegovina", "en", "BA"),
        ("Bosnia and Herzegovina", "en", "BA"),
        ("Kosovo", "en", "XK"),
        ("Palestine", "en", "PS"),
        ("Türkiye", "en", "TR"),
        ("Turkey", "en", "TR"),
        ("South Sudan", "en", "SS"),
        ("Sudan", "en", "SD"),
        ("Niger", "en", "NE"),
        ("Nigeria", "en", "NG"),
        ("Dominica", "en", "DM"),
        ("Dominican Republic", "en", "DO"),
        ("RUSSIA", "en", "RU"),
        ("  russia. ", "en", "RU"),
        ("I am from Russia", "en", "RU"),
        ("I'm from Iran", "en", "IR"),
        ("RU", "en", "RU"),
        ("RU.", "en", "RU"),
        ("U.S.", "en", "US"),
        ("U.K.", "en", "GB"),
        ("ua", "en", "UA"),
        ("GBR", "en", "GB"),
        ("XK", "en", "XK"),
        ("🇷🇺", "en", "RU"),
        ("Rusia", "en", "RU"),
        ("Afganistan", "en", "AF"),
        ("Eritria", "en", "ER"),
        ("Phillipines", "en", "PH"),
        ("Azerbajan", "en", "AZ"),
        ("Tadjikistan", "en", "TJ"),
        ("Россия", "ru", "RU"),
        ("России", "ru", "RU"),
        ("в России", "ru", "RU"),
        ("РФ", "ru", "RU"),
        ("Беларусь", "ru", "BY"),
        ("Беларуси", "ru", "BY"),
        ("Белоруссия", "ru", "BY"),
        ("Украина", "ru", "UA"),
        ("я из Украины", "ru", "UA"),
        ("Грузия", "ru", "GE"),
        ("Грузии", "ru", "GE"),
        ("США", "ru", "US"),
        ("из Соединённых Штатов", "ru", "US"),
        ("Великобритания", "ru", "GB"),
        ("Англия", "ru", "GB"),
        ("Казахстн", "ru", "KZ"),
        ("Казахстана", "ru", "KZ"),
        ("Киргизия", "ru", "KG"),
        ("Кыргызстан", "ru", "KG"),
        ("Молдавия", "ru", "MD"),
        ("Нигер", "ru", "NE"),
        ("Нигерии", "ru", "NG"),
        ("Эритреи", "ru", "ER"),
        ("Афганистана", "ru", "AF"),
        ("Південна Корея", "uk", "KR"),
        ("з України", "uk", "UA"),
        ("Росія", "uk", "RU"),
        # English names are understood whatever the conversation language, and vice versa.
        ("Georgia", "ru", "GE"),
        ("Россия", "en", "RU"),
        ("Rusia", "es", "RU"),
        ("Russie", "fr", "RU"),
        ("روسيا", "ar", "RU"),
        ("Russia", "xx", "RU"),
    ],
)
def test_resolve_country_confident(text: str, lang: str, code: str) -> None:
    guess = resolve_country(text, lang)
    assert guess.country == Country(code)
    assert guess.suggestions == ()


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Congo", "en", {"CD", "CG"}),
        ("Korea", "en", {"KR", "KP"}),
        ("Корея", "ru", {"KR", "KP"}),
        ("Конго", "ru", {"CD", "CG"}),
        ("Russia or Ukraine", "en", {"RU", "UA"}),
        ("Nigerai", "en", {"NG", "NE"}),
        ("Austrlia", "en", {"AU", "AT"}),
        ("Iram", "en", {"IR", "IQ"}),
        ("New Guinea", "en", {"GN"}),
        ("tell us about russia", "en", {"RU"}),
        ("NO", "en", {"NO"}),
        ("Расия", "ru", {"RU"}),
    ],
)
def test_resolve_country_ambiguous_gives_suggestions(
    text: str, lang: str, expected: set[str]
) -> None:
    guess = resolve_country(text, lang)
    assert guess.country is None
    assert expected <= {c.code for c in guess.suggestions}
    assert 1 <= len(guess.suggestions) <= 3


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("", "en"), ("   ", "en"), ("hello", "en"), ("asdfgh", "en"), ("qwerty", "en"),
        ("banana", "en"), ("12345", "en"), ("no", "en"), ("yes", "en"), ("London", "en"),
        ("Moscow", "en"), ("Europe", "en"), ("привет", "ru"), ("да", "ru"), ("нет", "ru"),
        ("абракадабра", "ru"), ("Москва", "ru"), ("?!", "ru"),
    ],
)
def test_resolve_country_garbage(text: str, lang: str) -> None:
    assert resolve_country(text, lang).country is None
    assert resolve_country(text, lang).suggestions == ()


@pytest.mark.parametrize("lang", BOT_LANGUAGES)
def test_every_country_name_resolves_to_itself_or_asks(lang: str) -> None:
    for code in sorted(known_codes()):
        name = Country(code).name(lang)
        guess = resolve_country(name, lang)
        if guess.country is None:
            assert Country(code) in guess.suggestions, (code, name)
        else:
            assert guess.country.code == code, (code, name)


def test_the_country_index_shares_one_set_per_distinct_set_of_codes() -> None:
    """Its ~7,200 names point at ~250 distinct sets of codes: one object each (1.4 MiB)."""
    exact = countries._index(countries.shared("en")).exact
    assert len({id(codes) for codes in exact.values()}) == len(set(exact.values())) < 1000


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_one_letter_missing_never_gives_a_wrong_country(lang: str) -> None:
    confident = 0
    for code in sorted(known_codes()):
        name = Country(code).name(lang)
        for i in range(len(name)):
            guess = resolve_country(name[:i] + name[i + 1 :], lang)
            if guess.country is not None:
                confident += 1
                assert guess.country.code == code, (name, i, guess.country.code)
    assert confident > 1000  # and most such typos are still understood


@pytest.mark.parametrize(
    ("code", "lang", "name"),
    [
        ("RU", "en", "Russia"), ("RU", "ru", "Россия"), ("GB", "ru", "Великобритания"),
        ("UA", "uk", "Україна"), ("DE", "fr", "Allemagne"), ("RU", "xx", "Russia"),
        ("RU", "", "Russia"), ("RU", "ru-RU", "Россия"), ("XK", "en", "Kosovo"),
    ],
)
def test_country_name_localised_with_english_fallback(code: str, lang: str, name: str) -> None:
    assert Country(code).name(lang) == name


@pytest.mark.parametrize("code", ["ZZ", "UK", "ru", "", "RUS"])
def test_country_rejects_non_codes(code: str) -> None:
    with pytest.raises(ValueError, match="country code"):
        Country(code)


def test_a_long_message_costs_lookups_linear_in_its_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole chat message (4,096 characters) typed where a country is asked is read
    under the person's lock: runs longer than any country name are not looked up."""
    calls = []
    real = countries._lookup
    monkeypatch.setattr(countries, "_lookup", lambda index, key: calls.append(key) or
                        real(index, key))
    text = "I fled my country " * 228  # 1,140 words
    guess = resolve_country(text, "en")
    assert guess.country is None
    assert len(calls) < 20 * len(text.split())
    # Names are still found anywhere in it.
    ending = "I fled my country " * 100 + "and I was born in the Russian Federation"
    assert resolve_country(ending, "en").suggestions == (Country("RU"),)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["en", "ru", "ar", "zz"]))
def test_resolve_country_total(text: str, lang: str) -> None:
    guess = resolve_country(text, lang)
    assert len(guess.suggestions) <= 3
    assert guess.country is None or guess.suggestions == ()


# --------------------------------------------------------------------------- regions


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("RU", "post_soviet"), ("ru", "post_soviet"), ("UA", "post_soviet"),
        ("TJ", "post_soviet"), ("ER", "east_africa"), ("SS", "east_africa"),
        ("AF", "south_central_asia"), ("BT", "south_central_asia"), ("PS", "middle_east"),
        ("IR", "middle_east"), ("XK", "western_balkans"), ("BA", "western_balkans"),
        ("VE", "latin_america"), ("HT", "latin_america"), ("DO", "latin_america"),
        ("KP", "east_asia"), ("MM", "east_asia"),
        ("GB", None), ("FR", None), ("US", None), ("NG", None), ("TR", None), ("ZZ", None),
    ],
)
def test_covered_region(code: str, region: str | None) -> None:
    assert covered_region(code) == region


def test_regions_hold_real_distinct_countries() -> None:
    seen: set[str] = set()
    for region in REGIONS:
        assert region.codes, region.id
        assert not region.codes & seen, region.id
        seen |= region.codes
        for code in region.codes:
            Country(code)  # raises for a code that is not a country
    assert len(seen) == 58  # as counted on the site: 8 + 7 + 8 + 5 + 12 + 13 + 5


@pytest.mark.parametrize(
    ("region", "lang", "name"),
    [
        ("post_soviet", "en", "Eastern Europe & Post-Soviet States"),
        ("post_soviet", "ru", "Восточная Европа и постсоветские страны"),
        ("middle_east", "ru-RU", "Ближний Восток"),
        ("east_africa", "fa", "شرق آفریقا"),
        ("western_balkans", "pt-BR", "Western Balkans"),  # no Portuguese catalog
        ("east_asia", "", "East Asia"),
    ],
)
def test_region_name(region: str, lang: str, name: str) -> None:
    assert region_name(region, lang) == name


def test_region_name_unknown_id() -> None:
    with pytest.raises(KeyError):
        region_name("atlantis", "en")


# --------------------------------------------------------------------------- deadlines

WEDNESDAY = date(2026, 4, 8)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("15 March 2027", "en", date(2027, 3, 15)),
        ("15.03.2027", "en", date(2027, 3, 15)),
        ("2027-03-15", "en", date(2027, 3, 15)),
        ("next Friday", "en", date(2026, 4, 10)),
        ("by Friday", "en", date(2026, 4, 10)),
        ("in two weeks", "en", date(2026, 4, 22)),
        ("in a month", "en", date(2026, 5, 8)),
        ("tomorrow", "en", date(2026, 4, 9)),
        ("15 March", "en", date(2027, 3, 15)),
        ("on 15 March", "en", date(2027, 3, 15)),
        ("15 марта", "ru", date(2027, 3, 15)),
        ("15 марта 2027 г.", "ru", date(2027, 3, 15)),
        ("15 марта 2027 года", "ru", date(2027, 3, 15)),
        ("до 15 марта", "ru", date(2027, 3, 15)),
        ("через неделю", "ru", date(2026, 4, 15)),
        ("через две недели", "ru", date(2026, 4, 22)),
        ("завтра", "ru", date(2026, 4, 9)),
        ("послезавтра", "ru", date(2026, 4, 10)),
        ("в пятницу", "ru", date(2026, 4, 10)),
        ("к пятнице", "ru", date(2026, 4, 10)),
        ("до пятницы", "ru", date(2026, 4, 10)),
        ("в следующую пятницу", "ru", date(2026, 4, 10)),
        ("15-го", "ru", date(2026, 4, 15)),
        ("tomorrow", "ru", date(2026, 4, 9)),  # English is always understood
        ("15 березня 2027", "uk", date(2027, 3, 15)),
        ("15 marzo 2027", "es", date(2027, 3, 15)),
        ("tomorrow", "zz", date(2026, 4, 9)),
        # Past dates come back unchanged; the flow decides what to say.
        ("1 January 2020", "en", date(2020, 1, 1)),
        ("yesterday", "en", date(2026, 4, 7)),
    ],
)
def test_parse_deadline(text: str, lang: str, expected: date) -> None:
    assert parse_deadline(text, lang, WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("05/06/2027", "en", date(2027, 6, 5)),
        ("05/06/2027", "ru", date(2027, 6, 5)),
        ("05/06/2027", "en-GB", date(2027, 6, 5)),
        ("05/06/2027", "en-US", date(2027, 5, 6)),
        ("05/06/2027", "en_US", date(2027, 5, 6)),
    ],
)
def test_parse_deadline_day_first_except_us(text: str, lang: str, expected: date) -> None:
    assert parse_deadline(text, lang, WEDNESDAY) == expected


@pytest.mark.parametrize(
    "text",
    ["garbage", "qwerty", "", "   ", "I have no idea", "нет", "May 2027", "2027", "March",
     "31.02.2027", "99.99.9999", "+7 912 345 67 89", "x" * 200],
)
def test_parse_deadline_rejects_garbage_and_dayless(text: str) -> None:
    assert parse_deadline(text, "ru", WEDNESDAY) is None
    assert parse_deadline(text, "en", WEDNESDAY) is None


def test_parse_deadline_is_relative_to_the_given_today() -> None:
    assert parse_deadline("завтра", "ru", date(2030, 12, 31)) == date(2031, 1, 1)
    assert parse_deadline("15 марта", "ru", date(2027, 3, 16)) == date(2028, 3, 15)
    assert parse_deadline("15 марта", "ru", date(2027, 3, 1)) == date(2027, 3, 15)


def test_parse_deadline_ignores_another_language() -> None:
    assert parse_deadline("15 марта", "en", WEDNESDAY) is None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30), st.sampled_from(["en", "ru", "en-US"]))
def test_parse_deadline_total(text: str, lang: str) -> None:
    result = parse_deadline(text, lang, WEDNESDAY)
    assert result is None or isinstance(result, date)


# --------------------------------------------------------------------------- emails


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("John.Doe@Example.COM", "John.Doe@example.com"),
        ("  user@gmail.com ", "user@gmail.com"),
        ("mailto:user@gmail.com", "user@gmail.com"),
        ("<user@gmail.com>", "user@gmail.com"),
        ("user@gmail.com.", "user@gmail.com"),
        ("ivan@пример.рф", "ivan@пример.рф"),
        ("иван@mail.ru", "иван@mail.ru"),
    ],
)
def test_normalise_email_valid(text: str, expected: str) -> None:
    assert normalise_email(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "bad@", "@example.com", "a@b", "user@localhost", "a..b@example.com", "no at sign",
     "two@@example.com", "user@exa mple.com", "x" * 400 + "@example.com"],
)
def test_normalise_email_invalid(text: str) -> None:
    assert normalise_email(text) is None


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "e164", "country", "language", "zones"),
    [
        ("+44 20 7946 0958", "+442079460958", "GB", "en", ("Europe/London",)),
        ("whatsapp:+380501234567", "+380501234567", "UA", "uk", ("Europe/Kyiv",)),
        ("+7 495 123-45-67", "+74951234567", "RU", "ru", ("Europe/Moscow",)),
        ("0037529 1234567", "+375291234567", "BY", "ru", None),
        ("+7 701 123 4567", "+77011234567", "KZ", "ru", None),
        ("+996 555 123 456", "+996555123456", "KG", "ru", ("Asia/Bishkek",)),
        ("+98 912 123 4567", "+989121234567", "IR", "fa", ("Asia/Tehran",)),
        ("+93 70 123 4567", "+93701234567", "AF", "fa", ("Asia/Kabul",)),
        ("+964 770 123 4567", "+9647701234567", "IQ", "ar", ("Asia/Baghdad",)),
        ("+33 6 12 34 56 78", "+33612345678", "FR", "fr", ("Europe/Paris",)),
        ("+221 77 123 45 67", "+221771234567", "SN", "fr", ("Africa/Dakar",)),
        ("tel:+1 212 555 1234", "+12125551234", "US", "en", ("America/New_York",)),
    ],
)
def test_phone_hints(
    raw: str, e164: str, country: str, language: str, zones: tuple[str, ...] | None
) -> None:
    hints = phone_hints(raw)
    assert hints is not None
    assert (hints.e164, hints.country_code, hints.language) == (e164, country, language)
    assert phone_language(raw) == language
    if zones is not None:
        assert hints.timezones == zones
    assert all(z in available_timezones() for z in hints.timezones)


def test_phone_hints_russian_mobile_spans_many_zones() -> None:
    hints = phone_hints("+7 912 345 67 89")
    assert hints is not None and hints.country_code == "RU"
    assert "Europe/Moscow" in hints.timezones and len(hints.timezones) > 3


def test_phone_hints_national_number_needs_a_region() -> None:
    assert phone_hints("020 7946 0958") is None
    hints = phone_hints("020 7946 0958", default_region="GB")
    assert hints is not None and hints.e164 == "+442079460958"


@pytest.mark.parametrize(
    "raw", ["", "garbage", "+12345", "+44 20 7946", "+7 000 000 00 00", "whatsapp:", "+" + "9" * 60]
)
def test_phone_hints_invalid(raw: str) -> None:
    assert phone_hints(raw) is None
    assert phone_language(raw) is None


def test_a_whatsapp_message_reads_its_senders_language_without_the_time_zones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from phonenumbers import timezone

    from channels.whatsapp.parsing import parse_inbound

    def refused(_number: object) -> None:
        raise AssertionError("time zones looked up for every message")

    monkeypatch.setattr(timezone, "time_zones_for_number", refused)
    inbound = parse_inbound({"MessageSid": "SM" + "2" * 32, "From": "whatsapp:+380501234599",
                             "Body": "Привіт"})
    assert inbound.language_hint == "uk"


@pytest.mark.parametrize(
    ("codes", "language"),
    [
        ("RU BY KZ KG", "ru"), ("UA", "uk"), ("IR AF", "fa"),
        ("SA EG IQ SY SD LB JO YE AE PS DZ MA TN LY SO", "ar"),
        ("ES MX CO VE CU AR PE GT HN SV NI DO BO", "es"),
        ("FR SN CI CM CD ML HT", "fr"),
        ("GB US DE CN IL ER PK TJ TR", "en"),
    ],
)
def test_language_for_country(codes: str, language: str) -> None:
    assert {code: language_for_country(code) for code in codes.split()} == dict.fromkeys(
        codes.split(), language
    )


# --------------------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("text", "lang", "first"),
    [
        ("London", "en", "Europe/London"),
        ("Лондон", "ru", "Europe/London"),
        ("в Лондоне", "ru", "Europe/London"),
        ("I live in London", "en", "Europe/London"),
        ("new york", "en", "America/New_York"),
        ("Tbilisi", "en", "Asia/Tbilisi"),
        ("Тбилиси", "ru", "Asia/Tbilisi"),
        ("Almaty", "en", "Asia/Almaty"),
        ("Berlin", "en", "Europe/Berlin"),
        ("Kiev", "en", "Europe/Kyiv"),
        ("Київ", "uk", "Europe/Kyiv"),
        ("Москве", "ru", "Europe/Moscow"),
        ("Санкт-Петербург", "ru", "Europe/Moscow"),
        ("Londn", "en", "Europe/London"),
        ("Georgia", "en", "Asia/Tbilisi"),
        ("Грузия", "ru", "Asia/Tbilisi"),
        ("Kazakhstan", "en", "Asia/Almaty"),
        ("Ukraine", "en", "Europe/Kyiv"),
        ("Europe/London", "en", "Europe/London"),
        ("europe/kiev", "en", "Europe/Kyiv"),
        ("Etc/GMT-3", "en", "Etc/GMT-3"),
        ("EST", "en", "America/New_York"),
        ("мск", "ru", "Europe/Moscow"),
    ],
)
def test_resolve_timezone(text: str, lang: str, first: str) -> None:
    zones = resolve_timezone(text, lang)
    assert zones and zones[0] == first
    assert len(zones) <= 5


def test_resolve_timezone_country_with_many_zones() -> None:
    zones = resolve_timezone("USA", "en")
    assert len(zones) == 5
    assert zones[0] == "America/New_York"
    assert {"America/Chicago", "America/Denver", "America/Los_Angeles"} <= set(zones)
    russia = resolve_timezone("Россия", "ru")
    assert "Europe/Moscow" in russia and len(russia) == 5
    # one zone per clock: no two results agree all year
    summer, winter = datetime(2027, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    offsets = {(summer.astimezone(ZoneInfo(z)).utcoffset(), winter.astimezone(ZoneInfo(z))
                .utcoffset()) for z in zones}
    assert len(offsets) == len(zones)


@pytest.mark.parametrize(
    ("text", "zones"),
    [
        ("UTC+3", ["Etc/GMT-3"]),
        ("GMT-5", ["Etc/GMT+5"]),
        ("utc + 03:00", ["Etc/GMT-3"]),
        ("+3", ["Etc/GMT-3"]),
        ("GMT+0", ["Etc/GMT"]),
        ("UTC", ["Etc/UTC"]),
        ("UTC+14", ["Etc/GMT-14"]),
        ("UTC-12", ["Etc/GMT+12"]),
        ("МСК+2", ["Etc/GMT-5"]),
        ("UTC+15", []),
        ("UTC+3:75", []),
    ],
)
def test_resolve_timezone_offsets(text: str, zones: list[str]) -> None:
    assert resolve_timezone(text, "en") == zones


@pytest.mark.parametrize("text", ["UTC+3", "GMT-5", "UTC+14", "UTC-12"])
def test_offset_zones_have_that_offset(text: str) -> None:
    (zone,) = resolve_timezone(text, "en")
    sign = 1 if "+" in text else -1
    hours = int(text[4:])
    assert datetime(2027, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset() == timedelta(hours=sign * hours)


@pytest.mark.parametrize(("text", "zone"), [("UTC+5:30", "Asia/Kolkata"), ("+3:30", "Asia/Tehran"),
                                            ("UTC+4:30", "Asia/Kabul")])
def test_resolve_timezone_half_hour_offsets_give_places(text: str, zone: str) -> None:
    assert zone in resolve_timezone(text, "en")


@pytest.mark.parametrize(
    "text", ["", "garbage", "asdfgh", "easter is coming", "x" * 200, "Korea ?!"]
)
def test_resolve_timezone_unknown(text: str) -> None:
    assert resolve_timezone(text, "en") == []


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_resolve_timezone_total(text: str) -> None:
    zones = resolve_timezone(text, "ru")
    assert len(zones) <= 5
    for zone in zones:
        ZoneInfo(zone)


JANUARY = datetime(2027, 1, 15, 12, tzinfo=UTC)
JULY = datetime(2027, 7, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "lang", "at", "label"),
    [
        ("Europe/London", "en", JANUARY, "London (GMT+00:00)"),
        ("Europe/London", "en", JULY, "London (GMT+01:00)"),
        ("Europe/London", "ru", JANUARY, "Лондон (GMT+00:00)"),
        ("Europe/London", "ru", JULY, "Лондон (GMT+01:00)"),
        ("Europe/Moscow", "ru", JANUARY, "Москва (GMT+03:00)"),
        ("Europe/Moscow", "ru", JULY, "Москва (GMT+03:00)"),
        ("America/New_York", "en", JANUARY, "New York (GMT-05:00)"),
        ("America/New_York", "en", JULY, "New York (GMT-04:00)"),
        ("Asia/Kolkata", "en", JULY, "Kolkata (GMT+05:30)"),
        ("Asia/Tbilisi", "ru", JULY, "Тбилиси (GMT+04:00)"),
        ("Europe/Kyiv", "xx", JULY, "Kyiv (GMT+03:00)"),
        ("Etc/GMT-3", "ru", JULY, "GMT+03:00"),
        ("Etc/UTC", "en", JULY, "GMT+00:00"),
        # The day DST starts in the UK: 01:00 UTC is the switch.
        ("Europe/London", "en", datetime(2027, 3, 28, 0, 59, tzinfo=UTC), "London (GMT+00:00)"),
        ("Europe/London", "en", datetime(2027, 3, 28, 1, 0, tzinfo=UTC), "London (GMT+01:00)"),
        # A naive moment is read as UTC.
        ("Europe/London", "en", datetime(2027, 7, 15, 12), "London (GMT+01:00)"),
    ],
)
def test_zone_label(zone: str, lang: str, at: datetime, label: str) -> None:
    assert zone_label(zone, lang, at) == label


def test_zone_label_unknown_zone() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        zone_label("Mars/Olympus", "en", JULY)


@pytest.mark.parametrize(
    ("kwargs", "zone"),
    [
        ({"phone_timezones": ("Europe/London",)}, "Europe/London"),
        ({"phone_timezones": ("Europe/Guernsey", "Europe/London", "Europe/Jersey")},
         "Europe/London"),
        ({"phone_timezones": ("Europe/Kiev",)}, "Europe/Kyiv"),
        ({"country_code": "GE"}, "Asia/Tbilisi"),
        ({"country_code": "KZ"}, "Asia/Almaty"),
        ({"country_code": "gb", "lang": "ru"}, "Europe/London"),
        # the phone narrows a country with many zones down
        ({"country_code": "RU", "phone_timezones": ("Europe/Moscow",)}, "Europe/Moscow"),
        ({"country_code": "US", "phone_timezones": ("America/Chicago",)}, "America/Chicago"),
        # where someone lives beats a home phone number
        ({"country_code": "GB", "phone_timezones": ("Europe/Moscow",)}, "Europe/London"),
        ({"country_code": "BY", "phone_timezones": ("Europe/Moscow",)}, "Europe/Minsk"),
        ({"lang": "en-GB"}, "Europe/London"),
        ({"lang": "ru_KZ"}, "Asia/Almaty"),
    ],
)
def test_suggest_timezone(kwargs: dict, zone: str) -> None:
    assert suggest_timezone(**kwargs) == zone


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lang": "ru"},
        {"lang": "en"},
        {"country_code": "RU"},
        {"country_code": "US"},
        {"country_code": "UA"},  # Kyiv, and Crimea on Moscow time
        {"phone_timezones": ("Europe/Moscow", "Asia/Vladivostok")},
        {"phone_timezones": ("Etc/Unknown", "Not/AZone")},
        {"country_code": "ZZ"},
    ],
)
def test_suggest_timezone_declines_when_unsure(kwargs: dict) -> None:
    assert suggest_timezone(**kwargs) is None


def test_suggest_timezone_from_phone_hints() -> None:
    hints = phone_hints("+995 32 212 3456")
    assert hints is not None
    assert suggest_timezone(phone_timezones=hints.timezones, country_code=hints.country_code) == (
        "Asia/Tbilisi"
    )
    russian_mobile = phone_hints("+7 912 345 67 89")
    assert russian_mobile is not None
    assert suggest_timezone(phone_timezones=russian_mobile.timezones) is None


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("Europe/Kiev", "Europe/Kyiv"), ("asia/calcutta", "Asia/Kolkata"),
     ("Europe/London", "Europe/London"), ("Etc/Unknown", None), ("Nowhere", None)],
)
def test_canonical_zone(name: str, canonical: str | None) -> None:
    assert canonical_zone(name) == canonical


def test_country_zones_put_main_zone_first() -> None:
    assert country_zones("UA")[0] == "Europe/Kyiv"
    assert country_zones("GB") == ("Europe/London",)
    assert country_zones("ZZ") == ()


def test_phone_hints_parse_each_number_once() -> None:
    """A WhatsApp sender's number is asked about on every message: parsed the first time."""
    first = phone_hints("whatsapp:+995 32 212 3457")
    assert first is not None and phone_hints("whatsapp:+995 32 212 3457") is first
    assert phone_hints("+995 32 212 3458") is not first

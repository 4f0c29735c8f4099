"""The catalogs in every language fit the channels: short option labels, clean command words.

Option labels are found in the flow's source (``turn.option(id, "key")`` and the few
f-string keys it builds from the flow's own constants), so a new button is checked the
moment it is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot.flow  # importing registers every state
from bot.case import EDITABLE, FIELDS
from bot.flow.menu import MENU_TARGETS
from bot.i18n import FALLBACK, Translator, catalog, language_name, languages

#: WhatsApp list rows and reply buttons cut titles longer than this.
LABEL_MAX = 24
FLOW = Path(bot.flow.__file__).parent
NEW_LANGUAGES = {"uk": "Українська", "ar": "العربية", "fa": "فارسی", "es": "Español",
                 "fr": "Français"}
COMMANDS = tuple(key for key in catalog(FALLBACK) if key.startswith("commands."))

_OPTION = re.compile(r"\.option\(\s*[^,()]+,\s*(f?)\"([^\"]+)\"")
_TRANSLATED_CHOICE = re.compile(r"Choice\([^()]*,\s*turn\.t\(\"([^\"]+)\"\)\)")
_QUOTED = re.compile(r"[\"“«]\s*([^\"”»]+?)\s*[\"”»]")


def _expand(template: str) -> set[str]:
    """The keys an f-string option key of the flow can take."""
    if template == "menu.{target}":
        return {f"menu.{target}" for target in MENU_TARGETS}
    raise AssertionError(f"option key {template!r} is built in a way this test cannot expand")


def label_keys() -> set[str]:
    """Every catalog key the flow shows as an option label."""
    # The intake's options and (in the review's "change") labels, from their definitions.
    keys = {f.option_key(option) for f in FIELDS for option in f.options}
    keys |= {f.label_key for f in EDITABLE}
    for path in FLOW.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for is_fstring, key in _OPTION.findall(source):
            keys |= _expand(key) if is_fstring else {key}
        keys.update(_TRANSLATED_CHOICE.findall(source))
    keys.update(key for key in catalog(FALLBACK) if key.endswith(".label"))
    return keys


def test_the_source_scan_finds_the_labels_we_know() -> None:
    keys = label_keys()
    expected = {"menu.book", "common.menu", "welcome.keep_language", "intake.role.lawyer",
                "intake.stage.appealing", "intake.deadline.none", "intake.consent.yes",
                "intake.country.none_of_these", "intake.review.edit", "intake.email.label",
                "forget.no", "booking.tz.change", "booking.confirm.other",
                "booking.cancel.skip"}
    assert expected <= keys, expected - keys
    assert "menu.prompt" not in keys and "intake.stage.prompt" not in keys
    assert keys <= set(catalog(FALLBACK)), keys - set(catalog(FALLBACK))


def test_the_new_languages_are_offered_by_their_own_names() -> None:
    assert set(NEW_LANGUAGES) <= set(languages())
    assert languages()[0] == FALLBACK
    for code, name in NEW_LANGUAGES.items():
        assert language_name(code) == name


@pytest.mark.parametrize("lang", languages())
def test_option_labels_fit_a_whatsapp_title(lang: str) -> None:
    t = Translator(lang)
    too_long = {key: t(key) for key in label_keys() if len(t(key)) > LABEL_MAX}
    assert not too_long, too_long
    names = [language_name(code) for code in languages()]
    assert all(len(name) <= LABEL_MAX for name in names), names


@pytest.mark.parametrize("lang", languages())
def test_command_words_are_lowercase_and_name_one_command(lang: str) -> None:
    t = Translator(lang)
    owner: dict[str, str] = {}
    for key in COMMANDS:
        for word in catalog(lang)[key]:
            assert word == word.casefold() and word == word.strip(), (key, word)
        for word in set(t.words(key)):
            assert owner.setdefault(word, key) == key, (word, owner[word], key)


@pytest.mark.parametrize("lang", languages())
def test_help_names_words_that_work(lang: str) -> None:
    t = Translator(lang)
    quoted = _QUOTED.findall(t("help.text"))
    assert len(quoted) == 6, quoted
    every_word = {word for key in COMMANDS for word in t.words(key)}
    assert {word.casefold() for word in quoted} <= every_word, quoted

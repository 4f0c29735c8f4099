"""The slash commands shown in Telegram's menu, described in each language we speak."""

from __future__ import annotations

from telegram import Bot, BotCommand

#: The commands in menu order; the conversation core understands each as ``/<name>``.
COMMANDS = ("start", "menu", "book", "mybooking", "human", "language", "help")

#: Menu descriptions per language; the first language is also the default for everyone else.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "en": {
        "start": "Start over",
        "menu": "Main menu",
        "book": "Book a free consultation",
        "mybooking": "My booking",
        "human": "Talk to a person",
        "language": "Change the language",
        "help": "What I can do",
    },
    "ru": {
        "start": "Начать сначала",
        "menu": "Главное меню",
        "book": "Записаться на бесплатную консультацию",
        "mybooking": "Моя запись",
        "human": "Связаться с сотрудником",
        "language": "Сменить язык",
        "help": "Что я умею",
    },
}


def bot_commands(lang: str) -> list[BotCommand]:
    """The command list with descriptions in ``lang``."""
    return [BotCommand(name, DESCRIPTIONS[lang][name]) for name in COMMANDS]


async def register_commands(bot: Bot) -> None:
    """``setMyCommands`` for the default (English) and for each other language."""
    languages = list(DESCRIPTIONS)
    await bot.set_my_commands(bot_commands(languages[0]))
    for lang in languages[1:]:
        await bot.set_my_commands(bot_commands(lang), language_code=lang)


def command_text(text: str) -> str:
    """``/start payload`` or ``/menu@our_bot`` as the plain command the core knows."""
    word = text.split(maxsplit=1)[0] if text.strip() else ""
    name = word[1:].split("@", 1)[0].lower() if word.startswith("/") else ""
    return f"/{name}" if name in COMMANDS else text

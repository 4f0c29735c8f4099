"""The states of the conversation; importing this package registers them all."""

from bot.flow import booking, faq, forget, handoff, intake, menu, myfiles  # noqa: F401

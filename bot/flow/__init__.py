"""The states of the conversation; importing this package registers them all."""

from bot.flow import faq, forget, handoff, intake, menu  # noqa: F401

"""The Telegram channel, built on python-telegram-bot: polling or webhook, and proactive sends.

Updates become :class:`bot.messages.Inbound` (message id ``u<update_id>``), the synchronous
core answers in a worker thread, and replies go out as messages with inline keyboards.
"""

CHANNEL = "telegram"

#: The update kinds the bot asks Telegram for.
ALLOWED_UPDATES = ("message", "callback_query")

"""Web chat on the firm's own site: a widget, its HTTP endpoints and an outbox sender.

The person is an anonymous visitor with a signed session cookie; their messages reach the
shared flow through :meth:`bot.engine.Bot.receive` like every other channel's.
"""

CHANNEL = "webchat"

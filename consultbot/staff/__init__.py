"""The staff dashboard: bookings, people waiting for a human, availability and exports.

It lives in ``consultbot/`` (the wiring layer) because it reads from every area: the
booking domain, the conversation transcripts and hand-offs of ``bot/``, and the outbox.
"""

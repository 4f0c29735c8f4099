"""The staff dashboard: bookings, people waiting for a human, availability and exports.

A floor of its own above ``bot/`` and ``booking/``: it reads the booking domain, the
conversation transcripts and hand-offs of ``bot/`` and the outbox, and never a channel.
"""

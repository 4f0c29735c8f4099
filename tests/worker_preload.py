"""Imported once by the fork server of the concurrency tests (``tests.fixtures.worker_processes``):
what each of their worker processes would otherwise build for itself, about a second of CPU
each: the FAQ's knowledge base with its vectors and model, the intents and the catalogs.
Nothing here starts a thread or runs the model, so forking after it is safe."""

from bot.understanding.resources import warm_up
from tests.bot.faq_support import loaded_knowledge

warm_up()
loaded_knowledge()

"""Imported by the concurrency tests' fork server: every forked worker process reads the FAQ
vectors from the test cache instead of computing them again (about 20 s of CPU each)."""

from bot.faq import semantic
from tests.bot.faq_support import VECTORS

semantic.configure(cache_directory=VECTORS)

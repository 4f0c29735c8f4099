"""FAQ knowledge base and question matcher, shared by every channel."""

from bot.faq.fusion import FaqAnswer
from bot.faq.knowledge import KnowledgeBase, KnowledgeError, Topic
from bot.faq.matcher import Match

__all__ = ["FaqAnswer", "KnowledgeBase", "KnowledgeError", "Match", "Topic"]

"""Thin adapters between messaging platforms and the conversation flow."""

"""Wiring of consultbot: settings, database, clock, CLI and the web application."""

"""The bottom floor: settings, database and migrations, clock, encryption, the outbox table
and the ``Runtime`` that carries them. It imports nothing of the project's own."""

"""Sub-commands of the ``consultbot`` CLI; each module has ``register(subparsers)``."""

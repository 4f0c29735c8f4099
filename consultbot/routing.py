"""URL rules whose URL builders are compiled once per process, not once per app.

Werkzeug compiles two small Python functions (through ``ast`` and ``compile``) for every
rule of every app: about 0.3 ms a rule, 15 ms for this application's fifty. The code only
depends on the rule's parts, so a rule with the same parts reuses it; each app still has
its own rules, map and converters (the function reads them from the rule it is bound to).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from werkzeug.routing import Rule

_BUILDERS: dict[tuple[object, ...], Callable[..., tuple[str, str]]] = {}


class SharedBuilderRule(Rule):
    """A rule that takes its builder functions from the per-process cache."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        trace = getattr(self, "_trace", None)
        if self.defaults or trace is None:  # defaults are folded in through converters
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(trace), append_unknown)
        builder = _BUILDERS.get(key)
        if builder is None:
            builder = _BUILDERS[key] = super()._compile_builder(append_unknown)
        return builder


class ConsultbotFlask(Flask):
    """Flask with :class:`SharedBuilderRule` for its URL rules."""

    url_rule_class = SharedBuilderRule

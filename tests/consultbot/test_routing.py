"""Two apps share their URL builders' compiled code, and each still builds its own URLs."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.routing.converters import NumberConverter

from consultbot.routing import ConsultbotFlask, SharedBuilderRule
from consultbot.runtime import Runtime
from consultbot.web import create_app


def test_two_apps_share_builders_and_build_like_werkzeug(
        make_runtime: Callable[..., Runtime]) -> None:
    first, second = create_app(make_runtime()), create_app(make_runtime())
    first_rules = {rule.rule: rule for rule in first.url_map.iter_rules()}
    assert len(first_rules) > 20
    for rule in second.url_map.iter_rules():
        twin = first_rules[rule.rule]
        assert rule is not twin and rule.map is second.url_map
        assert rule._build.__func__ is twin._build.__func__  # type: ignore[attr-defined]
        plain = Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
        Map([plain], converters=second.url_map.converters)
        values: dict[str, object] = {
            name: 7 if isinstance(conv, NumberConverter) else "a b/1"
            for name, conv in rule._converters.items()}  # type: ignore[attr-defined]
        values["next"] = "/x?y"
        assert rule.build(values) == plain.build(values)


def test_each_app_converts_with_its_own_converters() -> None:
    class Upper(BaseConverter):
        def to_url(self, value: str) -> str:
            return value.upper()

    plain, upper = ConsultbotFlask("plain"), ConsultbotFlask("upper")
    upper.url_map.converters["word"] = Upper
    plain.url_map.converters["word"] = BaseConverter
    for app in (plain, upper):
        app.add_url_rule("/say/<word:text>", "say", lambda text: text)
    with plain.test_request_context():
        assert Flask.url_for(plain, "say", text="hi", q=1) == "/say/hi?q=1"
    with upper.test_request_context():
        assert Flask.url_for(upper, "say", text="hi", q=1) == "/say/HI?q=1"
    assert isinstance(next(upper.url_map.iter_rules("say")), SharedBuilderRule)

"""Hostile nesting is measured on the bytes, before any parser recurses into it."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from channels.json_body import loads, nests_deeper_than
from tests.channels.test_webchat import app, page  # noqa: F401  (fixtures)

DEEP = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(("raw", "deepest"), [
    (b'{"a": 1}', 1),
    (b'{"a": [[{"b": []}]]}', 5),
    (b'{"a": "[[[[[[[[[[", "b": "{{{{{{{{"}', 1),  # brackets inside strings do not nest
    (b'{"a": "\\"[[[[[[[[[[", "b": [1]}', 2),  # nor after an escaped quote
    (b"[" * 40 + b"]" * 40, 40),
])
def test_the_depth_is_that_of_the_structure_not_of_the_brackets(raw: bytes, deepest: int) -> None:
    assert not nests_deeper_than(raw, deepest)
    assert nests_deeper_than(raw, deepest - 1)


def test_a_body_that_would_exhaust_the_parsers_recursion_is_refused_without_parsing() -> None:
    with pytest.raises(RecursionError):
        json.loads(DEEP)  # what the check keeps from happening
    with pytest.raises(ValueError, match="nested too deeply"):
        loads(DEEP, max_depth=32)
    assert loads(b'{"a": [1, {"b": 2}]}', max_depth=3) == {"a": [1, {"b": 2}]}


@pytest.mark.parametrize("path", ["/webchat/api/messages", "/webchat/api/read",
                                  "/webchat/api/link"])
def test_the_web_chat_answers_a_deeply_nested_body_without_an_error(
        page: FlaskClient, path: str) -> None:  # noqa: F811
    response = page.post(path, data=DEEP, content_type="application/json")
    assert response.status_code < 500, response.status_code
    assert page.post("/webchat/api/messages", json={"id": "m-deep-0001", "text": "hello"},
                     ).status_code == 200  # and the next message is handled as usual

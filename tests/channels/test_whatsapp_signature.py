"""The one-HMAC signature check accepts exactly what Twilio's validator accepts."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator, add_port, remove_port
from werkzeug.datastructures import MultiDict

from channels.whatsapp.signature import SignatureCheck

TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
FORM = MultiDict([("Body", "Привет"), ("From", "whatsapp:+447911123456"), ("Body", "again"),
                  ("MessageSid", "SM" + "1" * 32)])
URLS = ["https://bot.example.org/webhooks/whatsapp",
        "https://bot.example.org:443/webhooks/whatsapp",
        "http://bot.example.org:8080/webhooks/whatsapp?key=a%20b",
        "https://bot.example.org/webhooks/whatsapp/status?asked=1"]


def signatures(url: str) -> list[str]:
    """Genuine ones (with and without the port, another token, another URL) and forged."""
    twilio, other = RequestValidator(TOKEN), RequestValidator("0" * 32)
    parsed = urlparse(url)
    return [twilio.compute_signature(remove_port(parsed), FORM),
            twilio.compute_signature(add_port(parsed), FORM),
            other.compute_signature(url, FORM), twilio.compute_signature(url + "x", FORM),
            "", "bm90IGEgcmVhbCBzaWduYXR1cmU=", "подпись", " " + twilio.compute_signature(
                url, FORM)]


@pytest.mark.parametrize("url", URLS)
def test_the_same_requests_pass_as_with_twilios_validator(url: str) -> None:
    check, twilio = SignatureCheck(TOKEN), RequestValidator(TOKEN)
    verdicts = [(check.valid(url, FORM, s), twilio.validate(url, FORM, s))
                for s in signatures(url)]
    assert [ours for ours, _ in verdicts] == [theirs for _, theirs in verdicts]
    assert [ours for ours, _ in verdicts][:3] == [True, True, False]


def test_a_genuine_request_costs_one_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    check = SignatureCheck(TOKEN)
    genuine = RequestValidator(TOKEN).compute_signature(URLS[0], FORM)
    computed: list[str] = []
    real = SignatureCheck.signature

    def counted(self: SignatureCheck, url: str, form: object) -> bytes:
        computed.append(url)
        return real(self, url, form)

    monkeypatch.setattr(SignatureCheck, "signature", counted)
    assert check.valid(URLS[0], FORM, genuine)
    assert computed == [URLS[0]]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(url=st.sampled_from(URLS), pairs=st.lists(st.tuples(_TEXT, _TEXT), max_size=8),
       as_dict=st.booleans())
def test_the_signature_is_twilios_for_any_form(url: str, pairs: list[tuple[str, str]],
                                                 as_dict: bool) -> None:
    form = dict(pairs) if as_dict else MultiDict(pairs)  # repeated names, empty values
    assert SignatureCheck(TOKEN).signature(url, form).decode() == \
        RequestValidator(TOKEN).compute_signature(url, form)

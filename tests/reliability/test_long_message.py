"""A 1 MB message is cut before the person's lock is taken, so it cannot stall others.

The timing (another person's reply while a 1 MB body is handled) is in
``bench/bench_locked_turn.py``; here the structure: the locked part of the turn only ever
sees 4,096 characters, and cleaning happens before it.
"""

from __future__ import annotations

import pytest

from bot.engine import Bot, Handled
from bot.messages import Inbound
from bot.understanding import Understanding
from consultbot.runtime import Runtime
from consultbot.web import create_app
from tests.channels.fake_twilio import AUTH_TOKEN, PUBLIC_BASE_URL, TwilioWebhooks, twiml_bodies
from tests.channels.test_whatsapp_webhook import SETTINGS


class Recording(Bot):
    """The core, noting the text the locked part of each turn is given."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.locked_texts: list[str] = []

    def _handle_once(self, inbound: Inbound, understood: Understanding,
                     cut: bool = False, **hints: bool) -> Handled:
        self.locked_texts.append(inbound.text or "")
        return super()._handle_once(inbound, understood, cut, **hints)


@pytest.mark.usefixtures("lexical_faq")  # the cut is the subject, not the model
def test_a_1mb_body_reaches_the_locked_turn_cut_to_4096(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(**SETTINGS)
    bot = Recording(runtime)
    twilio = TwilioWebhooks(create_app(runtime, bot=bot).test_client(), AUTH_TOKEN,
                            PUBLIC_BASE_URL)
    twilio.message("+447911123456", "Hello")
    huge = "wo\x07rd\x00 " * 400 + "word " * 198_000  # 1 MB form, control characters early
    response = twilio.message("+447911123456", huge)
    assert response.status_code == 200
    assert "kept only its first 4,096 characters" in "\n".join(twiml_bodies(response.data))
    longest = max(bot.locked_texts, key=len)
    assert len(longest) <= 4096
    assert "\x00" not in longest and "\x07" not in longest  # cleaned before the lock
    runtime.db.dispose()

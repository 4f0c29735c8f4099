"""The WhatsApp webhook through the real Flask app: signatures, parsing, exactly-once, TwiML."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlmodel import select

from bot.casefiles.models import CaseDocument
from bot.identifiers import find_conversation
from bot.messages import reply_from_dict
from bot.models import Conversation, InboundMessage
from channels.whatsapp.parsing import choice_payload
from consultbot.runtime import Runtime
from consultbot.web import create_app
from plumbing.outbox import OutboxMessage
from plumbing.settings import SettingsError
from tests.channels.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SENDER,
    TwilioWebhooks,
    new_sid,
    twiml_bodies,
)

ANNA = "+447911123456"  # a UK mobile
IVAN = "+79123456789"  # a Russian mobile
BUTTONS_2 = "HX" + "2" * 32
BUTTONS_3 = "HX" + "3" * 32
LIST_7 = "HX" + "7" * 32


#: What this module turns on, for every runtime it makes.
SETTINGS: dict[str, object] = {
    "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
    "twilio_whatsapp_from": SENDER, "public_base_url": PUBLIC_BASE_URL}


@pytest.fixture
def make_runtime(make_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """The shared factory with :data:`SETTINGS`."""
    return lambda **overrides: make_runtime(**{**SETTINGS, **overrides})


@pytest.fixture
def wa_runtime(make_runtime: Callable[..., Runtime]) -> Iterator[Runtime]:
    runtime = make_runtime()
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def app(wa_runtime: Runtime) -> Flask:
    return create_app(wa_runtime)


@pytest.fixture
def twilio(app: Flask) -> TwilioWebhooks:
    return TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)


def handled(runtime: Runtime) -> list[InboundMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(InboundMessage)).all())


def conversation(runtime: Runtime, user: str) -> Conversation | None:
    with runtime.db.transaction() as session:
        return find_conversation(session, runtime.cipher, "whatsapp", user)


def say(twilio: TwilioWebhooks, text: str, sender: str = ANNA, **options: object) -> str:
    response = twilio.message(sender, text, **options)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return "\n\n".join(twiml_bodies(response.data))


# --- settings ---------------------------------------------------------------------------

def test_off_without_twilio_settings_and_says_which(runtime: Runtime) -> None:
    app = create_app(runtime)
    assert app.config["AREAS"]["whatsapp"] == (
        "off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM, PUBLIC_BASE_URL")
    assert app.test_client().post("/webhooks/whatsapp", data={"Body": "hi"}).status_code == 404


def test_on_names_the_urls_to_paste_into_twilio(app: Flask) -> None:
    area = app.config["AREAS"]["whatsapp"]
    assert area.startswith("on: ")
    assert f"{PUBLIC_BASE_URL}/webhooks/whatsapp " in area
    assert f"{PUBLIC_BASE_URL}/webhooks/whatsapp/status" in area
    assert "choices as numbered lines" in area
    assert AUTH_TOKEN not in area


def test_wrong_content_template_setting_stops_the_start_naming_it(
        make_runtime: Callable[..., Runtime]) -> None:
    with pytest.raises(SettingsError, match="TWILIO_CONTENT_SID_BUTTONS"):
        make_runtime(twilio_content_sid_buttons="2:HXnothex")


# --- signatures -------------------------------------------------------------------------

def test_signed_first_message_gets_the_greeting_as_twiml(twilio: TwilioWebhooks,
                                                         wa_runtime: Runtime) -> None:
    text = say(twilio, "Hello")
    assert "welcome" in text.lower()
    assert "1. Continue in English" in text
    person = conversation(wa_runtime, ANNA)
    assert person is not None and person.channel == "whatsapp"


def test_language_hint_comes_from_the_phone_number(twilio: TwilioWebhooks,
                                                   wa_runtime: Runtime) -> None:
    say(twilio, "Здравствуйте", sender=IVAN)
    person = conversation(wa_runtime, IVAN)
    assert person is not None and person.language == "ru"


@pytest.mark.parametrize("case", ["forged", "other_url", "local_url", "missing", "tampered",
                                  "shared_key"])
def test_unsigned_or_wrongly_signed_requests_are_refused(
        case: str, twilio: TwilioWebhooks, wa_runtime: Runtime,
        caplog: pytest.LogCaptureFixture) -> None:
    fields = twilio.message_fields(ANNA, "My secret case details")
    options: dict[str, object] = {}
    if case == "forged":
        options["signature"] = "bm90IGEgcmVhbCBzaWduYXR1cmU="
    elif case == "other_url":
        options["signed_url"] = "https://attacker.example/webhooks/whatsapp"
    elif case == "local_url":  # what the app itself sees behind the proxy
        options["signed_url"] = "http://localhost/webhooks/whatsapp"
    elif case == "missing":
        options["signature"] = ""
    elif case == "tampered":
        options["signature"] = twilio.validator.compute_signature(
            f"{PUBLIC_BASE_URL}/webhooks/whatsapp", fields)
        fields = {**fields, "Body": "something else"}
    else:
        options["headers"] = {"X-Twilio-Webhooks-Signature-Settings":
                              "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    with caplog.at_level(logging.INFO):
        response = twilio.post("/webhooks/whatsapp", fields, **options)  # type: ignore[arg-type]
    assert response.status_code == 403
    assert handled(wa_runtime) == [] and conversation(wa_runtime, ANNA) is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused" in logged
    for secret in ("secret case", ANNA, ANNA.lstrip("+"), "Anna"):
        assert secret not in logged


def test_query_string_and_default_port_are_part_of_the_signed_url(
        twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    fields = twilio.message_fields(ANNA, "Hello")
    with_query = f"{PUBLIC_BASE_URL}/webhooks/whatsapp?source=sandbox"
    response = twilio.client.post(
        "/webhooks/whatsapp?source=sandbox", data=fields,
        headers={"X-Twilio-Signature": twilio.validator.compute_signature(with_query, fields)})
    assert response.status_code == 200
    # The same signature is not valid for the URL without its query.
    assert twilio.post("/webhooks/whatsapp", twilio.message_fields(ANNA, "x", sid=new_sid()),
                       signature=twilio.validator.compute_signature(with_query, fields)
                       ).status_code == 403
    # Twilio sometimes signs with the explicit :443; both forms are accepted.
    other = twilio.message_fields(ANNA, "menu")
    assert twilio.post("/webhooks/whatsapp", other,
                       signed_url="https://bot.example.org:443/webhooks/whatsapp"
                       ).status_code == 200
    assert len(handled(wa_runtime)) == 2


# --- parsing ----------------------------------------------------------------------------

@pytest.mark.parametrize("broken", [
    {"MessageSid": ""}, {"MessageSid": "not-a-sid"}, {"From": ""}, {"From": "+447911123456"},
    {"From": "whatsapp:447911123456"}, {"NumMedia": "many"},
])
def test_malformed_requests_get_400_and_nothing_is_processed(
        broken: dict[str, str], twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    fields = {**twilio.message_fields(ANNA, "Hello"), **broken}
    fields = {k: v for k, v in fields.items() if v != "" or k == "Body"}
    assert twilio.post("/webhooks/whatsapp", fields).status_code == 400
    assert handled(wa_runtime) == [] and conversation(wa_runtime, ANNA) is None


def test_a_repeated_message_sid_is_handled_once_and_answered_the_same(
        twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    say(twilio, "Hello")
    fields = twilio.message_fields(ANNA, "Continue in English")
    first = twilio.post("/webhooks/whatsapp", fields)
    state_after_first = conversation(wa_runtime, ANNA).state  # type: ignore[union-attr]
    again = twilio.post("/webhooks/whatsapp", fields)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    assert "How can we help?" in first.data.decode()
    assert len(handled(wa_runtime)) == 2
    assert conversation(wa_runtime, ANNA).state == state_after_first  # type: ignore[union-attr]


@pytest.mark.parametrize("copies", [4])
def test_simultaneous_retries_of_one_message_are_handled_once(
        copies: int, any_database_url: str, make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(database_url=any_database_url)
    app = create_app(runtime)
    first = TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
    say(first, "Hello")
    fields = first.message_fields(ANNA, "Continue in English")
    barrier = threading.Barrier(copies)
    answers: list[tuple[int, bytes]] = []

    def deliver() -> None:
        twilio = TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
        barrier.wait()
        response = twilio.post("/webhooks/whatsapp", fields)
        answers.append((response.status_code, response.data))

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == copies and len(set(answers)) == 1
    assert answers[0][0] == 200 and b"How can we help?" in answers[0][1]
    assert [m.platform_message_id for m in handled(runtime)].count(fields["MessageSid"]) == 1
    runtime.db.dispose()


def test_media_is_noted_for_the_download_job_and_not_fetched_in_the_webhook(
        twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    """The file is fetched, checked and acknowledged later (tests/casefiles); here the
    webhook only notes it, and answers nothing yet."""
    say(twilio, "Hello")
    say(twilio, "Continue in English")
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
    assert say(twilio, "", media=[url]) == ""
    with wa_runtime.db.transaction() as session:
        [noted] = session.exec(select(CaseDocument)).all()
    assert (noted.status, noted.kind, noted.caption_enc) == ("pending", "photo", None)
    assert wa_runtime.cipher.decrypt_json(noted.source_enc or "")["source"] == url


def test_a_caption_is_kept_with_its_file_not_taken_as_an_answer(
        twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    say(twilio, "Hello")
    say(twilio, "Continue in English")
    assert say(twilio, "book", media=["https://api.twilio.com/x/Media/ME2"]) == ""
    with wa_runtime.db.transaction() as session:
        [noted] = session.exec(select(CaseDocument)).all()
    assert wa_runtime.cipher.decrypt(noted.caption_enc or "") == "book"
    assert "How can we help?" in say(twilio, "menu")  # the flow did not move


def test_numbered_choice_can_be_answered_by_number_label_or_keyword(
        twilio: TwilioWebhooks) -> None:
    say(twilio, "Hello")
    assert "How can we help?" in say(twilio, "1")
    assert "Who is writing to us?" in say(twilio, "Book free consultation")
    assert "How can we help?" in say(twilio, "menu")


# --- quick replies ----------------------------------------------------------------------

@pytest.fixture
def buttons_app(make_runtime: Callable[..., Runtime]) -> Iterator[tuple[Flask, Runtime]]:
    runtime = make_runtime(twilio_content_sid_buttons=f"2:{BUTTONS_2},3:{BUTTONS_3}",
                           twilio_content_sid_list=f"7:{LIST_7}")
    yield create_app(runtime), runtime
    runtime.db.dispose()


def outbox(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.db.transaction() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_with_content_templates_choices_go_through_the_outbox_once(
        buttons_app: tuple[Flask, Runtime]) -> None:
    app, runtime = buttons_app
    assert "buttons for 2/3 options" in app.config["AREAS"]["whatsapp"]
    twilio = TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
    fields = twilio.message_fields(ANNA, "Hello")
    first = twilio.post("/webhooks/whatsapp", fields)
    text = "\n".join(twiml_bodies(first.data))
    assert "welcome" in text.lower() and "Continue in English" not in text
    assert twilio.post("/webhooks/whatsapp", fields).data == first.data
    [queued] = outbox(runtime)
    assert (queued.key, queued.kind, queued.channel,
            runtime.cipher.decrypt(queued.recipient_enc or "")) == (
        f"whatsapp:reply:{fields['MessageSid']}", "reply", "whatsapp", ANNA)
    assert queued.conversation_id == conversation(runtime, ANNA).id  # type: ignore[union-attr]
    [question] = [reply_from_dict(r) for r in
                  runtime.cipher.decrypt_json(queued.payload_enc)["replies"]]
    assert question.text == "Which language do you prefer?"  # type: ignore[union-attr]


def test_a_pressed_button_is_the_choice_and_a_stale_one_is_refused(
        buttons_app: tuple[Flask, Runtime]) -> None:
    app, runtime = buttons_app
    twilio = TwilioWebhooks(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL)
    twilio.message(ANNA, "Hello")
    [queued] = outbox(runtime)
    [question] = [reply_from_dict(r) for r in
                  runtime.cipher.decrypt_json(queued.payload_enc)["replies"]]
    english = question.choices[0]  # type: ignore[union-attr]
    pressed = (english.label, choice_payload(question.token, english.id))  # type: ignore[union-attr]
    menu = twilio.message(ANNA, "", button=pressed)
    assert menu.status_code == 200
    person = conversation(runtime, ANNA)
    assert person is not None and person.state == "menu"
    # The same button again is from an earlier question now.
    stale = twilio.message(ANNA, "", button=pressed)
    assert "no longer works" in "\n".join(twiml_bodies(stale.data))


def test_a_template_button_of_our_own_wording_is_read_as_typed_text(
        twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    say(twilio, "Hello")
    say(twilio, "Continue in English")
    # An approved template's button carries its fixed payload and the text shown.
    text = say(twilio, "", button=("Book free consultation", "BOOK_FROM_TEMPLATE"))
    assert "Who is writing to us?" in text


# --- long bodies ------------------------------------------------------------------------

def reach_description(twilio: TwilioWebhooks) -> None:
    for line in ("Hello", "Continue in English", "book", "I am the applicant", "Anna Petrova",
                 "Russia", "United Kingdom", "Applied, waiting", "No", "No deadline"):
        say(twilio, line)


@pytest.mark.usefixtures("lexical_faq")  # the cut is the subject, not the model
def test_a_5000_character_body_is_cut_at_4096_and_the_person_told(
        twilio: TwilioWebhooks, wa_runtime: Runtime) -> None:
    reach_description(twilio)
    long_text = ("I was detained and beaten at the protest. " * 120)[:5000]
    assert len(long_text) == 5000
    answer = say(twilio, long_text)
    assert "kept only its first 4,096 characters" in answer
    assert "keep it under 1000" in answer
    assert "describe the case" in answer  # asked again, nothing crashed
    last = max(handled(wa_runtime), key=lambda m: m.id or 0)
    assert wa_runtime.cipher.decrypt(last.text_enc or "") == long_text[:4096]


def test_logs_name_no_one_and_quote_nothing(twilio: TwilioWebhooks,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        reach_description(twilio)
        say(twilio, "They arrested my brother in Kazan")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "whatsapp message SM" in logged
    for secret in ("Anna Petrova", "arrested", ANNA, ANNA.lstrip("+"), "Anna"):
        assert secret not in logged


def test_a_webhook_sets_no_cookie_and_leaves_a_staff_session_alone(
        make_runtime: Callable[..., Runtime]) -> None:
    """The webhook shares the app with the dashboard: from a browser signed in as staff
    (its cookies sent along) it answers without a cookie, and the staff stay signed in."""
    from tests.dashboard.helpers import add_staff, sign_in

    runtime = make_runtime(cookie_secure=False)
    client = create_app(runtime).test_client()
    twilio = TwilioWebhooks(client, AUTH_TOKEN, PUBLIC_BASE_URL)
    stranger = twilio.message(IVAN, "Hello")
    assert stranger.status_code == 200
    assert "Set-Cookie" not in stranger.headers
    add_staff(runtime)
    assert sign_in(client).status_code == 302
    assert client.get_cookie("session") is not None
    for text in ("Hello", "1"):
        response = twilio.message(ANNA, text)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert client.get("/staff/bookings").status_code == 200
    runtime.db.dispose()

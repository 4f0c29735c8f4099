"""Reading Twilio's fields and writing WhatsApp messages: splitting, packing, buttons, TwiML."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from bot.messages import Choice, Choices, Document, Text
from channels.whatsapp.content import ContentTemplates, parse_sized_sids, template_variable
from channels.whatsapp.parsing import (
    MalformedRequest,
    choice_payload,
    parse_inbound,
    parse_status,
    whatsapp_address,
)
from channels.whatsapp.render import (
    MAX_BODY,
    ContentMessage,
    TextMessage,
    interactive,
    pack,
    plan,
    split_text,
    to_twiml,
    utf16_len,
)
from tests.channels.fake_twilio import TwilioWebhooks, twiml_bodies, twiml_media

SID2, SID3, LIST4 = "HX" + "2" * 32, "HX" + "3" * 32, "HX" + "4" * 32
TEMPLATES = ContentTemplates(buttons={2: SID2, 3: SID3}, lists={4: LIST4})
FIELDS = TwilioWebhooks(client=None, auth_token="t", public_base_url="https://x")


# --- splitting --------------------------------------------------------------------------

@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6000))
def test_split_parts_fit_and_lose_nothing(text: str) -> None:
    parts = split_text(text)
    assert all(0 < utf16_len(p) <= MAX_BODY for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_split_prefers_paragraphs_then_words() -> None:
    first, second = "A" * 900, "B " * 400
    parts = split_text(f"{first}\n\n{second}{'C' * 900}")
    assert parts[0] == first
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)


def test_emoji_count_twice_as_twilio_counts_them() -> None:
    parts = split_text("😀" * 1000)
    assert [len(p) for p in parts] == [800, 200]


def test_packing_joins_texts_but_not_media_and_keeps_order() -> None:
    messages = pack([TextMessage("a"), TextMessage("b"), TextMessage("c", "https://m/1.jpg"),
                     TextMessage("d"), TextMessage("x" * MAX_BODY)])
    assert messages == [TextMessage("a\n\nb"), TextMessage("c", "https://m/1.jpg"),
                        TextMessage("d"), TextMessage("x" * MAX_BODY)]


def test_replies_become_numbered_text_without_templates() -> None:
    [message] = plan([Text("Hello"), Choices("Pick one", (Choice("a", "Alpha"),
                                                          Choice("b", "Beta")), "3")],
                     ContentTemplates())
    assert message == TextMessage("Hello\n\nPick one\n\n1. Alpha\n2. Beta")


def test_a_document_in_memory_is_announced_by_its_caption() -> None:
    messages = plan([Document("consultation.ics", "Add it to your calendar",
                              "text/calendar", content=b"BEGIN:VCALENDAR")], ContentTemplates())
    assert messages == [TextMessage("Add it to your calendar")]


# --- buttons and lists ------------------------------------------------------------------

def test_two_options_become_quick_reply_buttons() -> None:
    question = Choices("Does a lawyer represent you?",
                       (Choice("yes", "Yes"), Choice("no", "No")), "1f")
    content = interactive(question, TEMPLATES)
    assert content == ContentMessage(SID2, {"1": "Does a lawyer represent you?",
                                            "2": "Yes", "3": "cb:1f:yes",
                                            "4": "No", "5": "cb:1f:no"},
                                     "Does a lawyer represent you?\n\n1. Yes\n2. No")
    assert content.variables_json.startswith('{"1":"Does a lawyer')


def test_labels_too_long_for_buttons_use_the_list_or_numbered_lines() -> None:
    long = tuple(Choice(str(n), f"Option number {n} here.") for n in range(4))  # 21 chars
    assert interactive(Choices("Pick", long, "2"), TEMPLATES).content_sid == LIST4  # type: ignore[union-attr]
    three = long[:3]
    assert interactive(Choices("Pick", three, "2"), TEMPLATES) is None  # no 3-item list
    too_long = (Choice("a", "x" * 25), Choice("b", "y"), Choice("c", "z"), Choice("d", "w"))
    assert interactive(Choices("Pick", too_long, "2"), TEMPLATES) is None
    assert interactive(Choices("Q" * 1025, long[:2], "2"), TEMPLATES) is None
    assert interactive(Choices("", long[:2], "2"), TEMPLATES) is None


def test_sized_template_settings() -> None:
    assert parse_sized_sids(SID3, default_size=3, max_size=3, name="X") == {3: SID3}
    assert parse_sized_sids(f" 2:{SID2} , 3:{SID3} ", default_size=3, max_size=3,
                            name="X") == {2: SID2, 3: SID3}
    assert parse_sized_sids("", default_size=3, max_size=3, name="X") == {}
    for wrong in (f"4:{SID2}", f"two:{SID2}", "HX123", f"0:{SID2}", f"²:{SID2}"):
        with pytest.raises(ValueError, match="X"):
            parse_sized_sids(wrong, default_size=3, max_size=3, name="X")


def test_template_variables_are_one_line() -> None:
    assert template_variable("Tue 3 March\n 10:00\t(London)  ") == "Tue 3 March 10:00 (London)"
    assert template_variable("  ") == "-"


# --- TwiML ------------------------------------------------------------------------------

def test_twiml_escapes_text_and_carries_media() -> None:
    xml = to_twiml([TextMessage("Smith & Partners <LLP>"),
                    TextMessage("Report", "https://example.org/r.pdf?a=1&b=2")])
    assert twiml_bodies(xml) == ["Smith & Partners <LLP>", "Report"]
    assert twiml_media(xml) == ["https://example.org/r.pdf?a=1&b=2"]
    assert to_twiml([]).endswith("<Response />")


@given(st.text(max_size=200))
def test_twiml_is_well_formed_whatever_the_person_typed(typed: str) -> None:
    # The flow echoes what was typed (the review of the details); a control character
    # pasted from elsewhere must not make the whole answer unreadable to Twilio.
    xml = to_twiml([TextMessage(f"Name: {typed}")])
    [body] = twiml_bodies(xml)
    kept = "".join(c for c in typed if c in "\t\n\r" or " " <= c <= "\ud7ff"
                   or "\ue000" <= c <= "\ufffd" or c >= "\U00010000")
    assert body == f"Name: {kept}".replace("\r\n", "\n").replace("\r", "\n")


def twilio_twiml(messages: list[TextMessage], action: str | None) -> str:
    """What twilio's own builder writes for these messages (the answer before it was
    written as text)."""
    response = MessagingResponse()
    extra = {"action": action} if action else {}
    for message in messages:
        body = "".join(c for c in message.body if c in "\t\n\r" or " " <= c <= "\ud7ff"
                       or "\ue000" <= c <= "\ufffd" or c >= "\U00010000")
        twiml = response.message(body, **extra) if body else response.message(**extra)
        if message.media_url:
            twiml.media(message.media_url)
    return response.to_xml()


_MARKUP = "ab/:?&=<>\"' \t\n\r\x01"
_MESSAGE = st.builds(TextMessage, st.text(max_size=60) | st.text(alphabet=_MARKUP),
                     st.none() | st.text(alphabet=_MARKUP, max_size=30))


@given(st.lists(_MESSAGE, max_size=4),
       st.none() | st.text(max_size=40) | st.text(alphabet=_MARKUP, max_size=40))
def test_twiml_is_byte_for_byte_what_twilios_builder_writes(
        messages: list[TextMessage], action: str | None) -> None:
    assert to_twiml(messages, action) == twilio_twiml(messages, action)


def test_twiml_of_the_common_answers_is_twilios() -> None:
    action = "https://x/webhooks/whatsapp/status?q=ab12&k=\"<1>\"\r\n\t"
    for messages in ([], [TextMessage("")], [TextMessage("", "https://x/f.pdf")],
                     [TextMessage("Hi & <welcome>\n\n1. Book"), TextMessage("b\r\tc")]):
        for given_action in (None, action):
            assert to_twiml(messages, given_action) == twilio_twiml(messages, given_action)


def test_content_messages_cannot_be_twiml() -> None:
    with pytest.raises(TypeError):
        to_twiml([ContentMessage(SID2, {})])


# --- parsing ----------------------------------------------------------------------------

def test_a_text_message_as_twilio_sends_it() -> None:
    fields = FIELDS.message_fields("+79123456789", "  Здравствуйте  ", sid="SM" + "a" * 32,
                                   profile_name="Иван")
    inbound = parse_inbound(fields)
    assert (inbound.channel, inbound.user_id, inbound.phone, inbound.message_id) == (
        "whatsapp", "+79123456789", "+79123456789", "SM" + "a" * 32)
    assert inbound.text == "  Здравствуйте  "  # untouched: the flow trims
    assert (inbound.display_name, inbound.language_hint, inbound.attachments) == (
        "Иван", "ru", 0)
    assert inbound.choice_id is None


def test_media_buttons_and_list_items() -> None:
    media = parse_inbound(FIELDS.message_fields("+447911123456", "",
                                                media=["https://a/1", "https://a/2"]))
    assert (media.text, media.attachments, media.language_hint) == (None, 2, "en")
    ours = parse_inbound(FIELDS.message_fields(
        "+447911123456", "", button=("Yes", choice_payload("1f", "lang:ru"))))
    assert (ours.choice_id, ours.choice_token, ours.text) == ("lang:ru", "1f", None)
    theirs = parse_inbound(FIELDS.message_fields("+447911123456", "",
                                                 button=("Reschedule", "RESCHEDULE")))
    assert (theirs.choice_id, theirs.text) == (None, "Reschedule")
    listed = parse_inbound({**FIELDS.message_fields("+447911123456", ""),
                            "ListId": choice_payload("2", "faq"), "ListTitle": "Ask"})
    assert (listed.choice_id, listed.choice_token) == ("faq", "2")


def test_an_unknown_country_number_still_works_without_hints() -> None:
    inbound = parse_inbound(FIELDS.message_fields("+99912345678", "hi"))
    assert inbound.user_id == "+99912345678" and inbound.language_hint is None


@pytest.mark.parametrize("change", [{"MessageSid": "SM123"}, {"From": "tel:+447911123456"},
                                    {"NumMedia": "-1"}, {"NumMedia": "11"},
                                    {"NumMedia": "²"}, {"NumMedia": "１"}])
def test_malformed_fields_name_the_field_not_the_value(change: dict[str, str]) -> None:
    with pytest.raises(MalformedRequest) as error:
        parse_inbound({**FIELDS.message_fields("+447911123456", "secret"), **change})
    assert next(iter(change)) in error.value.reason and "secret" not in error.value.reason


def test_status_reports() -> None:
    sid = "SM" + "b" * 32
    assert parse_status({"MessageSid": sid, "MessageStatus": "Delivered"}).status == "delivered"
    report = parse_status({"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "63016"})
    assert report.error_code == "63016"
    with pytest.raises(MalformedRequest):
        parse_status({"MessageSid": sid})
    for odd_digits in ("²", "٦٣٠١٦"):  # str.isdigit() says yes; int() or the codes say no
        with pytest.raises(MalformedRequest):
            parse_status({"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": odd_digits})


def test_recipient_addresses() -> None:
    assert whatsapp_address("+447911123456") == "whatsapp:+447911123456"
    assert whatsapp_address("whatsapp:+447911123456") == "whatsapp:+447911123456"
    with pytest.raises(ValueError):
        whatsapp_address("447911123456")

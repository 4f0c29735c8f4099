"""The one entry point of the conversation flow: an inbound message in, replies out.

Each message is handled in one transaction that (1) locks the person's conversation row,
(2) returns the stored replies if this platform message id was handled before, (3) steps
the flow and (4) stores the new state with the message and its replies. Two messages of
one person therefore never interleave, and a redelivered message changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

import bot.flow  # noqa: F401  (registers every state)
from bot.flow.core import STATES, Turn, match_choice
from bot.flow.menu import show_help, suggested_language
from bot.i18n import Translator
from bot.identifiers import user_keys
from bot.messages import Inbound, Reply, Text, reply_from_dict, reply_to_dict
from bot.models import Conversation, InboundMessage
from consultbot.crypto import Cipher
from consultbot.runtime import Runtime

log = logging.getLogger(__name__)

#: Words that work in every state, mapped to what they do.
COMMANDS = ("menu", "book", "help", "human", "language", "back", "mybooking", "start")
_SLASH = re.compile(r"^/(\w+)(@\w+)?$")
_RETRIES = 5


@dataclass(frozen=True)
class Handled:
    """The replies to a message; ``repeated`` when it was handled before (a redelivery)."""

    replies: list[Reply]
    repeated: bool = False


class Bot:
    """Handles messages for every channel; safe to share between threads."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message exactly once and return the replies to send."""
        return self.receive(inbound).replies

    def receive(self, inbound: Inbound) -> Handled:
        """Like :meth:`handle`, also saying whether the message was a redelivery.

        Channels that send replies through an API (not in the webhook's answer) use this to
        send them only the first time.
        """
        for attempt in range(_RETRIES):
            try:
                return self._handle_once(inbound)
            except (IntegrityError, OperationalError) as exc:
                # A lost race on first contact, a deadlock or a lock timeout: nothing was
                # committed, so trying again is safe.
                log.warning("retrying message (attempt %d): %s", attempt + 1, type(exc).__name__)
        return Handled(self._handle_failure(inbound))

    def _handle_once(self, inbound: Inbound) -> Handled:
        cipher = self.runtime.cipher
        now = self.runtime.clock()
        with self.runtime.db.transaction() as session:
            conversation = lock_conversation(session, inbound, now, cipher)
            seen = session.exec(
                select(InboundMessage).where(
                    InboundMessage.channel == inbound.channel,
                    InboundMessage.platform_message_id == inbound.message_id,
                )
            ).first()
            if seen is not None:
                stored = cipher.decrypt_json(seen.replies_enc) if seen.replies_enc else []
                return Handled([reply_from_dict(r) for r in stored], repeated=True)
            data = cipher.decrypt_json(conversation.data_enc) if conversation.data_enc else {}
            turn = Turn(self.runtime, session, conversation, data, inbound, now)
            try:
                with session.begin_nested():
                    step(turn)
            except (IntegrityError, OperationalError):
                raise  # a lost race (e.g. a slot taken meanwhile): the whole turn is retried
            except Exception:
                log.exception("flow failed in state %s", conversation.state)
                # The savepoint undid the rows; undo the working data too, or half a step
                # would be stored with the state it was not meant for.
                turn.data = cipher.decrypt_json(conversation.data_enc) \
                    if conversation.data_enc else {}
                turn.replies = [Text(turn.t("common.error"))]
            conversation.data_enc = cipher.encrypt_json(turn.data)
            conversation.updated_at = now
            conversation.last_inbound_at = now
            conversation.unreachable = False
            session.add(conversation)
            erased = conversation.erased_at == now  # "delete my data" confirmed: no trace
            session.add(InboundMessage(
                conversation_id=conversation.id,
                channel=inbound.channel,
                platform_message_id=inbound.message_id,
                received_at=now,
                text_enc=None if erased else cipher.encrypt(
                    inbound.text or inbound.choice_id or ""),
                replies_enc=None if erased else cipher.encrypt_json(
                    [reply_to_dict(r) for r in turn.replies]),
            ))
            return Handled(turn.replies)

    def _handle_failure(self, inbound: Inbound) -> list[Reply]:
        log.error("message from %s could not be stored after %d attempts",
                  inbound.channel, _RETRIES)
        return [Text(Translator(inbound.language_hint or "en")("common.busy"))]


def lock_conversation(session: Session, inbound: Inbound, now: datetime,
                      cipher: Cipher) -> Conversation:
    """Create the person's conversation if new, then lock its row for this transaction.

    The row is found by the keyed hash of the platform id (under any configured key; an
    older key's hash is replaced by the current one); the id itself is stored encrypted.
    """
    keys = user_keys(cipher, inbound.channel, inbound.user_id)
    locked = select(Conversation).where(
        Conversation.channel == inbound.channel, col(Conversation.user_key).in_(keys)
    ).with_for_update()
    conversation = session.exec(locked).first()
    if conversation is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
            else sqlite.insert
        session.execute(
            insert(Conversation.__table__)
            .values(channel=inbound.channel, user_key=keys[0], state="new",
                    user_id_enc=cipher.encrypt(inbound.user_id),
                    created_at=now, updated_at=now, unreachable=False)
            .on_conflict_do_nothing(index_elements=["channel", "user_key"])
        )
        conversation = session.exec(locked).one()
    if conversation.user_key != keys[0]:
        conversation.user_key = keys[0]
    if conversation.user_id_enc is None:  # back after an erasure
        conversation.user_id_enc = cipher.encrypt(inbound.user_id)
    return conversation


def command_of(turn: Turn) -> str | None:
    """The global command the text names, if it is one (``/menu``, ``menu``, ``меню``…)."""
    text = turn.text
    slash = _SLASH.match(text)
    if slash:
        word = slash.group(1).lower()
        return word if word in COMMANDS else None
    folded = text.casefold().strip(" .!?")
    for command in COMMANDS:
        if folded in turn.t.words(f"commands.{command}"):
            return command
    return None


def step(turn: Turn) -> None:
    """Advance the conversation by the person's message."""
    conversation, inbound = turn.conversation, turn.inbound
    if conversation.state == "new" or conversation.state not in STATES:
        conversation.language = conversation.language or suggested_language(
            inbound.language_hint, turn.runtime.settings.default_language)
        first_words = turn.text if turn.text and not _SLASH.match(turn.text) else None
        if first_words:
            turn.data["pending_text"] = first_words
        turn.go("welcome")
        return
    if not turn.text and not inbound.choice_id:
        turn.stay("common.attachment" if inbound.attachments else "common.empty")
        return
    offered = turn.data.get("choices") or []
    if inbound.choice_id is not None:
        current_token = format(int(turn.data.get("asked", 0)), "x")
        stale_token = inbound.choice_token is not None and inbound.choice_token != current_token
        if stale_token or inbound.choice_id not in {choice_id for choice_id, _ in offered}:
            turn.stay("common.stale_choice")
            return
        turn.choice = inbound.choice_id
    else:
        command = command_of(turn)
        if command is not None:
            run_command(turn, command)
            return
        turn.choice = match_choice(turn.text, offered) if offered else None
    STATES[conversation.state].handle(turn)


def run_command(turn: Turn, command: str) -> None:
    """Carry out a word that works anywhere."""
    if command == "back":
        STATES[turn.conversation.state].back(turn)
    elif command == "help":
        show_help(turn)
    elif command in ("menu", "start"):
        turn.go("menu")
    elif command == "human":
        turn.go("handoff")
    else:  # book, language, mybooking: states of the same name
        turn.go(command)

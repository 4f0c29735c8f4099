"""The one entry point of the conversation flow: an inbound message in, replies out.

First the message is read (``bot.understanding``: intents, FAQ match) without any lock,
in the conversation's language as last committed. Then it is handled in one transaction
that (1) locks the person's conversation row, (2) returns the stored replies if this
platform message id was handled before, (3) steps the flow and (4) stores the new state
with the message and its replies (:mod:`bot.store`: Core statements, one UPDATE and one
INSERT, no savepoint). Two messages of one person therefore never interleave, and a
redelivered message changes nothing. Should the language have changed meanwhile, the
message is read again inside (rare).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, exists
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import col, select

import bot.flow  # noqa: F401  (registers every state)
from booking.models import SlotHold
from bot import store
from bot.bounds import bounded_inbound
from bot.calendar_checks import before_turn
from bot.casefiles.receiving import keep_files
from bot.flow.core import STATES, Turn, match_choice
from bot.flow.menu import change_language, run_intent, show_help, suggested_language
from bot.i18n import Translator
from bot.identifiers import user_keys
from bot.messages import Inbound, Reply, Text, reply_from_dict, reply_to_dict
from bot.models import Conversation
from bot.repeats import held_back
from bot.understanding import (
    FaqNotReady,
    Intent,
    Understanding,
    matching_forbidden,
    understand,
    warm_up,
)
from bot.working import WorkingData
from plumbing.crypto import Undecryptable
from plumbing.db import Database
from plumbing.prepared import Prepared
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

#: Words that work in every state, mapped to what they do.
COMMANDS = ("menu", "book", "help", "human", "language", "back", "mybooking", "start")
_SLASH = re.compile(r"^/(\w+)(@\w+)?$")
_RETRIES = 5
#: Back-off between attempts: full jitter under a doubling ceiling, bounded.
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 1.0
#: Intents that only get a polite word back; at the welcome they wait for the language.
_SMALL_TALK = frozenset({Intent.GREETING, Intent.THANKS})


@dataclass(frozen=True)
class Handled:
    """The replies to a message; ``repeated`` when it was handled before (a redelivery)."""

    replies: list[Reply]
    repeated: bool = False


class _StepFailed(Exception):
    """The flow raised after writing rows: the transaction must be rolled back."""


class NotStored(Exception):
    """The database did not take the message: it must not be acknowledged to the platform,
    which then delivers it again. ``replies`` is the polite "busy" answer for channels that
    cannot ask for a redelivery (the terminal)."""

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__("message not stored")
        self.replies = replies


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 2``: jittered, doubling, at most 1 s."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** attempt))


class Bot:
    """Handles messages for every channel; safe to share between threads."""

    def __init__(self, runtime: Runtime, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.runtime = runtime
        self.sleep = sleep
        store.watch_writes(runtime.db.engine)

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message exactly once and return the replies to send (the "busy"
        answer if it could not be stored)."""
        try:
            return self.receive(inbound).replies
        except NotStored as exc:
            return exc.replies

    def receive(self, inbound: Inbound) -> Handled:
        """Like :meth:`handle`, also saying whether the message was a redelivery.

        Raises :class:`NotStored` when the database did not take the message: the channel
        must then not acknowledge it (a 503, an unconfirmed update). Channels that send
        replies through an API (not in the webhook's answer) use ``repeated`` to send them
        only the first time.
        """
        inbound, cut = bounded_inbound(inbound)
        warm_up()  # loads once per process; a dictionary look-up afterwards
        keys = user_keys(self.runtime.cipher, inbound.channel, inbound.user_id)
        with ExitStack() as stack:
            try:  # SQLite: the read and the turn on one connection
                connection = stack.enter_context(self.runtime.db.shared())
            except DBAPIError:  # the database is away: the transaction's retries will say so
                connection = None
            return self._receive(inbound, cut, keys, connection)

    def _receive(self, inbound: Inbound, cut: bool, keys: list[str],
                 connection: Connection | None) -> Handled:
        try:
            peeked = peek(self.runtime.db, keys, inbound, self.runtime.clock(), connection)
        except DBAPIError:  # the database is away: the transaction's retries will say so
            peeked = Peeked()
        if peeked.holds:
            before_turn(self.runtime, inbound)  # remote calendar reads, before any transaction
        understood = self._understand(inbound, peeked)
        failed = False
        hints: dict[str, Any] = {"new": not peeked.known, "keys": keys, "connection": connection}
        for attempt in range(_RETRIES):
            try:
                if failed:
                    return self._turn(inbound, understood, cut, failed=True, **hints)
                return self._handle_once(inbound, understood, cut, **hints)
            except _StepFailed:
                failed = True  # rolled back: now stored with the error answer, at once
            except FaqNotReady as exc:  # guessed wrong: rolled back, matched here, redone
                understood = exc.understood
                _ = understood.faq
            except (DBAPIError, PoolTimeout) as exc:
                # A lost race on first contact, a deadlock, a lock timeout or the database
                # gone: nothing was committed, so trying again is safe. A dead pooled
                # connection (no pre-ping) is retried at once: the pool has dropped it.
                log.warning("retrying message (attempt %d): %s", attempt + 1, type(exc).__name__)
                if attempt + 1 < _RETRIES and not getattr(exc, "connection_invalidated", False):
                    self.sleep(backoff(attempt))
            except Undecryptable:
                log.error("message from %s not stored: stored data cannot be decrypted with "
                          "DATA_ENCRYPTION_KEY", inbound.channel)
                break
        raise NotStored(self._handle_failure(inbound))

    def _language(self, conversation_language: str | None, inbound: Inbound) -> str:
        """The catalog language the conversation speaks (the suggested one when new)."""
        return Translator(conversation_language or suggested_language(
            inbound.language_hint, self.runtime.settings.default_language)).lang

    def _understand(self, inbound: Inbound, peeked: Peeked) -> Understanding:
        """Read the message outside any transaction, in the language last committed; the
        FAQ's decision too unless the state it was in will most likely not ask for it."""
        if not inbound.text:
            return Understanding()
        understood = understand(inbound.text, self._language(peeked.language, inbound))
        if faq_likely(peeked.state, understood):
            _ = understood.faq  # both matchers now, not under the lock
        return understood

    def _handle_once(self, inbound: Inbound, understood: Understanding,
                     cut: bool = False, **hints: Any) -> Handled:
        return self._turn(inbound, understood, cut, **hints)

    def _turn(self, inbound: Inbound, understood: Understanding, cut: bool,
              failed: bool = False, *, new: bool = False, keys: list[str] | None = None,
              connection: Connection | None = None) -> Handled:
        """One attempt in one transaction; ``failed``: the step raised after writing rows
        (rolled back), so store the message with the error answer and no step; ``new``:
        the read before found no conversation (see :func:`bot.store.lock`); ``keys``: the
        sender's :func:`user_keys`; ``connection``: a :meth:`Database.shared` one."""
        cipher = self.runtime.cipher
        now = self.runtime.clock()
        keys = keys or user_keys(cipher, inbound.channel, inbound.user_id)
        text_enc = cipher.encrypt(inbound.text or inbound.choice_id or "")  # before the lock
        with self.runtime.db.begin(connection) as begun, matching_forbidden():
            locked = store.lock(begun, inbound.channel, keys, lambda: store.new_row(
                inbound.channel, keys[0], cipher.encrypt(inbound.user_id), now), new=new)
            conversation = locked.conversation
            if conversation.user_key != keys[0]:  # found under an older key's hash
                conversation.user_key = keys[0]
            if conversation.user_id_enc is None:  # back after an erasure
                conversation.user_id_enc = cipher.encrypt(inbound.user_id)
            seen = store.replies_seen(begun, inbound.channel, inbound.message_id)
            if seen is not None:
                stored = cipher.decrypt_json(seen[0]) if seen[0] else []
                return Handled([reply_from_dict(r) for r in stored], repeated=True)
            plain = cipher.decrypt(conversation.data_enc) if conversation.data_enc else None
            data = WorkingData.from_dict(json.loads(plain) if plain else {})
            loaded = _dumps(data) if plain else _fresh()
            renamed = bool(inbound.display_name) and inbound.display_name != data.platform_name
            if renamed:  # staff see it until a name is given; erased with data
                data.platform_name = inbound.display_name
            language = self._language(conversation.language, inbound)
            if inbound.text and understood.lang != language:  # changed meanwhile
                understood = understand(inbound.text, language)
            turn = Turn(self.runtime, lambda: store.session_on(begun, conversation),
                        conversation, data, inbound, now, understood=understood)
            try:
                if failed:
                    turn.replies = [Text(turn.t("common.error"))]
                else:
                    self._step(turn, locked, begun, None if renamed else loaded)
                if cut:
                    turn.replies.insert(0, Text(turn.t("common.text_cut")))
                changes: dict[str, object] = {"updated_at": now, "last_inbound_at": now,
                                              "unreachable": False}
                written = _dumps(turn.data)
                if written != loaded or conversation.data_enc != locked.stored["data_enc"]:
                    changes["data_enc"] = cipher.encrypt(written)  # else not re-encrypted
                erased = conversation.erased_at == now  # "delete my data" confirmed: no trace
                store.save(begun, locked, changes, {
                    "conversation_id": conversation.id, "channel": inbound.channel,
                    "platform_message_id": inbound.message_id, "received_at": now,
                    "text_enc": None if erased else text_enc,
                    "replies_enc": None if erased else cipher.encrypt_json(
                        [reply_to_dict(r) for r in turn.replies])}, turn.opened)
                if turn.opened is not None:
                    turn.opened.flush()  # the step's own rows, before the commit
                return Handled(turn.replies)
            finally:
                if turn.opened is not None:
                    turn.opened.close()

    def _step(self, turn: Turn, locked: store.Locked, connection: Connection,
              dumped: str | None = None) -> None:
        """Step the flow without a savepoint. Should it fail having written nothing, its
        changes in memory are dropped and the person gets the error answer; having written
        rows, :class:`_StepFailed` rolls the whole transaction back. ``dumped``: the
        working data's :func:`_dumps` now, when known."""
        before = locked.snapshot()
        original = dumped if dumped is not None else _dumps(turn.data)
        store.start_watching(connection)
        try:
            step(turn)
        except (IntegrityError, OperationalError, FaqNotReady):
            raise  # a lost race (e.g. a slot taken meanwhile), or the FAQ wanted: redone
        except Exception as exc:
            log.exception("flow failed in state %s", turn.conversation.state)
            if isinstance(exc, DBAPIError) or store.wrote(connection):
                raise _StepFailed from exc
            if turn.opened is not None:
                turn.opened.expunge_all()  # what the step added or changed, unflushed: dropped
            locked.restore(before)
            turn.data = WorkingData.from_dict(json.loads(original))
            turn.replies = [Text(turn.t("common.error"))]

    def _handle_failure(self, inbound: Inbound) -> list[Reply]:
        log.error("message from %s could not be stored after %d attempts",
                  inbound.channel, _RETRIES)
        return [Text(Translator(inbound.language_hint or "en")("common.busy"))]


@dataclass(frozen=True)
class Peeked:
    """What one lock-free read before the turn tells (the defaults: nothing could be read,
    so a hold is assumed)."""

    language: str | None = None
    #: Whether the person holds a time: then the held calendar may need reading first.
    holds: bool = True
    #: The conversation's state as last committed (None: new, or not read).
    state: str | None = None
    #: False when the read found no conversation (the person is most likely new).
    known: bool = True


@cache
def _peek_statement(keys: int) -> Prepared:
    holds = exists().where(col(SlotHold.conversation_id) == col(Conversation.id),
                           col(SlotHold.expires_at) > bindparam("now"))
    return Prepared(select(
        Conversation.language,  # type: ignore[call-overload]
        Conversation.state,
        holds,
    ).where(col(Conversation.channel) == bindparam("channel"),
            store.key_match(col(Conversation.user_key), keys)),
        [Conversation.__table__.c.language, Conversation.__table__.c.state,  # type: ignore[attr-defined]
         holds])


def peek(db: Database, keys: list[str], inbound: Inbound, now: datetime,
         connection: Connection | None = None) -> Peeked:
    """The conversation's language and state as last committed, and whether the person
    holds a time, in one read that takes no lock (``keys``: the sender's
    :func:`user_keys`; ``connection``: a :meth:`Database.shared` one)."""
    with db.prepared_read(connection) as reading:
        row = _peek_statement(len(keys)).first(reading, {
            "channel": inbound.channel, "now": now, **store.key_params(keys)})
    if row is None:
        return Peeked(None, False, known=False)
    return Peeked(row[0], bool(row[2]), row[1])


def faq_likely(state: str | None, understood: Understanding) -> bool:
    """Whether the flow will most likely ask the FAQ about this message, so it is asked
    before the transaction: not for an option's number (the choice matcher settles it),
    nor in a state that reads the FAQ only for questions when the text is none. A wrong
    guess costs a rolled-back attempt (:class:`FaqNotReady`), never the answer, and the
    matchers still never run under the lock."""
    if not understood.consults_faq or understood.text.isdigit():
        return False
    known = STATES.get(state or "")
    return known is None or known.reads_faq or understood.question


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
    files = keep_files(turn)  # noted for the download job, which acknowledges them
    if conversation.state == "new" or conversation.state not in STATES:
        conversation.language = conversation.language or suggested_language(
            inbound.language_hint, turn.runtime.settings.default_language)
        keep_first_words(turn)
        turn.go("welcome")
        return
    if files:
        return
    if not turn.text and not inbound.choice_id:
        turn.stay("common.attachment" if inbound.attachments else "common.empty")
        return
    offered = turn.data.choices or []
    if inbound.choice_id is not None:
        stale_token = inbound.choice_token is not None and inbound.choice_token != turn.token
        if stale_token or inbound.choice_id not in {choice_id for choice_id, _ in offered}:
            turn.stay("common.stale_choice")
            return
        turn.choice = inbound.choice_id
    else:
        command = command_of(turn)
        if command is not None:
            run_command(turn, command)
            return
        if held_back(turn):
            return
        turn.choice = match_choice(turn.text, offered) if offered else None
        detected = turn.understood.intent
        if turn.choice is None and detected is not None and not (
                conversation.state == "welcome" and detected.intent in _SMALL_TALK):
            run_intent(turn, detected)
            return
    STATES[conversation.state].handle(turn)


def keep_first_words(turn: Turn) -> None:
    """First contact: act on the first message once the language is settled.

    A language asked for is taken at once; a request (a person, booking) or the FAQ topic
    of a question is kept for after the welcome.
    """
    detected = turn.understood.intent
    if detected is not None and detected.intent is Intent.LANGUAGE and detected.language:
        turn.conversation.language = detected.language
    elif detected is not None and detected.intent not in _SMALL_TALK:
        turn.data.pending_intent = detected.intent.value
    elif turn.understood.match is not None:
        turn.data.pending_topic = turn.understood.match.topic_id


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
    elif command == "language":
        change_language(turn, None)
    else:  # book, mybooking: states of the same name
        turn.go(command)


def _dumps(data: WorkingData) -> str:
    """The working data as stored (compact JSON), to tell whether a step changed it."""
    return json.dumps(data.to_dict(), ensure_ascii=False, separators=(",", ":"))


@cache
def _fresh() -> str:
    """:func:`_dumps` of a new conversation's working data (most first contacts)."""
    return _dumps(WorkingData.from_dict({}))

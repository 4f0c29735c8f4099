"""The rows one turn reads and writes, as prepared Core statements, without the ORM's unit
of work: lock (or create) the person's conversation row, look up the platform message id,
then one UPDATE of the conversation (only the columns that changed) and one INSERT of the
message with its replies.

The turn runs on a Core connection, without an ORM session: the flow gets one
(:func:`session_on`) only when a step asks for it, bound to the turn's connection and
transaction, with the conversation placed in it without a query, so the flow (and anything
it calls, e.g. ``session.get(Conversation, id)``) sees one object with this turn's changes;
the store writes those changes itself at the end.
It is built as the ORM builds a loaded row (no constructor, no attribute events), and a new
person's row comes back from its INSERT (``RETURNING``) without a second SELECT. The keys
are bound one by one (a statement per number of keys, kept), not as an expanding ``IN``
that is rendered again on every execution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import instrumentation, make_transient_to_detached
from sqlmodel import Session

from bot.models import Conversation, InboundMessage
from plumbing.prepared import Prepared

_conversation = Conversation.__table__  # type: ignore[attr-defined]
_message = InboundMessage.__table__  # type: ignore[attr-defined]
COLUMNS = tuple(column.key for column in _conversation.columns)

_MANAGER = instrumentation.manager_of_class(Conversation)
_CREATE = {name: Prepared(dialect.insert(_conversation).on_conflict_do_nothing(
    index_elements=["channel", "user_key"]).returning(*_conversation.c), _conversation.c)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_SEEN = Prepared(select(_message.c.replies_enc).where(
    _message.c.channel == bindparam("channel"),
    _message.c.platform_message_id == bindparam("message_id")), [_message.c.replies_enc])
_UPDATE = Prepared(update(_conversation).where(
    _conversation.c.id == bindparam("conversation_id")))
_INSERT_MESSAGE = Prepared(insert(_message))
_WROTE = "bot.store.wrote"


@dataclass
class Locked:
    """The person's conversation row, locked for this transaction, as the flow gets it."""

    conversation: Conversation
    #: The row as read.
    stored: dict[str, Any]

    def snapshot(self) -> dict[str, Any]:
        """The conversation's columns now."""
        return {key: getattr(self.conversation, key) for key in COLUMNS}

    def changed(self) -> dict[str, Any]:
        """The columns whose value now differs from the row as read: what :func:`changed`
        says when no session ever held the conversation (nothing was flushed), without
        asking the attribute history of every column."""
        now = self.conversation.__dict__
        return {key: now[key] for key in COLUMNS if now[key] != self.stored[key]}

    def restore(self, values: dict[str, Any]) -> None:
        """Put the columns back to ``values`` (a failed step leaves no half change)."""
        for key, value in values.items():
            setattr(self.conversation, key, value)


def key_match(column: Any, count: int) -> ColumnElement[bool]:
    """``column`` equal to one of ``count`` bound keys, ``key0``, ``key1``…"""
    if count == 1:
        return column == bindparam("key0")  # type: ignore[no-any-return]
    return column.in_([bindparam(f"key{i}") for i in range(count)])  # type: ignore[no-any-return]


def key_params(keys: Sequence[str]) -> dict[str, str]:
    """The values of :func:`key_match`'s parameters."""
    return {f"key{i}": key for i, key in enumerate(keys)}


@cache
def _lock_statement(count: int) -> Prepared:
    return Prepared(select(_conversation)
                    .where(_conversation.c.channel == bindparam("channel"),
                           key_match(_conversation.c.user_key, count))
                    .limit(1)
                    .with_for_update(), _conversation.c)


def lock(connection: Connection, channel: str, keys: list[str],
         create: Callable[[], dict[str, Any]], *, new: bool = False) -> Locked:
    """Lock the conversation found under any of ``keys``; insert it with the columns
    ``create()`` gives when there is none. The object is built as a loaded one (detached:
    :func:`session_on` places it in a session without SQL).

    ``new``: a read just before found no row. With one key (no rotation under way) the
    INSERT then comes first, since a row made meanwhile can only be under that key: it
    conflicts, and the SELECT follows."""
    statement = _lock_statement(len(keys))
    params = {"channel": channel, **key_params(keys)}
    row = None if new and len(keys) == 1 else statement.first(connection, params)
    if row is None:  # new: the row inserted, or (a lost race) the one inserted meanwhile
        row = _CREATE[connection.dialect.name].first(connection, create()) or \
            statement.first(connection, params)
    if row is None:  # deleted between the conflict and the SELECT: as `.one()` said
        raise NoResultFound("the conversation row vanished")
    stored = dict(zip(COLUMNS, row, strict=True))
    conversation = loaded(stored)
    make_transient_to_detached(conversation)
    return Locked(conversation, stored)


def session_on(connection: Connection, conversation: Conversation) -> Session:
    """An ORM session joined to ``connection``'s transaction (it never commits or ends it),
    with ``conversation`` in it as loaded. Flush it before the commit, close it after.
    SQLAlchemy's transaction is begun first (on SQLite :meth:`plumbing.db.Database.begin`
    begins only the driver's), so that the session joins it and its close leaves it open."""
    if not connection.in_transaction():
        connection.begin()
    session = Session(bind=connection, expire_on_commit=False,
                      join_transaction_mode="rollback_only")
    session.add(conversation)
    return session


def loaded(stored: dict[str, Any]) -> Conversation:
    """A conversation as the ORM builds one from a row: the values as loaded, no history."""
    conversation: Conversation = _MANAGER.new_instance()
    conversation.__dict__.update(stored)
    conversation.__pydantic_fields_set__ = set(stored)
    return conversation


def replies_seen(connection: Connection, channel: str,
                 message_id: str) -> tuple[str | None] | None:
    """``(replies_enc,)`` when this platform message was handled before, else None."""
    row = _SEEN.first(connection, {"channel": channel, "message_id": message_id})
    return None if row is None else (row[0],)


def save(connection: Connection, locked: Locked, changes: dict[str, Any],
         message: dict[str, Any], session: Session | None = None) -> None:
    """Write ``changes`` plus whatever the flow changed on the conversation (one UPDATE),
    and insert ``message`` (the inbound message row). ``session``: the flow's, if it made
    one (the conversation leaves it, so its unit of work does not write it again)."""
    conversation = locked.conversation
    values = changed(conversation) if session is not None else locked.changed()
    values.update(changes)
    if session is not None and conversation in session:
        session.expunge(conversation)
    if values:
        _UPDATE.rows(connection, {"conversation_id": conversation.id, **values})
    _INSERT_MESSAGE.rows(connection, message)


def changed(conversation: Conversation) -> dict[str, Any]:
    """The columns set since the row was read or last flushed, to a different value."""
    attrs = inspect(conversation).attrs
    values = {}
    for key in COLUMNS:
        history = attrs[key].history
        if history.added and not (history.deleted and history.deleted[0] == history.added[0]):
            values[key] = history.added[0]
    return values


def watch_writes(engine: Engine) -> None:
    """Note on each connection whether it sent anything but a SELECT (see :func:`wrote`)."""
    if not event.contains(engine, "before_cursor_execute", _note):
        event.listen(engine, "before_cursor_execute", _note)


def _note(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[_WROTE] = True


def start_watching(connection: Connection) -> None:
    """From now on, :func:`wrote` says whether ``connection`` wrote anything."""
    connection.info[_WROTE] = False


def wrote(connection: Connection) -> bool:
    """Whether ``connection`` sent a write since :func:`start_watching` (a session's
    objects not yet flushed are not counted: expunging them undoes them)."""
    return bool(connection.info.get(_WROTE))


def new_row(channel: str, user_key: str, user_id_enc: str, now: datetime) -> dict[str, Any]:
    """The columns of a new conversation."""
    return {"channel": channel, "user_key": user_key, "state": "new",
            "user_id_enc": user_id_enc, "created_at": now, "updated_at": now,
            "unreachable": False}

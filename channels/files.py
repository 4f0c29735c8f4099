"""Documents the bot holds only as bytes, published at an unguessable URL for a platform to
fetch (Twilio fetches WhatsApp media from us: it takes media only by public URL).

A published file is a row of ``shared_file``: its bytes encrypted with the data key, the
SHA-256 of its URL token, and an expiry. ``GET /files/<token>/<filename>`` serves it until
then; the outbox worker's round deletes expired rows.

The token is a keyed hash of the file (its bytes, name and type, under a key derived from
the data key): as unguessable as a random one to anyone without both, yet the same
document always gets the same URL. So a webhook Twilio retries is answered with the same
URL, a sender retrying a delivery adds no row, and a sample report sent a hundred times is
stored once (publishing again only extends its expiry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response
from sqlalchemy import Column, Text, UniqueConstraint, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from bot.messages import Document
from plumbing.crypto import Cipher
from plumbing.db import UTCDateTime
from plumbing.runtime import Runtime

if TYPE_CHECKING:
    from bot.engine import Bot

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(days=30)
FILES_PATH = "/files"
#: WhatsApp's largest media message; nothing bigger is worth storing for a platform.
MAX_BYTES = 16 * 1024 * 1024
#: Twilio advises names of at most 20 characters, without spaces or special characters.
MAX_FILENAME = 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,8}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_KEY_PURPOSE = "shared-files"


class SharedFile(SQLModel, table=True):
    """One published document, encrypted, reachable by its token until ``expires_at``."""

    __tablename__ = "shared_file"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    filename: str = Field(max_length=MAX_FILENAME)
    media_type: str = Field(max_length=100)
    content_enc: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


@dataclass(frozen=True)
class StoredFile:
    """A published document, decrypted, as served."""

    filename: str
    media_type: str
    content: bytes


def safe_filename(name: str) -> str:
    """``name`` as a short ASCII file name fit for a URL and a header, keeping its extension."""
    stem, dot, extension = name.strip().rpartition(".")
    if not dot or not _EXTENSION.match(extension):
        stem, extension = name.strip(), ""
    stem = _UNSAFE.sub("-", stem).strip("-.") or "file"
    suffix = f".{extension.lower()}" if extension else ""
    return stem[:MAX_FILENAME - len(suffix)].rstrip("-.") + suffix


def media_type_of(document: Document) -> str:
    """The document's media type without parameters, guessed from its name when unknown."""
    declared = document.media_type.split(";", 1)[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(document.filename)
    return guessed or "application/octet-stream"


def content_type(media_type: str) -> str:
    """The ``Content-Type`` to serve: texts (a calendar file) are UTF-8."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def token_digest(token: str) -> str:
    """What is stored for a token (it has 256 unguessable bits: SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def file_token(cipher: Cipher, content: bytes, filename: str, media_type: str) -> str:
    """The URL token of a file: a keyed hash of its bytes, name and type (43 url-safe chars)."""
    key = cipher.derive(_KEY_PURPOSE).encode()
    message = b"\0".join((hashlib.sha256(content).digest(), filename.encode(),
                          media_type.encode()))
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def publish(session: Session, cipher: Cipher, document: Document, *, now: datetime,
            public_base_url: str, ttl: timedelta = DEFAULT_TTL) -> str:
    """Store ``document``'s bytes (encrypted) and return the URL that serves them until
    ``now + ttl``; publishing the same document again extends the expiry of its one row."""
    if document.content is None:
        raise ValueError("only a document with content can be published")
    if len(document.content) > MAX_BYTES:
        raise ValueError(f"a shared file may have at most {MAX_BYTES} bytes")
    if not public_base_url:
        raise ValueError("PUBLIC_BASE_URL is needed to publish files")
    filename = safe_filename(document.filename)
    media_type = media_type_of(document)
    token = file_token(cipher, document.content, filename, media_type)
    digest = token_digest(token)
    expires_at = now + ttl
    # Extend a row that exists (even if expired but not yet removed: same bytes, same
    # token); only a new file costs the encryption and an insert.
    extended = session.execute(
        update(SharedFile).where(col(SharedFile.token_hash) == digest,
                                 col(SharedFile.expires_at) < expires_at)
        .values(expires_at=expires_at)
    ).rowcount
    if not extended and session.exec(
            select(SharedFile.id).where(SharedFile.token_hash == digest)).first() is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(SharedFile.__table__).values(  # type: ignore[attr-defined]
            token_hash=digest, filename=filename, media_type=media_type,
            content_enc=cipher.encrypt(base64.b64encode(document.content).decode()),
            created_at=now, expires_at=expires_at,
        ).on_conflict_do_nothing(index_elements=["token_hash"]))
    return f"{public_base_url.rstrip('/')}{FILES_PATH}/{token}/{filename}"


def find(session: Session, cipher: Cipher, token: str, filename: str, *,
         now: datetime) -> StoredFile | None:
    """The file published under ``token`` and ``filename``, unless unknown or expired."""
    if not _TOKEN.match(token):
        return None
    digest = token_digest(token)
    row = session.exec(select(SharedFile).where(SharedFile.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.expires_at <= now or row.filename != filename:
        return None
    content = base64.b64decode(cipher.decrypt(row.content_enc))
    return StoredFile(row.filename, row.media_type, content)


def remove_expired(session: Session, now: datetime) -> int:
    """Delete every file past its expiry; return how many."""
    result = session.execute(delete(SharedFile).where(col(SharedFile.expires_at) <= now))
    return int(result.rowcount or 0)


def remove_expired_files(runtime: Runtime) -> int:
    """The outbox worker's round: delete expired files in a transaction of their own."""
    with runtime.db.transaction() as session:
        removed = remove_expired(session, runtime.clock())
    if removed:
        log.info("removed %d expired shared file(s)", removed)
    return removed


class Publisher:
    """Publishes one document in a short transaction of its own; for the channels."""

    def __init__(self, runtime: Runtime, ttl: timedelta = DEFAULT_TTL) -> None:
        self.runtime = runtime
        self.ttl = ttl

    def __call__(self, document: Document) -> str:
        """The URL of ``document``'s bytes."""
        with self.runtime.db.transaction() as session:
            return publish(session, self.runtime.cipher, document, now=self.runtime.clock(),
                           public_base_url=self.runtime.settings.public_base_url or "",
                           ttl=self.ttl)


def blueprint(runtime: Runtime) -> Blueprint:
    """``GET /files/<token>/<filename>`` (HEAD too: Twilio checks the type with it)."""
    files = Blueprint("files", __name__)

    @files.get(f"{FILES_PATH}/<token>/<filename>")
    def serve(token: str, filename: str) -> Response:
        with runtime.db.transaction() as session:
            stored = find(session, runtime.cipher, token, filename, now=runtime.clock())
        if stored is None:
            response = Response("not found\n", status=404, mimetype="text/plain")
        else:
            response = Response(stored.content, content_type=content_type(stored.media_type))
            response.headers["Content-Disposition"] = \
                f'attachment; filename="{stored.filename}"'
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return files


def attach(app: Flask, runtime: Runtime, bot: Bot) -> None:
    """Serve published files; always on (WhatsApp needs them, others do no harm)."""
    app.register_blueprint(blueprint(runtime))
    base = (runtime.settings.public_base_url or "").rstrip("/")
    app.config["AREAS"]["files"] = (
        f"on: documents for WhatsApp at {base}{FILES_PATH}/…, kept {DEFAULT_TTL.days} days"
        if base else f"on: {FILES_PATH}/… (links need PUBLIC_BASE_URL)")

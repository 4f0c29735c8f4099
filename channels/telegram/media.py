"""Telegram files: what a message carries, and fetching one through ``getFile``.

``getFile`` on ``TELEGRAM_API_BASE_URL`` names the file's path; the bytes are then read
from the matching file URL (``…/file/bot<token>/<path>``). A bot may fetch files up to
20 MB; Telegram refuses larger ones, which is a refusal for size, not a failure.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
from telegram import Message

from bot.casefiles.fetching import FetchFailed, FetchRefused
from bot.casefiles.models import Refusal
from bot.messages import Media
from channels.media_download import failure_for, read_limited, timeout
from channels.telegram.client import api_urls
from plumbing.runtime import Runtime

log = logging.getLogger(__name__)

_FILE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}$")


def _seconds(value: int | timedelta | None) -> float | None:
    """A duration as python-telegram-bot gives it (seconds, or a timedelta) in seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if value else None


def media_of(message: Message) -> tuple[Media, ...]:
    """The files of a message: a document, the largest size of a photo, a voice note, an
    audio file or a video."""
    if message.document is not None:
        d = message.document
        return (Media(d.file_id, "document", d.mime_type or "", d.file_name, d.file_size),)
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return (Media(largest.file_id, "photo", "image/jpeg", None, largest.file_size),)
    if message.voice is not None:
        v = message.voice
        return (Media(v.file_id, "voice", v.mime_type or "", None, v.file_size,
                      _seconds(v.duration)),)
    if message.audio is not None:
        a = message.audio
        return (Media(a.file_id, "audio", a.mime_type or "", a.file_name, a.file_size,
                      _seconds(a.duration)),)
    if message.video is not None:
        m = message.video
        return (Media(m.file_id, "video", m.mime_type or "", m.file_name, m.file_size,
                      _seconds(m.duration)),)
    return ()


class TelegramFiles:
    """A :class:`bot.casefiles.fetching.Fetcher` for Telegram files."""

    def __init__(self, api_base_url: str, token: str, client: httpx.Client | None = None) -> None:
        api, files = api_urls(api_base_url)
        self.api, self.files = f"{api}{token}", f"{files}{token}"
        self.client = client or httpx.Client(timeout=timeout(), follow_redirects=False)

    def fetch(self, media: Media, limit: int) -> bytes:
        path = self._file_path(media.source)
        with self.client.stream("GET", f"{self.files}/{path}") as response:
            if response.status_code != 200:
                raise failure_for(response.status_code, "Telegram")
            return read_limited(response, limit)

    def _file_path(self, file_id: str) -> str:
        try:
            answer = self.client.post(f"{self.api}/getFile", data={"file_id": file_id})
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:  # the URL holds the token: no message
            raise FetchFailed(f"getFile: {type(exc).__name__}") from None
        if not body.get("ok"):
            description = str(body.get("description", ""))
            if "too big" in description:
                raise FetchRefused(Refusal.SIZE, "Telegram: file is too big for a bot")
            raise failure_for(answer.status_code, "Telegram getFile")
        path = str((body.get("result") or {}).get("file_path") or "")
        if not _FILE_PATH.match(path) or ".." in path:
            raise FetchFailed("getFile gave no usable file path", permanent=True)
        return path


def build_fetcher(runtime: Runtime) -> TelegramFiles | None:
    """The fetcher when a bot token is configured."""
    token = runtime.settings.telegram_bot_token
    if token is None:
        return None
    return TelegramFiles(runtime.settings.telegram_api_base_url, token.get_secret_value())

"""What a channel's file fetcher promises the download job (the fetchers live in channels)."""

from __future__ import annotations

from typing import Protocol

from bot.casefiles.models import Refusal
from bot.messages import Media


class FetchRefused(Exception):
    """The file will not be fetched or kept: too large, or not from the platform's host."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal
        self.reason = reason


class FetchFailed(Exception):
    """The platform did not hand the file over; ``permanent`` when trying again is useless.
    ``reason`` names no URL, token or content."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Fetcher(Protocol):
    """Downloads one platform file, stopping (``FetchRefused``) past ``limit`` bytes."""

    def fetch(self, media: Media, limit: int) -> bytes:
        ...

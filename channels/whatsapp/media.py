"""Fetching WhatsApp media from Twilio: credentials go to Twilio's API host and nowhere else.

A media URL comes from a webhook, so it is checked before anything is sent: it must be on
the host of ``TWILIO_API_BASE_URL`` (``api.twilio.com``), under this account's messages. It
is fetched with the account's credentials; Twilio answers with a redirect to its CDN (a
short-lived signed URL), which is followed *without* them. Anything else is refused and
logged without the URL.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from bot.casefiles.fetching import FetchFailed, FetchRefused
from bot.casefiles.models import Refusal
from bot.messages import Media
from channels.media_download import failure_for, read_limited, timeout
from plumbing.runtime import Runtime

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3


class TwilioMedia:
    """A :class:`bot.casefiles.fetching.Fetcher` for WhatsApp media."""

    def __init__(self, api_base_url: str, account_sid: str, auth_token: str,
                 client: httpx.Client | None = None) -> None:
        base = urlsplit(api_base_url)
        self.scheme, self.host = base.scheme, base.netloc.lower()
        self.prefix = f"/2010-04-01/Accounts/{account_sid}/Messages/"
        pair = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.authorization = f"Basic {pair}"  # sent to the trusted API host only
        self._client, self._making = client, threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """The HTTP client, made on the first fetch: httpx (with rich, pygments and
        httpcore: 8.5 MiB resident) is not imported by a process that receives no media."""
        with self._making:
            if self._client is None:
                import httpx

                self._client = httpx.Client(timeout=timeout(), follow_redirects=False)
            return self._client

    def trusted(self, url: str) -> bool:
        """Whether ``url`` is one of this account's media on Twilio's API host."""
        parts = urlsplit(url)
        return (parts.scheme == self.scheme and parts.netloc.lower() == self.host
                and parts.path.startswith(self.prefix) and "/Media/" in parts.path
                and ".." not in parts.path and not parts.username)

    def fetch(self, media: Media, limit: int) -> bytes:
        if not self.trusted(media.source):
            log.warning("whatsapp media refused: its URL is not on the Twilio API host")
            raise FetchRefused(Refusal.SOURCE, "media URL not on the Twilio API host")
        url, headers = media.source, {"Authorization": self.authorization}
        for _ in range(MAX_REDIRECTS + 1):
            request = self.client.build_request("GET", url, headers=headers)
            response = self.client.send(request, stream=True)
            try:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    url = urljoin(url, location)
                    if urlsplit(url).scheme not in ("https", self.scheme):
                        raise FetchFailed("redirect to a non-https URL", permanent=True)
                    headers = {}  # the CDN gets no credentials, ever
                    continue
                if response.status_code != 200:
                    raise failure_for(response.status_code, "Twilio")
                return read_limited(response, limit)
            finally:
                response.close()
        raise FetchFailed("too many redirects", permanent=True)


def build_fetcher(runtime: Runtime) -> TwilioMedia | None:
    """The fetcher when Twilio is configured."""
    settings = runtime.settings
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        return None
    return TwilioMedia(settings.twilio_api_base_url, settings.twilio_account_sid,
                       settings.twilio_auth_token.get_secret_value())

"""The optional transcript of a voice note: an offline speech-to-text command, off by default.

``CASE_FILE_TRANSCRIBER`` names a command on this machine (e.g. a local whisper.cpp); it
is run with the audio file's path as its last argument and its standard output is kept,
encrypted, beside the audio. None is shipped or configured: by default a voice note never
leaves the server, and nothing is sent to any third-party service.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import tempfile

from bot.casefiles.kinds import Kind
from plumbing.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 300
MAX_CHARS = 20_000


def transcribe(settings: Settings, data: bytes, kind: Kind) -> str | None:
    """The transcript the configured command gives, or None (off, or it failed)."""
    command = (settings.case_file_transcriber or "").strip()
    if not command:
        return None
    with tempfile.NamedTemporaryFile(suffix=f".{kind.extension}") as audio:
        audio.write(data)
        audio.flush()
        try:
            done = subprocess.run([*shlex.split(command), audio.name], capture_output=True,
                                  timeout=TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("voice note transcriber failed: %s", type(exc).__name__)
            return None
    if done.returncode != 0:
        log.warning("voice note transcriber exited with %d", done.returncode)
        return None
    text = done.stdout.decode("utf-8", errors="replace").strip()
    return text[:MAX_CHARS] or None

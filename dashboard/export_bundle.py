"""The access request as one ZIP: ``export.json`` and the person's files, decrypted.

Written to a spooled temporary file (kept in memory while small, on disk beyond), each
file chunk by chunk, so a full case file is never held whole in memory twice. Nothing of
it is logged.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from typing import IO, Any

from bot.casefiles.store import read_chunks
from plumbing.crypto import Cipher
from plumbing.db import Database

IN_MEMORY = 8 * 1024 * 1024


def bundle(db: Database, cipher: Cipher, data: dict[str, Any]) -> IO[bytes]:
    """The export ``data`` and every file it lists a ``file_in_bundle`` for, as a ZIP
    (rewound, ready to send)."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", json.dumps(data, ensure_ascii=False, indent=2))
        for item in data.get("documents", []):
            if not item["file_in_bundle"]:
                continue
            # PDFs, photos and audio are compressed already: stored as they are.
            with archive.open(zipfile.ZipInfo(item["file_in_bundle"]), "w") as member:
                for chunk in read_chunks(db, cipher, item["id"]):
                    member.write(chunk)
    out.seek(0)
    return out

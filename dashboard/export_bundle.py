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

from bot.casefiles.kinds import BY_TYPE
from bot.casefiles.models import DocumentStatus
from bot.casefiles.store import read_chunks
from plumbing.crypto import Cipher
from plumbing.db import Database

IN_MEMORY = 8 * 1024 * 1024


def bundle(db: Database, cipher: Cipher, data: dict[str, Any]) -> IO[bytes]:
    """The export ``data`` and every stored file it lists, as a ZIP (rewound, ready to
    send). Each file is ``documents/<id>.<ext>`` (the person's own name for it, which could
    be anything, is in the listing), named in ``export.json`` as the document's ``file``."""
    data = {**data, "documents": [dict(item) for item in data.get("documents", [])]}
    files = {}
    for item in data["documents"]:
        kind = BY_TYPE.get(item["media_type"] or "")
        if item["status"] == DocumentStatus.STORED and kind is not None:
            item["file"] = files[item["id"]] = f"documents/{item['id']}.{kind.extension}"
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", json.dumps(data, ensure_ascii=False, indent=2))
        for document_id, path in files.items():
            # PDFs, photos and audio are compressed already: stored as they are.
            with archive.open(zipfile.ZipInfo(path), "w") as member:
                for chunk in read_chunks(db, cipher, document_id):
                    member.write(chunk)
    out.seek(0)
    return out
